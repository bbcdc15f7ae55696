<?php

declare(strict_types=1);

namespace Paymux\Model;

/** One delivery attempt of a notification. */
final class NotificationAttempt extends PaymuxObject
{
    public readonly int $attempt;
    public readonly string $at;
    public readonly ?int $status_code;
    public readonly ?float $latency_ms;
    public readonly ?string $error;
    public readonly ?int $retry_in;
}
