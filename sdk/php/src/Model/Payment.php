<?php

declare(strict_types=1);

namespace Paymux\Model;

/** A payment (GET /v1/payments/{id}). Amounts are integers in fen. */
final class Payment extends PaymuxObject
{
    public const STATUS_PENDING = 'PENDING';
    public const STATUS_PROCESSING = 'PROCESSING';
    public const STATUS_SUCCESS = 'SUCCESS';
    public const STATUS_FAILED = 'FAILED';
    public const STATUS_CLOSED = 'CLOSED';
    public const STATUS_REFUNDED = 'REFUNDED';

    public readonly string $id;
    public readonly string $object;
    public readonly string $merchant_order_no;
    public readonly int $amount;
    public readonly string $currency;
    public readonly string $method;
    public readonly string $status;
    public readonly string $subject;
    public readonly string $description;
    public readonly int $amount_refunded;
    public readonly int $amount_refundable;
    public readonly string $created_at;
    public readonly string $expires_at;
    public readonly ?string $paid_at;
    public readonly ?string $closed_at;
    /** @var array{provider: ?string, trade_no: ?string}|array{} */
    public readonly array $channel;
    /** @var array<string, mixed>|null how the payer pays: `type` (qr_code, redirect, …) and its fields */
    public readonly ?array $action;
    /** @var array{code: string, message: string}|null */
    public readonly ?array $failure;
    /** @var array<string, mixed> */
    public readonly array $metadata;
    /** @var list<array<string, mixed>> */
    public readonly array $automatic_refunds;
    public readonly int $version;
}
