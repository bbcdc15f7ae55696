<?php

declare(strict_types=1);

namespace Paymux\Service;

use Paymux\Model\Event;
use Paymux\Model\Notification;
use Paymux\Model\Payment;

/** `$paymux->payments`. */
final class PaymentService extends ApiService
{
    /**
     * POST /v1/payments. Idempotent on merchant_order_no; a POST also carries an automatic
     * Idempotency-Key (the same across its retries) unless you give one.
     *
     * @param array<string, mixed> $params amount (fen), currency, method, subject, merchant_order_no, notify_url, …
     */
    public function create(array $params, ?string $idempotencyKey = null): Payment
    {
        return new Payment($this->requestor->request('POST', '/v1/payments', $params, $idempotencyKey));
    }

    public function get(string $id): Payment
    {
        return new Payment($this->requestor->request('GET', '/v1/payments/' . self::segment($id)));
    }

    /** GET /v1/payments?merchant_order_no=…: the payment by your own order number. */
    public function find(string $merchantOrderNo): Payment
    {
        $query = http_build_query(['merchant_order_no' => $merchantOrderNo], '', '&', PHP_QUERY_RFC3986);

        return new Payment($this->requestor->request('GET', '/v1/payments?' . $query));
    }

    public function close(string $id, ?string $idempotencyKey = null): Payment
    {
        return new Payment($this->requestor->request('POST', '/v1/payments/' . self::segment($id) . '/close', null, $idempotencyKey));
    }

    /** @return list<Event> the payment's audit trail, oldest first */
    public function events(string $id): array
    {
        $list = $this->requestor->request('GET', '/v1/payments/' . self::segment($id) . '/events');

        return array_map(static fn (array $item) => new Event($item), array_values($list['data'] ?? []));
    }

    /** @return list<Notification> the notifications sent for the payment, with their deliveries */
    public function notifications(string $id): array
    {
        $list = $this->requestor->request('GET', '/v1/payments/' . self::segment($id) . '/notifications');

        return array_map(static fn (array $item) => new Notification($item), array_values($list['data'] ?? []));
    }
}
