<?php

declare(strict_types=1);

namespace Paymux\Model;

/** A refund (GET /v1/refunds/{id}). */
final class Refund extends PaymuxObject
{
    public const STATUS_PROCESSING = 'PROCESSING';
    public const STATUS_SUCCESS = 'SUCCESS';
    public const STATUS_FAILED = 'FAILED';
    public const STATUS_ABNORMAL = 'ABNORMAL';

    public readonly string $id;
    public readonly string $object;
    public readonly string $payment_id;
    public readonly string $merchant_refund_no;
    public readonly int $amount;
    public readonly string $currency;
    public readonly string $reason;
    public readonly string $status;
    public readonly ?string $channel_refund_no;
    public readonly string $created_at;
    public readonly ?string $succeeded_at;
    /** `merchant_bank_card` or `user_bank_card` once an abnormal refund was re-issued */
    public readonly ?string $reissued_to;
    /** @var array{code: string, message: string}|null */
    public readonly ?array $failure;
}
