<?php

declare(strict_types=1);

namespace Paymux\Tests;

use Paymux\Client;
use Paymux\Exception\ApiConnectionException;
use Paymux\Exception\ApiException;
use Paymux\Exception\ConflictException;
use Paymux\Exception\IdempotencyException;
use Paymux\Exception\InvalidRequestException;
use Paymux\HttpClient\CurlTransport;
use Paymux\Model\Payment;

/** The retry contract on the wire, against tests/fake_server.php. */
final class RetryTest extends TestCase
{
    private const SECRET = 'sk_test_retry';
    private const PAYMENT = '{"id":"pay_1","object":"payment","status":"PROCESSING","amount":1999}';
    private const PARAMS = ['amount' => 1999, 'currency' => 'CNY', 'method' => 'wechat.native', 'subject' => '咖啡', 'merchant_order_no' => 'O-1', 'notify_url' => 'https://shop.example.com/n'];

    private ?FakeServer $server = null;
    private FakeClock $clock;

    protected function tearDown(): void
    {
        $this->server?->stop();
    }

    /** @param list<array<string, mixed>> $steps */
    private function client(array $steps, int $maxRetries = 2, bool $replayGuard = false): Client
    {
        $this->server = new FakeServer(['secret' => self::SECRET, 'steps' => $steps, 'replay_guard' => $replayGuard]);
        $this->clock = new FakeClock();

        return new Client('app_retry', self::SECRET, $this->server->url, $maxRetries, 5.0, clock: $this->clock, random: new \Random\Randomizer(new \Random\Engine\Mt19937(7)));
    }

    private static function ok(string $body = self::PAYMENT): array
    {
        return ['status' => 200, 'body' => $body];
    }

    private static function error(int $status, string $code, array $headers = []): array
    {
        return ['status' => $status, 'headers' => $headers, 'body' => json_encode(['error' => ['code' => $code, 'message' => $code, 'request_id' => 'req_' . $code]])];
    }

    /** @return list<string> */
    private function field(string $name): array
    {
        return array_map(static fn (array $r) => match ($name) {
            'nonce', 'timestamp' => FakeServer::authorizationPairs($r['headers']['authorization'] ?? '')[$name] ?? '',
            default => $r['headers'][$name] ?? '',
        }, $this->server->requests());
    }

    private function assertEverySignatureValid(): void
    {
        foreach ($this->server->requests() as $request) {
            $this->assertTrue($request['signature_valid'], 'attempt on connection ' . $request['connection'] . ' is signed over the bytes sent');
        }
    }

    public function testA503IsRetriedResignedWithTheSameIdempotencyKey(): void
    {
        $client = $this->client([self::error(503, 'busy'), self::ok()]);
        $payment = $client->payments->create(self::PARAMS);
        $this->assertSame('pay_1', $payment->id);
        $keys = $this->field('idempotency-key');
        $this->assertSame(2, count($keys), 'two attempts');
        $this->assertTrue(preg_match('/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/', $keys[0]) === 1, 'a UUID v4: ' . $keys[0]);
        $this->assertSame($keys[0], $keys[1], 'the same Idempotency-Key on the retry');
        [$first, $second] = $this->field('nonce');
        $this->assertNotSame($first, $second, 'a new nonce on the retry');
        [$before, $after] = $this->field('timestamp');
        $this->assertNotSame($before, $after, 'a new timestamp after the wait');
        $this->assertEverySignatureValid();
        $this->assertSame(1, count($this->clock->sleeps));
        $this->assertBetween(0.25, 0.5, $this->clock->sleeps[0], 'the first wait: 0.5 s × jitter [0.5, 1]');
        $this->assertSame(json_encode(self::PARAMS, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), base64_decode($this->server->requests()[1]['body_base64']));
    }

    public function testTheCallersIdempotencyKeyIsSentOnEveryAttempt(): void
    {
        $client = $this->client([self::error(502, 'channel_rejected'), self::error(504, 'timeout'), self::ok()]);
        $client->payments->create(self::PARAMS, 'my-key-1');
        $this->assertSame(['my-key-1', 'my-key-1', 'my-key-1'], $this->field('idempotency-key'));
        $this->assertSame(3, count(array_unique($this->field('nonce'))), 'three nonces');
        $this->assertBetween(0.25, 0.5, $this->clock->sleeps[0], 'wait 1');
        $this->assertBetween(0.5, 1.0, $this->clock->sleeps[1], 'wait 2');
    }

    public function testRetriesStopAtMaxRetries(): void
    {
        $client = $this->client([self::error(503, 'busy'), self::error(503, 'busy'), self::error(503, 'busy'), self::ok()]);
        $exc = $this->expectThrows(ApiException::class, fn () => $client->payments->get('pay_1'));
        $this->assertSame(503, $exc->getHttpStatus());
        $this->assertSame('busy', $exc->getErrorCode());
        $this->assertSame('req_busy', $exc->getRequestId());
        $this->assertSame(3, count($this->server->requests()), '1 attempt + 2 retries');
        $this->assertSame('', $this->field('idempotency-key')[0], 'a GET carries no Idempotency-Key');
    }

    public function testNoRetryOn400Or409WithoutTheMarker(): void
    {
        $client = $this->client([self::error(400, 'bad_request'), self::error(409, 'duplicate_merchant_order_no'), self::error(409, 'idempotency_key_in_use')]);
        $this->expectThrows(InvalidRequestException::class, fn () => $client->payments->create(self::PARAMS));
        $this->expectThrows(ConflictException::class, fn () => $client->payments->create(self::PARAMS));
        $exc = $this->expectThrows(IdempotencyException::class, fn () => $client->payments->create(self::PARAMS));
        $this->assertSame('idempotency_key_in_use', $exc->getErrorCode());
        $this->assertSame(3, count($this->server->requests()), 'one attempt each');
        $this->assertSame([], $this->clock->sleeps);
    }

    public function testTheMarkerTrueRetriesA409(): void
    {
        $client = $this->client([self::error(409, 'idempotency_key_in_use', ['Paymux-Should-Retry' => 'true']), self::ok()]);
        $this->assertSame('pay_1', $client->payments->create(self::PARAMS)->id);
        $keys = $this->field('idempotency-key');
        $this->assertSame(2, count($keys));
        $this->assertSame($keys[0], $keys[1]);
    }

    public function testTheMarkerFalseForbidsRetryingA503(): void
    {
        $client = $this->client([self::error(503, 'channel_unavailable', ['Paymux-Should-Retry' => 'false']), self::ok()]);
        $exc = $this->expectThrows(\Paymux\Exception\ChannelException::class, fn () => $client->payments->create(self::PARAMS));
        $this->assertSame('false', $exc->getHttpHeaders()['paymux-should-retry']);
        $this->assertSame(1, count($this->server->requests()));
    }

    public function testRetryAfterIsAFloorCappedAtFiveSeconds(): void
    {
        $client = $this->client([self::error(503, 'busy', ['Retry-After' => '3']), self::error(503, 'busy', ['Retry-After' => '120']), self::ok()]);
        $client->payments->get('pay_1');
        $this->assertBetween(3.0, 3.0, $this->clock->sleeps[0], 'Retry-After: 3');
        $this->assertBetween(5.0, 5.0, $this->clock->sleeps[1], 'Retry-After: 120, capped');
    }

    public function testAStaleKeptAliveConnectionIsRetriedOnceWithRetriesOff(): void
    {
        $client = $this->client([self::ok(), ['close' => true], self::ok()], maxRetries: 0);
        $client->payments->get('pay_1'); // opens the connection that is kept alive
        $refund = $client->refunds->create('pay_1', ['amount' => 500, 'merchant_refund_no' => 'R-1']);
        $this->assertSame('pay_1', $refund->id);
        $requests = $this->server->requests();
        $connections = array_column($requests, 'connection');
        $this->assertSame([1, 1], array_slice($connections, 0, 2), 'the refund met the kept-alive connection');
        $this->assertTrue($connections[2] > 1, 'the resend went on a new connection');
        $this->assertSame([200, 'closed', 200], array_column($requests, 'answer'));
        $keys = $this->field('idempotency-key');
        $this->assertSame($keys[1], $keys[2], 'the same Idempotency-Key');
        $nonces = $this->field('nonce');
        $this->assertNotSame($nonces[1], $nonces[2], 're-signed with a new nonce');
        $this->assertEverySignatureValid();
        $this->assertSame([], $this->clock->sleeps, 'at once');
    }

    public function testAStaleConnectionUnderABodilessRequestIsResignedToo(): void
    {
        // libcurl re-sends a body-less request as it was (same nonce) when its reused connection
        // died; paymux answers that copy replayed_request, and the SDK re-signs once more.
        $client = $this->client([self::ok(), ['close' => true], self::ok()], maxRetries: 0, replayGuard: true);
        $client->payments->get('pay_1');
        $this->assertSame('pay_1', $client->payments->close('pay_1')->id);
        $requests = $this->server->requests();
        $this->assertSame('closed', $requests[1]['answer']);
        $this->assertSame(200, $requests[array_key_last($requests)]['answer']);
        $nonces = $this->field('nonce');
        $this->assertNotSame($nonces[1], end($nonces), 'the last attempt was re-signed');
        $keys = $this->field('idempotency-key');
        $this->assertSame($keys[1], end($keys), 'the same Idempotency-Key');
    }

    public function testOnlyOneFreeResendThenTheConnectionErrorSurfaces(): void
    {
        $client = $this->client([self::ok(), ['close' => true], ['close' => true], self::ok()], maxRetries: 0);
        $client->payments->get('pay_1');
        $this->expectThrows(ApiConnectionException::class, fn () => $client->payments->create(self::PARAMS));
        $this->assertSame(3, count($this->server->requests()), 'the stale resend, then no retry');
    }

    public function testAFailureAfterTheHeadersIsNoStaleSocketWithRetriesOff(): void
    {
        // the kept-alive connection answers a status line and headers, then breaks: not stale
        $client = $this->client([self::ok(), ['bad_chunk' => true], self::ok()], maxRetries: 0);
        $client->payments->get('pay_1');
        $exc = $this->expectThrows(ApiConnectionException::class, static fn () => $client->payments->get('pay_1'));
        $this->assertTrue(!$exc->isStaleConnection(), 'not a stale socket once headers came: ' . $exc->getMessage());
        $requests = $this->server->requests();
        $this->assertSame([200, 'bad_chunk'], array_column($requests, 'answer'), 'no free re-send');
        $this->assertSame($requests[0]['connection'], $requests[1]['connection'], 'the kept-alive connection was reused');
        $this->assertSame([], $this->clock->sleeps);
    }

    public function testAFailureAfterTheHeadersIsRetriedWithinMaxRetriesAfterTheBackoff(): void
    {
        $client = $this->client([self::ok(), ['bad_chunk' => true], self::ok()], maxRetries: 1);
        $client->payments->get('pay_1');
        $this->assertSame('pay_1', $client->payments->get('pay_1')->id);
        $this->assertSame([200, 'bad_chunk', 200], array_column($this->server->requests(), 'answer'));
        $this->assertSame(1, count($this->clock->sleeps), 'the retry waited its backoff');
        $this->assertBetween(0.25, 0.5, $this->clock->sleeps[0], 'the first wait');
    }

    public function testTheStaleRuleIsNoLineOfAnAnswer(): void
    {
        $this->assertTrue(CurlTransport::isStale(CURLE_RECV_ERROR, true, false), 'a reused connection dead before any line');
        $this->assertTrue(CurlTransport::isStale(65, false, false), 'libcurl could not rewind to re-send');
        $this->assertTrue(!CurlTransport::isStale(CURLE_RECV_ERROR, true, true), 'after a header line: a normal connection error');
        $this->assertTrue(!CurlTransport::isStale(65, true, true), 'nor after headers, whatever the error');
        $this->assertTrue(!CurlTransport::isStale(CURLE_RECV_ERROR, false, false), 'a new connection is never stale');
    }

    public function testAnEmptyIdempotencyKeyIsGenerated(): void
    {
        $client = $this->client([self::ok()]);
        $client->payments->create(self::PARAMS, '');
        $key = $this->field('idempotency-key')[0];
        $this->assertTrue(preg_match('/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/', $key) === 1, 'a UUID v4, not "": ' . $key);
    }

    public function testConnectionErrorsAreRetriedWithBackoff(): void
    {
        $client = $this->client([['close' => true], self::ok()], maxRetries: 1);
        $this->assertSame('pay_1', $client->payments->create(self::PARAMS)->id);
        $this->assertSame(2, count($this->server->requests()));
        $this->assertSame(1, count($this->clock->sleeps), 'a fresh connection that broke is a connection error: backoff');
        $keys = $this->field('idempotency-key');
        $this->assertSame($keys[0], $keys[1]);
    }

    public function testNobodyListening(): void
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        $url = 'http://' . stream_socket_get_name($socket, false);
        fclose($socket);
        $clock = new FakeClock();
        $client = new Client('app_retry', self::SECRET, $url, 2, 2.0, clock: $clock);
        $exc = $this->expectThrows(ApiConnectionException::class, fn () => $client->payments->get('pay_1'));
        $this->assertTrue(!$exc->isStaleConnection());
        $this->assertSame(2, count($clock->sleeps), 'two retries');
    }

    public function testHeadersOnTheWire(): void
    {
        $client = $this->client([self::ok(), self::ok()]);
        $payment = $client->payments->find('O-1|@*');
        $this->assertTrue($payment instanceof Payment);
        $client->payments->create(self::PARAMS);
        [$find, $create] = $this->server->requests();
        $this->assertSame('/v1/payments?merchant_order_no=O-1%7C%40%2A', $find['target'], 'the query, encoded, signed as sent');
        $this->assertSame(Client::userAgent(), $create['headers']['user-agent']);
        $this->assertTrue(preg_match('#^paymux-php/\d+\.\d+\.\d+ php/8\.\d+#', $create['headers']['user-agent']) === 1);
        $this->assertSame('application/json', $create['headers']['content-type']);
        $this->assertTrue(!isset($find['headers']['content-type']), 'no body, no Content-Type');
        $this->assertTrue(preg_match('/^[0-9a-f]{32}$/', $this->field('nonce')[1]) === 1, 'a 128-bit hex nonce');
        $this->assertEverySignatureValid();
    }

    public function testABaseUrlWithAPathSignsThatPathToo(): void
    {
        $this->client([self::ok()]);
        $client = new Client('app_retry', self::SECRET, $this->server->url . '/prod/', clock: $this->clock);
        $client->payments->get('pay_1');
        $this->assertSame('/prod/v1/payments/pay_1', $this->server->requests()[0]['target']);
        $this->assertEverySignatureValid();
    }
}
