<?php

declare(strict_types=1);

namespace Paymux;

/**
 * docs/authentication.md §1: `Authorization: PAYMUX-HMAC-SHA256 app_id=…,timestamp=…,nonce=…,signature=…`
 * over six lines (scheme, method, path with query, timestamp, nonce, SHA-256 of the body bytes).
 */
final class RequestSigner
{
    public const SCHEME = 'PAYMUX-HMAC-SHA256';

    public function __construct(private readonly string $appId, #[\SensitiveParameter] private readonly string $secret)
    {
    }

    /** @param string $pathWithQuery the path, and "?" and the query string exactly as sent */
    public static function stringToSign(string $method, string $pathWithQuery, string $timestamp, string $nonce, string $body): string
    {
        return implode("\n", [self::SCHEME, strtoupper($method), $pathWithQuery, $timestamp, $nonce, hash('sha256', $body)]) . "\n";
    }

    public function signature(string $method, string $pathWithQuery, string $timestamp, string $nonce, string $body): string
    {
        return hash_hmac('sha256', self::stringToSign($method, $pathWithQuery, $timestamp, $nonce, $body), $this->secret);
    }

    public function authorization(string $method, string $pathWithQuery, string $timestamp, string $nonce, string $body): string
    {
        return sprintf(
            '%s app_id="%s",timestamp="%s",nonce="%s",signature="%s"',
            self::SCHEME,
            $this->appId,
            $timestamp,
            $nonce,
            $this->signature($method, $pathWithQuery, $timestamp, $nonce, $body),
        );
    }

    /** var_dump() and print_r() never show the secret. */
    public function __debugInfo(): array
    {
        return ['appId' => $this->appId];
    }

    /** A new random 128-bit nonce in hex, for every attempt. */
    public static function nonce(): string
    {
        return bin2hex(random_bytes(16));
    }
}
