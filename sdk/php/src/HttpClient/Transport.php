<?php

declare(strict_types=1);

namespace Paymux\HttpClient;

use Paymux\Exception\ApiConnectionException;

/**
 * Sends one HTTP request, once: retrying is the client's business (it re-signs every attempt).
 * Implement it to route the SDK through your own HTTP stack.
 */
interface Transport
{
    /**
     * @param list<string> $headers "Name: value" lines
     *
     * @throws ApiConnectionException nothing (or not a whole answer) came back; isStaleConnection()
     *                                when a reused keep-alive connection was closed before any byte
     */
    public function send(string $method, string $url, array $headers, string $body, float $timeout): Response;
}
