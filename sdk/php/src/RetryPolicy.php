<?php

declare(strict_types=1);

namespace Paymux;

use Paymux\HttpClient\Response;

/**
 * Exactly what is safe to retry: connection errors, 502/503/504, and answers paymux marks
 * `Paymux-Should-Retry: true`; never one marked `false`. The wait before retry n is
 * min(0.5·2^(n−1), 5) s × a jitter in [0.5, 1], and at least Retry-After (capped at 5 s).
 */
final class RetryPolicy
{
    public const DEFAULT_MAX_RETRIES = 2;
    private const INITIAL_DELAY = 0.5;
    private const MAX_DELAY = 5.0;
    private const RETRYABLE_STATUSES = [502, 503, 504];
    private const JITTER_STEPS = 1_000_000; // Randomizer::nextFloat() is PHP 8.3

    private readonly \Random\Randomizer $random;

    public function __construct(public readonly int $maxRetries = self::DEFAULT_MAX_RETRIES, ?\Random\Randomizer $random = null)
    {
        if ($maxRetries < 0) {
            throw new \InvalidArgumentException('maxRetries must be 0 or more');
        }
        $this->random = $random ?? new \Random\Randomizer();
    }

    public function shouldRetry(Response $response): bool
    {
        $marker = strtolower(trim($response->header('paymux-should-retry') ?? ''));

        return match ($marker) {
            'true' => true,
            'false' => false,
            default => in_array($response->status, self::RETRYABLE_STATUSES, true),
        };
    }

    /** Seconds to wait before retry number $retry (1, 2, …). */
    public function delay(int $retry, ?Response $response = null): float
    {
        $backoff = min(self::INITIAL_DELAY * 2 ** ($retry - 1), self::MAX_DELAY);
        $jitter = 0.5 + 0.5 * $this->random->getInt(0, self::JITTER_STEPS) / self::JITTER_STEPS;
        $retryAfter = $response?->header('retry-after');
        $floor = $retryAfter !== null && ctype_digit(trim($retryAfter)) ? min((float) trim($retryAfter), self::MAX_DELAY) : 0.0;

        return max($backoff * $jitter, $floor);
    }
}
