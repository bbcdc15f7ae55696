<?php

declare(strict_types=1);

namespace Paymux\Service;

use Paymux\Model\Notification;

/** `$paymux->notifications`. */
final class NotificationService extends ApiService
{
    /** POST /v1/notifications/{id}/resend: queue a failed notification again (202). Its id is the event id, evt_…. */
    public function resend(string $id, ?string $idempotencyKey = null): Notification
    {
        return new Notification($this->requestor->request('POST', '/v1/notifications/' . self::segment($id) . '/resend', null, $idempotencyKey));
    }
}
