<?php

declare(strict_types=1);

namespace Paymux\Exception;

use Paymux\HttpClient\Response;

/**
 * paymux's error answers to typed exceptions: by HTTP status, then by `error.code`. An answer
 * without paymux's error envelope (a proxy's page, API Gateway's own answers) has the code
 * `http_<status>`; the request id is the body's, else the `apigw-requestid` header's.
 */
final class ErrorMapping
{
    private const IDEMPOTENCY_CODES = ['idempotency_key_reused', 'idempotency_key_in_use'];

    public static function fromResponse(Response $response): ApiErrorException
    {
        $decoded = json_decode($response->body, true);
        $error = is_array($decoded) && is_array($decoded['error'] ?? null) ? $decoded['error'] : [];
        $code = is_string($error['code'] ?? null) && $error['code'] !== '' ? $error['code'] : 'http_' . $response->status;
        $message = match (true) {
            is_string($error['message'] ?? null) => $error['message'],
            // API Gateway's throttling answer is {"message": "Too Many Requests"}, no envelope
            is_array($decoded) && is_string($decoded['message'] ?? null) => $decoded['message'],
            default => sprintf('paymux answered HTTP %d', $response->status),
        };
        $requestId = is_string($error['request_id'] ?? null) && $error['request_id'] !== ''
            ? $error['request_id']
            : ($response->header('apigw-requestid') ?? $response->header('x-request-id'));
        $details = is_array($error['details'] ?? null) ? array_values($error['details']) : [];
        $class = self::classFor($response->status, $code);

        return new $class($message, $response->status, $code, $requestId, $details, $response->headers, $response->body);
    }

    /** @return class-string<ApiErrorException> */
    private static function classFor(int $status, string $code): string
    {
        return match (true) {
            $status === 401 || $status === 403 => AuthenticationException::class,
            $status === 404 => NotFoundException::class,
            $status === 409 && in_array($code, self::IDEMPOTENCY_CODES, true) => IdempotencyException::class,
            $status === 409 => ConflictException::class,
            $status === 429 => RateLimitException::class,
            $status >= 500 && str_starts_with($code, 'channel_') => ChannelException::class,
            $status >= 400 && $status < 500 => InvalidRequestException::class,
            default => ApiException::class,
        };
    }
}
