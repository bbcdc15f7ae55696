<?php

declare(strict_types=1);

namespace Paymux\Tests;

use Paymux\Exception\SignatureVerificationException;
use Paymux\RequestSigner;
use Paymux\Webhook;

/** Every case of sdk/testvectors/*.json, the server's own outputs. */
final class VectorsTest extends TestCase
{
    public function testRequestSigningEveryCase(): void
    {
        $cases = self::vectors('request_signing')['cases'];
        $this->assertTrue(count($cases) >= 6, 'the request-signing vectors are there');
        foreach ($cases as $case) {
            $body = base64_decode($case['body_base64'], true);
            $this->assertSame($case['body_sha256'], hash('sha256', $body), $case['name']);
            $signer = new RequestSigner($case['app_id'], $case['secret']);
            $args = [$case['method'], $case['path'], $case['timestamp'], $case['nonce'], $body];
            $this->assertSame($case['string_to_sign'], RequestSigner::stringToSign(...$args), $case['name']);
            $this->assertSame($case['signature'], $signer->signature(...$args), $case['name']);
            $this->assertSame($case['authorization'], $signer->authorization(...$args), $case['name']);
        }
    }

    public function testWebhookVerifyEveryCase(): void
    {
        $cases = self::vectors('webhooks')['verify'];
        $this->assertTrue(count($cases) >= 18, 'the webhook vectors are there');
        foreach ($cases as $case) {
            $payload = base64_decode($case['payload_base64'], true);
            $verify = static fn () => Webhook::constructEvent($payload, $case['header'], $case['secret'], $case['tolerance'], $case['now']);
            if ($case['valid']) {
                $event = $verify();
                $this->assertSame($case['event_id'], $event->id, $case['name']);
                $this->assertSame(json_decode($payload, true), $event->toArray(), $case['name']);
            } else {
                $this->expectThrows(SignatureVerificationException::class, $verify, $case['name']);
            }
        }
    }

    public function testWebhookGenerateEveryCase(): void
    {
        $cases = self::vectors('webhooks')['generate'];
        $this->assertTrue(count($cases) >= 2, 'the generate vectors are there');
        foreach ($cases as $case) {
            $payload = base64_decode($case['payload_base64'], true);
            $header = Webhook::generateTestHeader($payload, $case['secret'], $case['timestamp']);
            $this->assertSame($case['header'], $header, $case['name']);
            $event = Webhook::constructEvent($payload, $header, $case['secret'], 300, $case['timestamp']);
            $this->assertSame(json_decode($payload, true)['id'], $event->id, $case['name']);
        }
    }

    public function testReturnsEveryCase(): void
    {
        $cases = self::vectors('returns')['cases'];
        $this->assertTrue(count($cases) >= 12, 'the return vectors are there');
        foreach ($cases as $case) {
            $verify = static fn () => Webhook::verifyReturn($case['query'], $case['secret'], $case['tolerance'], $case['now']);
            if ($case['valid']) {
                $this->assertSame($case['values'], $verify(), $case['name']);
            } else {
                $this->expectThrows(SignatureVerificationException::class, $verify, $case['name']);
            }
        }
    }

    public function testReturnsFromAnArrayLikeGet(): void
    {
        $case = self::vectors('returns')['cases'][2]; // percent- and '+'-encoded values
        parse_str($case['query'], $get);
        $this->assertSame($case['values'], Webhook::verifyReturn($get, $case['secret'], 300, $case['now']));
        $get['paymux_signature'] = ['not', 'a', 'string'];
        $this->expectThrows(SignatureVerificationException::class, static fn () => Webhook::verifyReturn($get, $case['secret'], 300, $case['now']));
    }

    public function testToleranceZeroSkipsTheClockButNotTheSignature(): void
    {
        $case = self::vectors('webhooks')['verify'][0];
        $payload = base64_decode($case['payload_base64'], true);
        $event = Webhook::constructEvent($payload, $case['header'], $case['secret'], 0, $case['now'] + 86400);
        $this->assertSame($case['event_id'], $event->id);
        $this->expectThrows(SignatureVerificationException::class, static fn () => Webhook::constructEvent($payload . ' ', $case['header'], $case['secret'], 0));
    }
}
