<?php

declare(strict_types=1);

namespace Paymux\Model;

/**
 * A verified notification body: `{"id": "evt_…", "type": "payment.succeeded", "created": …,
 * "data": {"object": {…}}}`. Process each id once: a retried notification carries the same id.
 */
final class WebhookEvent extends PaymuxObject
{
    public readonly string $id;
    public readonly string $type;
    /** unix seconds */
    public readonly int $created;
    /** @var array{object?: array<string, mixed>} */
    public readonly array $data;

    /** `data.object` as its model: a Payment, a Refund or a CheckoutSession (null for another kind). */
    public function dataObject(): Payment|Refund|CheckoutSession|null
    {
        $object = $this->data['object'] ?? null;
        if (!is_array($object)) {
            return null;
        }

        return match ($object['object'] ?? null) {
            'payment' => new Payment($object),
            'refund' => new Refund($object),
            'checkout_session' => new CheckoutSession($object),
            default => null,
        };
    }
}
