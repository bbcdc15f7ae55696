<?php

declare(strict_types=1);

namespace Paymux\Tests;

use Paymux\Exception;
use Paymux\Exception\ErrorMapping;
use Paymux\HttpClient\Response;

final class ErrorTest extends TestCase
{
    private static function answer(int $status, string $code): Response
    {
        $body = json_encode(['error' => ['code' => $code, 'message' => "m {$code}", 'details' => [['field' => 'amount']], 'request_id' => 'req_1']]);

        return new Response($status, ['content-type' => 'application/json'], $body);
    }

    public function testEveryStatusMapsToItsType(): void
    {
        $cases = [
            [400, 'bad_request', Exception\InvalidRequestException::class],
            [422, 'validation_failed', Exception\InvalidRequestException::class],
            [406, 'not_acceptable', Exception\InvalidRequestException::class],
            [413, 'payload_too_large', Exception\InvalidRequestException::class],
            [415, 'unsupported_media_type', Exception\InvalidRequestException::class],
            [401, 'invalid_signature', Exception\AuthenticationException::class],
            [404, 'not_found', Exception\NotFoundException::class],
            [409, 'payment_not_refundable', Exception\ConflictException::class],
            [409, 'idempotency_key_reused', Exception\IdempotencyException::class],
            [409, 'idempotency_key_in_use', Exception\IdempotencyException::class],
            [429, 'rate_limited', Exception\RateLimitException::class],
            [500, 'internal_error', Exception\ApiException::class],
            [503, 'busy', Exception\ApiException::class],
            [502, 'channel_rejected', Exception\ChannelException::class],
            [503, 'channel_unavailable', Exception\ChannelException::class],
        ];
        foreach ($cases as [$status, $code, $class]) {
            $exc = ErrorMapping::fromResponse(self::answer($status, $code));
            $this->assertSame($class, get_class($exc), "{$status} {$code}");
            $this->assertSame($status, $exc->getHttpStatus());
            $this->assertSame($code, $exc->getErrorCode());
            $this->assertSame("m {$code}", $exc->getMessage());
            $this->assertSame('req_1', $exc->getRequestId());
            $this->assertSame([['field' => 'amount']], $exc->getDetails());
            $this->assertTrue($exc instanceof Exception\PaymuxException);
        }
    }

    public function testAnswersWithoutPaymuxsEnvelope(): void
    {
        $throttled = ErrorMapping::fromResponse(new Response(429, [], '{"message": "Too Many Requests"}'));
        $this->assertSame(Exception\RateLimitException::class, get_class($throttled));
        $this->assertSame('Too Many Requests', $throttled->getMessage());
        $this->assertSame('http_429', $throttled->getErrorCode());
        $gateway = ErrorMapping::fromResponse(new Response(504, ['apigw-requestid' => 'gw-1'], '<html>timeout</html>'));
        $this->assertSame(Exception\ApiException::class, get_class($gateway));
        $this->assertSame('http_504', $gateway->getErrorCode());
        $this->assertSame('gw-1', $gateway->getRequestId());
        $this->assertSame('<html>timeout</html>', $gateway->getHttpBody());
    }

    public function testEveryStatusWithoutTheEnvelopeIsHttpStatusWithTheGatewaysRequestId(): void
    {
        $table = [
            400 => Exception\InvalidRequestException::class, 405 => Exception\InvalidRequestException::class,
            406 => Exception\InvalidRequestException::class, 410 => Exception\InvalidRequestException::class,
            413 => Exception\InvalidRequestException::class, 415 => Exception\InvalidRequestException::class,
            422 => Exception\InvalidRequestException::class, 401 => Exception\AuthenticationException::class,
            403 => Exception\AuthenticationException::class, 404 => Exception\NotFoundException::class,
            409 => Exception\ConflictException::class, 429 => Exception\RateLimitException::class,
            500 => Exception\ApiException::class, 502 => Exception\ApiException::class,
            503 => Exception\ApiException::class, 504 => Exception\ApiException::class,
        ];
        foreach ($table as $status => $class) {
            $exc = ErrorMapping::fromResponse(new Response($status, ['apigw-requestid' => "gw-{$status}"], '<html>a proxy</html>'));
            $this->assertSame($class, get_class($exc), "{$status}");
            $this->assertSame("http_{$status}", $exc->getErrorCode(), "{$status}'s code");
            $this->assertSame("gw-{$status}", $exc->getRequestId(), "{$status}'s request id");
        }
        $body = ErrorMapping::fromResponse(new Response(409, ['apigw-requestid' => 'gw'], '{"error":{"code":"idempotency_key_in_use","message":"m","request_id":"req-body"}}'));
        $this->assertSame(Exception\IdempotencyException::class, get_class($body));
        $this->assertSame('req-body', $body->getRequestId(), 'the body\'s request id comes first');
    }

    public function testAnIdThatWouldNeedEscapingIsRefusedBeforeSending(): void
    {
        $client = new \Paymux\Client('app_x', 'sk_x', 'http://127.0.0.1:9');
        $this->expectThrows(\InvalidArgumentException::class, static fn () => $client->payments->get('pay_1/../../v1/refunds'));
        $this->expectThrows(\InvalidArgumentException::class, static fn () => $client->refunds->get(''));
        $this->expectThrows(\InvalidArgumentException::class, static fn () => $client->payments->create(['subject' => "\xff"]), 'not UTF-8');
    }

    public function testTheSecretStaysOutOfDumps(): void
    {
        $client = new \Paymux\Client('app_x', 'sk_very_secret', 'https://api.example.com');
        $this->assertTrue(!str_contains(print_r($client, true), 'sk_very_secret'));
        ob_start();
        var_dump($client->payments);
        $this->assertTrue(!str_contains((string) ob_get_clean(), 'sk_very_secret'), 'nor var_dump() of a service');
    }
}
