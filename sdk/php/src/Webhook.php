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
     * secret during a rotation); `t` must be within $tolerance seconds of now, compared to the
     * microsecond (300.5 s is stale for 300). A tolerance of 0 turns the check off (as Stripe's
     * SDKs do); a negative one is an \InvalidArgumentException. An empty secret, two `t=` or a
     * verified payload that is not a JSON object never verify. $now (unix seconds) is for tests.
     *
     * @throws SignatureVerificationException
     */
    public static function constructEvent(string $payload, string $header, #[\SensitiveParameter] string $secret, int $tolerance = self::DEFAULT_TOLERANCE, int|float|null $now = null): WebhookEvent
    {
        self::checkTolerance($tolerance);
        if ($secret === '') { // an empty key would verify whatever was signed with an empty key
            throw new SignatureVerificationException('the secret is empty', $header);
        }
        [$timestamp, $signatures] = self::parseHeader($header);
        if (self::outside($timestamp, $tolerance, $now)) {
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
        // '[1]' decodes to an array too: only an object ('{…}') is an event
        if (!is_array($event) || !str_starts_with(ltrim($payload, " \t\n\r"), '{')) {
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
     * A leading '?' is stripped; the merchant's own parameters are ignored whatever their form; a
     * paymux_* parameter that appears more than once is refused (PHP's $_GET has already kept
     * only the last of them: pass the query string to have repeats refused). The tolerance is
     * constructEvent's.
     *
     * @param string|array<string, mixed> $query the query string ($_SERVER['QUERY_STRING']) or $_GET
     *
     * @return array<string, string>
     *
     * @throws SignatureVerificationException tampered, unsigned, stale, repeated, or an empty secret
     */
    public static function verifyReturn(string|array $query, #[\SensitiveParameter] string $secret, int $tolerance = self::DEFAULT_TOLERANCE, int|float|null $now = null): array
    {
        self::checkTolerance($tolerance);
        if ($secret === '') {
            throw new SignatureVerificationException('the secret is empty', '');
        }
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
        if (!ctype_digit($stamp) || self::outside((int) $stamp, $tolerance, $now)) {
            throw new SignatureVerificationException("the return timestamp is outside the {$tolerance} s tolerance", $signed);
        }

        return $fields;
    }

    private static function checkTolerance(int $tolerance): void
    {
        if ($tolerance < 0) {
            throw new \InvalidArgumentException("the tolerance must be ≥ 0 seconds (0 turns the time check off), not {$tolerance}");
        }
    }

    /** Whether $timestamp is more than $tolerance seconds from now, to the microsecond. */
    private static function outside(int $timestamp, int $tolerance, int|float|null $now): bool
    {
        return $tolerance !== 0 && abs(($now ?? microtime(true)) - $timestamp) > $tolerance;
    }

    private static function sign(string $payload, int $timestamp, string $secret): string
    {
        return hash_hmac('sha256', $timestamp . '.' . $payload, $secret);
    }

    /** @return array{int, list<string>} */
    private static function parseHeader(string $header): array
    {
        $timestamp = null;
        $seenT = false;
        $signatures = [];
        foreach (explode(',', $header) as $part) {
            [$key, $value] = array_pad(explode('=', trim($part), 2), 2, '');
            if ($key === 't') {
                if ($seenT) { // two t= would let a parser pick another one than was signed
                    throw new SignatureVerificationException('Paymux-Signature carries t= twice', $header);
                }
                $seenT = true;
                $timestamp = ctype_digit($value) && strlen($value) <= 18 ? (int) $value : null;
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
     * The query's paymux_* parameters, form-decoded ('+' is a space), names kept as they are:
     * parse_str() would turn dots and spaces in names into "_" and treat "[" specially. The
     * merchant's own parameters are skipped; a paymux_* name seen twice is refused.
     *
     * @return array<string, string>
     */
    private static function parseQuery(string $query): array
    {
        $values = [];
        foreach (explode('&', str_starts_with($query, '?') ? substr($query, 1) : $query) as $pair) {
            [$name, $value] = array_pad(explode('=', $pair, 2), 2, '');
            $name = urldecode($name);
            if (!str_starts_with($name, 'paymux_')) {
                continue; // the merchant's own parameter
            }
            if (array_key_exists($name, $values)) {
                throw new SignatureVerificationException("the return carries {$name} more than once", $query);
            }
            $values[$name] = urldecode($value);
        }

        return $values;
    }
}
