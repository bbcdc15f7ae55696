<?php

declare(strict_types=1);

namespace Paymux\Service;

use Paymux\Model\Refund;

/** `$paymux->refunds`. */
final class RefundService extends ApiService
{
    /**
     * POST /v1/payments/{id}/refunds. Idempotent on merchant_refund_no, and on the automatic
     * Idempotency-Key across retries.
     *
     * @param array<string, mixed> $params amount (fen), merchant_refund_no, reason?
     */
    public function create(string $paymentId, array $params, ?string $idempotencyKey = null): Refund
    {
        return new Refund($this->requestor->request('POST', '/v1/payments/' . self::segment($paymentId) . '/refunds', $params, $idempotencyKey));
    }

    public function get(string $id): Refund
    {
        return new Refund($this->requestor->request('GET', '/v1/refunds/' . self::segment($id)));
    }
}
