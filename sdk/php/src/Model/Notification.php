<?php

declare(strict_types=1);

namespace Paymux\Model;

/** A notification paymux sends to a notify_url, with its deliveries (GET /v1/payments/{id}/notifications). */
final class Notification extends PaymuxObject
{
    public readonly string $id;
    public readonly string $object;
    public readonly string $type;
    public readonly string $payment_id;
    public readonly string $notify_url;
    /** pending, delivered or failed */
    public readonly string $status;
    public readonly string $created_at;
    /** @var list<NotificationAttempt> */
    public readonly array $attempts;
    /** the body that is (or was) POSTed */
    public readonly ?WebhookEvent $event;

    protected static function listsOf(): array
    {
        return ['attempts' => NotificationAttempt::class];
    }
}
