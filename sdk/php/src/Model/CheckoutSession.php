<?php

declare(strict_types=1);

namespace Paymux\Model;

/** A hosted checkout session (docs/checkout.md). */
final class CheckoutSession extends PaymuxObject
{
    public const STATUS_OPEN = 'open';
    public const STATUS_COMPLETED = 'completed';
    public const STATUS_EXPIRED = 'expired';

    public readonly string $id;
    public readonly string $object;
    /** where to send the payer */
    public readonly string $url;
    public readonly string $status;
    public readonly int $amount;
    public readonly string $currency;
    public readonly string $subject;
    public readonly string $merchant_order_no;
    /** @var list<string> */
    public readonly array $methods;
    public readonly string $return_url;
    public readonly ?string $payment_id;
    public readonly string $created_at;
    public readonly string $expires_at;
    public readonly ?string $completed_at;
}
