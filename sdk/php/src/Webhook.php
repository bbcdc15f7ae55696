<?php

declare(strict_types=1);

namespace Paymux;

use Paymux\Exception\SignatureVerificationException;
use Paymux\Model\WebhookEvent;

/**
 * Verifying what paymux sends you before trusting it (docs/authentication.md §2, docs/checkout.md §3).
 *
 *     $event = \Paymux\Webhook::constructEvent(file_get_contents('php://input'),
 *         $_SERVER['HTTP_PAYMUX_SIGNATURE'] ?? '', $secret);
 *
 * Every comparison is constant-time (hash_equals).
 */
final class Webhook
{
    public const DEFAULT_TOLERANCE = 300;
    public const RETURN_FIELDS = ['paymux_session_id', 'paymux_merchant_order_no', 'paymux_payment_id', 'paymux_status', 'paymux_timestamp'];

    /**
     * The verified notification, from its raw body exactly as received and its
     * `Paymux-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` header: any v1 may match (one per
     * secret during a rotation); `t` must be within $tolerance seconds of now (0: not checked).
     *
     * @throws SignatureVerificationException
     */
    public static function constructEvent(string $payload, string $header, #[\SensitiveParameter] string $secret, int $tolerance = self::DEFAULT_TOLERANCE, ?int $now = null): WebhookEvent
    {
        [$timestamp, $signatures] = self::parseHeader($header);
        if ($tolerance > 0 && abs(($now ?? time()) - $timestamp) > $tolerance) {
            throw new SignatureVerificationException("the timestamp is outside the {$tolerance} s tolerance", $header);
        }
        $expected = self::sign($payload, $timestamp, $secret);
        $matched = false;
        foreach ($signatures as $signature) {
            $matched = hash_equals($expected, $signature) || $matched; // no early exit: constant time
        }
        if (!$matched) {
            throw new SignatureVerificationException('no signature matches the payload and secret', $header);
        }
        $event = json_decode($payload, true);
        if (!is_array($event)) {
            throw new SignatureVerificationException('the verified payload is not a JSON object', $header);
        }

        return new WebhookEvent($event);
    }

    /** A `Paymux-Signature` header for $payload, to test your notification handler. */
    public static function generateTestHeader(string $payload, #[\SensitiveParameter] string $secret, ?int $timestamp = null): string
    {
        $timestamp ??= time();

        return sprintf('t=%d,v1=%s', $timestamp, self::sign($payload, $timestamp, $secret));
    }

    /**
     * The checkout's signed return to your return_url: the five paymux_* values once their
     * signature (HMAC-SHA256 of the five `name=value` pairs joined by "&") and timestamp verify.
     * Show "paid" from it; fulfil the order from the notification or GET /v1/checkout/sessions/{id}.
     *
     * @param string|array<string, mixed> $query the query string ($_SERVER['QUERY_STRING']) or $_GET
     *
     * @return array<string, string>
     *
     * @throws SignatureVerificationException tampered, unsigned or stale
     */
    public static function verifyReturn(string|array $query, #[\SensitiveParameter] string $secret, int $tolerance = self::DEFAULT_TOLERANCE, ?int $now = null): array
    {
        $values = is_string($query) ? self::parseQuery($query) : $query;
        $fields = [];
        foreach (self::RETURN_FIELDS as $name) {
            $fields[$name] = is_string($values[$name] ?? null) ? $values[$name] : '';
        }
        $signed = implode('&', array_map(static fn ($name) => $name . '=' . $fields[$name], self::RETURN_FIELDS));
        $given = is_string($values['paymux_signature'] ?? null) ? strtolower($values['paymux_signature']) : '';
        if (!hash_equals(hash_hmac('sha256', $signed, $secret), $given)) {
            throw new SignatureVerificationException('the return signature does not match', $signed);
        }
        $stamp = $fields['paymux_timestamp'];
        if (!ctype_digit($stamp) || ($tolerance > 0 && abs(($now ?? time()) - (int) $stamp) > $tolerance)) {
            throw new SignatureVerificationException("the return timestamp is outside the {$tolerance} s tolerance", $signed);
        }

        return $fields;
    }

    private static function sign(string $payload, int $timestamp, string $secret): string
    {
        return hash_hmac('sha256', $timestamp . '.' . $payload, $secret);
    }

    /** @return array{int, list<string>} */
    private static function parseHeader(string $header): array
    {
        $timestamp = null;
        $signatures = [];
        foreach (explode(',', $header) as $part) {
            [$key, $value] = array_pad(explode('=', trim($part), 2), 2, '');
            if ($key === 't' && ctype_digit($value)) {
                $timestamp = (int) $value;
            } elseif ($key === 'v1' && $value !== '') {
                $signatures[] = $value;
            }
        }
        if ($timestamp === null || $signatures === []) {
            throw new SignatureVerificationException('Paymux-Signature must carry t=… and at least one v1=…', $header);
        }

        return [$timestamp, $signatures];
    }

    /**
     * Form-decodes a query string ('+' is a space) keeping names as they are: parse_str() would
     * turn dots and spaces in names into "_" and treat "[" specially.
     *
     * @return array<string, string>
     */
    private static function parseQuery(string $query): array
    {
        $values = [];
        foreach (explode('&', ltrim($query, '?')) as $pair) {
            if ($pair === '') {
                continue;
            }
            [$name, $value] = array_pad(explode('=', $pair, 2), 2, '');
            $values[urldecode($name)] = urldecode($value); // the last one wins, as in the other SDKs
        }

        return $values;
    }
}
