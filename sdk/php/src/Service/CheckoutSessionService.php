<?php

declare(strict_types=1);

namespace Paymux\Service;

use Paymux\Model\CheckoutSession;

/** `$paymux->checkoutSessions`: the hosted checkout (docs/checkout.md). */
final class CheckoutSessionService extends ApiService
{
    /** @param array<string, mixed> $params amount, currency, subject, merchant_order_no, notify_url, return_url, methods, expires_in? */
    public function create(array $params, ?string $idempotencyKey = null): CheckoutSession
    {
        return new CheckoutSession($this->requestor->request('POST', '/v1/checkout/sessions', $params, $idempotencyKey));
    }

    public function get(string $id): CheckoutSession
    {
        return new CheckoutSession($this->requestor->request('GET', '/v1/checkout/sessions/' . self::segment($id)));
    }
}
