<?php

declare(strict_types=1);

namespace Paymux\Tests;

use Paymux\Client;
use Paymux\HttpClient\Response;
use Paymux\RetryPolicy;

/** The retry decisions and waits without a network, and the client's configuration. */
final class RetryPolicyTest extends TestCase
{
    public function testTheBackoffDoublesFromHalfASecondToFiveWithJitter(): void
    {
        $policy = new RetryPolicy(10, new \Random\Randomizer(new \Random\Engine\Mt19937(42)));
        foreach ([1 => 0.5, 2 => 1.0, 3 => 2.0, 4 => 4.0, 5 => 5.0, 6 => 5.0, 9 => 5.0] as $retry => $ceiling) {
            $waits = array_map(static fn () => $policy->delay($retry), range(1, 200));
            $this->assertBetween($ceiling / 2, $ceiling, min($waits), "retry {$retry}, shortest");
            $this->assertBetween($ceiling / 2, $ceiling, max($waits), "retry {$retry}, longest");
            $this->assertTrue(max($waits) - min($waits) > $ceiling / 4, "retry {$retry}: the waits are jittered");
        }
    }

    public function testRetryAfterInSecondsOnly(): void
    {
        $policy = new RetryPolicy();
        $at = static fn (string $value) => new Response(503, ['retry-after' => $value], '');
        $this->assertBetween(4.0, 4.0, $policy->delay(1, $at('4')));
        $this->assertBetween(5.0, 5.0, $policy->delay(1, $at('3600')), 'capped');
        $this->assertBetween(0.25, 0.5, $policy->delay(1, $at('Wed, 21 Oct 2026 07:28:00 GMT')), 'a date is ignored');
        $this->assertBetween(0.25, 0.5, $policy->delay(1, $at('0')), 'the backoff still applies');
    }

    public function testWhatIsRetryable(): void
    {
        $policy = new RetryPolicy();
        $answer = static fn (int $status, ?string $marker = null) => new Response($status, $marker === null ? [] : ['paymux-should-retry' => $marker], '');
        foreach ([502, 503, 504] as $status) {
            $this->assertTrue($policy->shouldRetry($answer($status)), "{$status}");
            $this->assertTrue(!$policy->shouldRetry($answer($status, 'false')), "{$status} marked false");
        }
        foreach ([400, 401, 404, 409, 422, 429, 500] as $status) {
            $this->assertTrue(!$policy->shouldRetry($answer($status)), "{$status}");
            $this->assertTrue($policy->shouldRetry($answer($status, 'true')), "{$status} marked true");
        }
        $this->assertTrue($policy->shouldRetry($answer(503, 'maybe')), 'an unknown marker value is no marker');
        $this->expectThrows(\InvalidArgumentException::class, static fn () => new RetryPolicy(-1));
    }

    public function testTheBaseUrlComesFromTheEnvironmentWhenNoneIsGiven(): void
    {
        $saved = getenv('PAYMUX_BASE_URL');
        try {
            putenv('PAYMUX_BASE_URL=http://127.0.0.1:3000/');
            $this->assertSame('http://127.0.0.1:3000', (new Client('app_x', 'sk_x'))->baseUrl);
            $this->assertSame('https://other.example.com', (new Client('app_x', 'sk_x', 'https://other.example.com'))->baseUrl);
            putenv('PAYMUX_BASE_URL');
            $this->assertSame(Client::DEFAULT_BASE_URL, (new Client('app_x', 'sk_x'))->baseUrl);
            $this->assertSame('https://api.paymux.cn', Client::DEFAULT_BASE_URL);
        } finally {
            putenv($saved === false ? 'PAYMUX_BASE_URL' : "PAYMUX_BASE_URL={$saved}");
        }
    }
}
