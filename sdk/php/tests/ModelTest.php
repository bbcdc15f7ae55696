<?php

declare(strict_types=1);

namespace Paymux\Tests;

use Paymux\Model\CheckoutSession;
use Paymux\Model\Notification;
use Paymux\Model\NotificationAttempt;
use Paymux\Model\Payment;
use Paymux\Model\Refund;
use Paymux\Model\WebhookEvent;

final class ModelTest extends TestCase
{
    private const PAYMENT = [
        'id' => 'pay_01KB0000000000000000000000', 'object' => 'payment', 'merchant_order_no' => 'O-1',
        'amount' => 1999, 'currency' => 'CNY', 'method' => 'wechat.native', 'status' => 'SUCCESS',
        'subject' => '咖啡', 'description' => '', 'amount_refunded' => 500, 'amount_refundable' => 1499,
        'created_at' => '2026-12-01T08:00:00Z', 'expires_at' => '2026-12-01T08:30:00Z',
        'paid_at' => '2026-12-01T08:01:00Z', 'closed_at' => null,
        'channel' => ['provider' => 'wechat', 'trade_no' => '4200000001'],
        'action' => ['type' => 'qr_code', 'code_url' => 'weixin://wxpay/bizpayurl?pr=abc'],
        'failure' => null, 'metadata' => ['shop' => 'SH-01'], 'automatic_refunds' => [], 'version' => 3,
        'a_field_added_later' => ['nested' => true],
    ];

    public function testAPaymentIsTypedAndKeepsUnknownFields(): void
    {
        $payment = new Payment(self::PAYMENT);
        $this->assertSame(1499, $payment->amount_refundable);
        $this->assertSame(Payment::STATUS_SUCCESS, $payment->status);
        $this->assertSame(null, $payment->closed_at);
        $this->assertSame('weixin://wxpay/bizpayurl?pr=abc', $payment->action['code_url']);
        $this->assertSame(['nested' => true], $payment->a_field_added_later, 'an unknown field, as a property');
        $this->assertSame(['nested' => true], $payment['a_field_added_later'], 'and by key');
        $this->assertSame(self::PAYMENT, $payment->toArray());
        $this->assertSame(json_encode(self::PAYMENT), json_encode($payment));
        $this->expectThrows(\Error::class, static fn () => $payment->amount = 1, 'read-only');
        $this->expectThrows(\LogicException::class, static fn () => $payment['amount'] = 1, 'read-only by key');
    }

    public function testMissingFieldsReadAsNullOrEmptyAndLooseTypesAreCoerced(): void
    {
        $payment = new Payment(['id' => 'pay_1', 'amount' => '1999', 'status' => 'PENDING']);
        $this->assertSame(1999, $payment->amount);
        $this->assertSame('', $payment->subject);
        $this->assertSame(null, $payment->paid_at);
        $this->assertSame([], $payment->metadata);
        $this->assertSame(null, $payment->action);
        $this->assertSame(null, $payment->no_such_field);
    }

    public function testANotificationHoldsTypedAttemptsAndItsEvent(): void
    {
        $notification = new Notification([
            'id' => 'ntf_1', 'object' => 'notification', 'type' => 'payment.succeeded', 'payment_id' => 'pay_1',
            'notify_url' => 'https://shop.example.com/n', 'status' => 'delivered', 'created_at' => '2026-12-01T08:01:00Z',
            'attempts' => [['attempt' => 1, 'at' => '2026-12-01T08:01:00Z', 'status_code' => 200, 'latency_ms' => 12, 'error' => null, 'retry_in' => null]],
            'event' => ['id' => 'evt_1', 'type' => 'payment.succeeded', 'created' => 1764316800, 'data' => ['object' => self::PAYMENT]],
        ]);
        $this->assertTrue($notification->attempts[0] instanceof NotificationAttempt);
        $this->assertSame(200, $notification->attempts[0]->status_code);
        $this->assertSame(12.0, $notification->attempts[0]->latency_ms);
        $this->assertTrue($notification->event instanceof WebhookEvent);
        $this->assertSame(1499, $notification->event->dataObject()->amount_refundable);
    }

    public function testAWebhookEventsDataObjectIsItsModel(): void
    {
        $refund = ['id' => 're_1', 'object' => 'refund', 'payment_id' => 'pay_1', 'amount' => 500, 'status' => 'SUCCESS'];
        $this->assertTrue((new WebhookEvent(['data' => ['object' => $refund]]))->dataObject() instanceof Refund);
        $session = ['id' => 'cs_1', 'object' => 'checkout_session', 'status' => 'completed', 'methods' => ['wechat.native']];
        $this->assertSame(['wechat.native'], (new WebhookEvent(['data' => ['object' => $session]]))->dataObject()->methods);
        $this->assertTrue((new WebhookEvent(['data' => ['object' => $session]]))->dataObject() instanceof CheckoutSession);
        $this->assertSame(null, (new WebhookEvent(['data' => ['object' => ['object' => 'something_new']]]))->dataObject());
    }
}
