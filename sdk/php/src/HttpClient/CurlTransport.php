<?php

declare(strict_types=1);

namespace Paymux\HttpClient;

use Paymux\Exception\ApiConnectionException;

/**
 * The default transport: PHP's curl extension, one handle kept per client so that its
 * keep-alive connection is reused.
 *
 * libcurl silently re-sends a request whose reused connection died before any answer byte,
 * with the same headers, so with the same nonce, which paymux refuses as a replay. A body is
 * therefore streamed through a read callback that cannot rewind: libcurl then gives up with
 * CURLE_SEND_FAIL_REWIND instead, reported here as a stale connection, and the client re-signs
 * and sends the request again itself. A body-less request has nothing to rewind, so libcurl
 * still re-sends it as it was; ApiRequestor re-signs it if paymux answers that copy
 * `replayed_request`.
 */
final class CurlTransport implements Transport
{
    private const SEND_FAIL_REWIND = 65;
    /** Errors that mean "a reused connection was dead" when no new connection was made. */
    private const DEAD_CONNECTION = [CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR];

    private ?\CurlHandle $handle = null;

    public function send(string $method, string $url, array $headers, string $body, float $timeout): Response
    {
        $handle = $this->handle ??= curl_init();
        curl_reset($handle);
        $received = [];
        $headerLines = 0; // any line of an answer at all: then a failure is no stale socket
        $options = [
            CURLOPT_URL => $url,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => [...$headers, 'Expect:'],
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_TIMEOUT_MS => (int) ceil($timeout * 1000),
            CURLOPT_CONNECTTIMEOUT_MS => (int) ceil(min($timeout, 10.0) * 1000),
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
            CURLOPT_HEADERFUNCTION => static function ($ch, string $line) use (&$received, &$headerLines): int {
                ++$headerLines;
                self::collectHeader($received, $line);

                return strlen($line);
            },
        ];
        curl_setopt_array($handle, $options + self::bodyOptions($method, $body));
        $answer = curl_exec($handle);
        if (!is_string($answer)) {
            throw self::connectionError($handle, $headerLines > 0);
        }

        return new Response((int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE), $received, $answer);
    }

    /**
     * A stale keep-alive socket: the connection died before any line of an answer arrived. Once
     * a status or header line has come, the failure (a reset, a broken chunk) is an ordinary
     * connection error, retried only within max_retries and after the backoff.
     */
    public static function isStale(int $errno, bool $reused, bool $answered): bool
    {
        if ($answered) {
            return false;
        }

        return $errno === self::SEND_FAIL_REWIND || ($reused && in_array($errno, self::DEAD_CONNECTION, true));
    }

    /** @return array<int, mixed> */
    private static function bodyOptions(string $method, string $body): array
    {
        if ($body === '') {
            return $method === 'GET' ? [CURLOPT_HTTPGET => true] : [CURLOPT_POST => true, CURLOPT_POSTFIELDS => ''];
        }
        $offset = 0;

        return [
            // an upload (with CURLOPT_CUSTOMREQUEST's method) sends Content-Length from
            // INFILESIZE; a POST with a read callback would be chunked (PHP has no POSTFIELDSIZE)
            CURLOPT_UPLOAD => true,
            CURLOPT_INFILESIZE => strlen($body),
            CURLOPT_READFUNCTION => static function ($ch, $stream, int $length) use ($body, &$offset): string {
                $chunk = (string) substr($body, $offset, $length);
                $offset += strlen($chunk);

                return $chunk;
            },
        ];
    }

    /** @param array<string, string> $received */
    private static function collectHeader(array &$received, string $line): void
    {
        if (str_starts_with($line, 'HTTP/')) {
            $received = []; // a new status line (after a 1xx): only the final answer's headers count
        } elseif (str_contains($line, ':')) {
            [$name, $value] = explode(':', $line, 2);
            $received[strtolower(trim($name))] = trim($value);
        }
    }

    private static function connectionError(\CurlHandle $handle, bool $answered): ApiConnectionException
    {
        $errno = curl_errno($handle);
        $reused = curl_getinfo($handle, CURLINFO_NUM_CONNECTS) === 0;
        $stale = self::isStale($errno, $reused, $answered);

        return new ApiConnectionException(sprintf('could not reach paymux: %s (curl error %d)', curl_error($handle), $errno), $stale);
    }
}
