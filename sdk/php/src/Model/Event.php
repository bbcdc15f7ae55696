<?php

declare(strict_types=1);

namespace Paymux\Model;

/** One entry of a payment's audit trail (GET /v1/payments/{id}/events). */
final class Event extends PaymuxObject
{
    public readonly string $type;
    public readonly string $actor;
    public readonly ?string $from_status;
    public readonly string $to_status;
    public readonly ?string $refund_id;
    public readonly string $at;
    /** @var array<string, mixed> */
    public readonly array $detail;
}
