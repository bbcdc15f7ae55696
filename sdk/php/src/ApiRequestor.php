<?php

declare(strict_types=1);

namespace Paymux;

use Paymux\Exception\ApiConnectionException;
use Paymux\Exception\ApiErrorException;
use Paymux\Exception\ApiException;
use Paymux\Exception\ErrorMapping;
use Paymux\HttpClient\Response;
use Paymux\HttpClient\Transport;

/**
 * Signs, sends and retries one API call. Every attempt is signed anew (a new timestamp and
 * nonce: paymux refuses a nonce it has seen); a POST keeps one Idempotency-Key across its
 * attempts, so a retried create or refund can never move money twice.
 */
final class ApiRequestor
{
    private readonly string $pathPrefix;

    public function __construct(
        private readonly RequestSigner $signer,
        private readonly string $baseUrl,
        private readonly RetryPolicy $retries,
        private readonly float $timeout,
        private readonly Transport $transport,
        private readonly Clock $clock,
        private readonly string $userAgent,
    ) {
        // a base URL with a path (an API Gateway stage) sends, so signs, that path too
        $this->pathPrefix = rtrim((string) parse_url($baseUrl, PHP_URL_PATH), '/');
    }

    /**
     * @param array<string, mixed>|null $params the JSON body (null: no body)
     *
     * @return array<string, mixed> the decoded JSON answer
     *
     * @throws ApiErrorException|ApiConnectionException
     */
    public function request(string $method, string $path, ?array $params = null, ?string $idempotencyKey = null): array
    {
        $body = $params === null ? '' : self::encode($params);
        $idempotencyKey = $idempotencyKey === '' ? null : $idempotencyKey; // empty: none given
        $key = $method === 'POST' ? ($idempotencyKey ?? self::uuid4()) : $idempotencyKey;
        $retry = 0;
        $freshSendUsed = false; // the one immediate re-send a stale keep-alive connection earns
        while (true) {
            try {
                $response = $this->send($method, $path, $body, $key);
            } catch (ApiConnectionException $exc) {
                if ($exc->isStaleConnection() && !$freshSendUsed) {
                    $freshSendUsed = true;
                    continue;
                }
                if ($retry >= $this->retries->maxRetries) {
                    throw $exc;
                }
                $this->clock->sleep($this->retries->delay(++$retry));
                continue;
            }
            if ($response->status >= 200 && $response->status < 300) {
                return self::decode($response);
            }
            if (!$freshSendUsed && self::isOwnReplay($response)) {
                $freshSendUsed = true;
                continue;
            }
            if ($retry >= $this->retries->maxRetries || !$this->retries->shouldRetry($response)) {
                throw ErrorMapping::fromResponse($response);
            }
            $this->clock->sleep($this->retries->delay(++$retry, $response));
        }
    }

    private function send(string $method, string $path, string $body, ?string $idempotencyKey): Response
    {
        $timestamp = (string) $this->clock->now();
        $headers = [
            'Authorization: ' . $this->signer->authorization($method, $this->pathPrefix . $path, $timestamp, RequestSigner::nonce(), $body),
            'User-Agent: ' . $this->userAgent,
            'Accept: application/json',
        ];
        if ($body !== '') {
            $headers[] = 'Content-Type: application/json';
        }
        if ($idempotencyKey !== null) {
            $headers[] = 'Idempotency-Key: ' . $idempotencyKey;
        }

        return $this->transport->send($method, $this->baseUrl . $path, $headers, $body, $this->timeout);
    }

    /**
     * `replayed_request` answers a nonce this SDK drew at random a moment ago: only a copy of this
     * very attempt can have used it (libcurl re-sends a body-less request as it was when its
     * reused connection died), so the request is re-signed and sent once more.
     */
    private static function isOwnReplay(Response $response): bool
    {
        $decoded = json_decode($response->body, true);

        return $response->status === 401 && is_array($decoded) && ($decoded['error']['code'] ?? null) === 'replayed_request';
    }

    /** @param array<string, mixed> $params */
    private static function encode(array $params): string
    {
        try {
            return $params === [] ? '{}' : json_encode($params, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
        } catch (\JsonException $exc) {
            throw new \InvalidArgumentException('the parameters cannot be sent as JSON: ' . $exc->getMessage(), 0, $exc);
        }
    }

    /** @return array<string, mixed> */
    private static function decode(Response $response): array
    {
        $decoded = json_decode($response->body, true);
        if (!is_array($decoded)) {
            throw new ApiException('paymux answered with a body that is not a JSON object', $response->status, 'invalid_response', $response->header('apigw-requestid') ?? $response->header('x-request-id'), [], $response->headers, $response->body);
        }

        return $decoded;
    }

    /** A random UUID v4, the automatic Idempotency-Key of a POST. */
    public static function uuid4(): string
    {
        $bytes = random_bytes(16);
        $bytes[6] = chr((ord($bytes[6]) & 0x0F) | 0x40);
        $bytes[8] = chr((ord($bytes[8]) & 0x3F) | 0x80);

        return vsprintf('%s%s-%s-%s-%s-%s%s%s', str_split(bin2hex($bytes), 4));
    }
}
