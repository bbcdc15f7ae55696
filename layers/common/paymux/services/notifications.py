"""Merchant notifications: hand the outbox to SQS, deliver signed POSTs, retry on the merchant's
schedule with SQS DelaySeconds (chained past SQS's 900 s cap), log every attempt, and after the
last retry mark the notification failed and put it on the exception list with its merchant.

A merchant's endpoint being down is the merchant's problem, not an outage: it never raises (so
Lambda records no error) and never reaches the DLQ (so no operator is paged). The DLQ holds only
messages the notifier itself could not handle (docs/operations.md, runbook)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

from paymux.clock import iso
from paymux.deps import Deps
from paymux.errors import Conflict, NotFound, PaymuxError
from paymux.observability import emit_metric
from paymux.services.urls import check_resolves_public
from paymux.store.exceptions import record_exception
from paymux.store.merchants import MerchantApp

log = logging.getLogger("paymux")
SQS_MAX_DELAY = 900
DELIVERY_TIMEOUT = 5.0
# A handed-off attempt that has not happened this long after it was due is re-sent by the
# sweeper: longer than the notifier's timeout times SQS's receives before the DLQ.
OVERDUE_GRACE = 600.0


def signature_header(secrets: list[str], timestamp: int, body: bytes) -> str:
    """Stripe-style: `t=<unix>,v1=<hex>`; during a key rotation one v1 per valid key."""
    signed = str(timestamp).encode() + b"." + body
    parts = [f"t={timestamp}"]
    parts += [f"v1={hmac.new(s.encode(), signed, hashlib.sha256).hexdigest()}" for s in secrets]
    return ",".join(parts)


def send(
    d: Deps, payment_id: str, notification_id: str, attempt: int, delay: int, not_before: float = 0
) -> None:
    body: dict[str, Any] = {
        "payment_id": payment_id,
        "notification_id": notification_id,
        "attempt": attempt,
    }
    if not_before:
        body["not_before"] = not_before
    d.sqs.send_message(
        QueueUrl=d.settings.notify_queue_url,
        MessageBody=json.dumps(body),
        DelaySeconds=max(0, min(delay, SQS_MAX_DELAY)),
    )


def hand_off(d: Deps, payment_id: str, notification_ids: list[str]) -> None:
    """After a committed transaction: its new notifications go to SQS. Writes nothing (the
    outbox item was written overdue in FIRST_OVERDUE, paymux.store.notifications); a failed
    send is logged, not raised: the sweeper sends the notification when it is overdue."""
    for notification_id in notification_ids:
        try:
            send(d, payment_id, notification_id, attempt=0, delay=0)
        except Exception:
            log.exception("enqueue failed for %s; the sweeper will re-send", notification_id)


def deliver(d: Deps, message: dict[str, Any]) -> str:
    """Handles one queue message; returns what happened. Raises only for infrastructure
    errors, so SQS redelivers and, after maxReceiveCount, dead-letters the message."""
    payment_id, notification_id = message["payment_id"], message["notification_id"]
    attempt = int(message.get("attempt", 0))
    now = d.clock()
    not_before = float(message.get("not_before", 0))
    if not_before > now:
        send(d, payment_id, notification_id, attempt, int(not_before - now + 0.999), not_before)
        return "deferred"
    notification = d.notifications.get(payment_id, notification_id)
    if notification is None:
        log.error("notification %s/%s not found; dropping message", payment_id, notification_id)
        return "missing"
    if notification["status"] != "pending" or int(notification["attempts"]) != attempt:
        return "duplicate"  # already settled, or this attempt was already made
    app = d.merchants.app(notification["app_id"])
    result = _post(d, notification, app)
    emit_metric("NotificationLatency", result["latency_ms"], "Milliseconds")
    number = attempt + 1
    schedule = app.notify_schedule if app else ()
    if result["ok"]:
        d.notifications.record_attempt(notification, number, result, final="delivered")
        emit_metric("NotificationAttempts", result="delivered")
        return "delivered"
    if attempt < len(schedule):
        delay = int(schedule[attempt])
        overdue_at = now + delay + OVERDUE_GRACE
        d.notifications.record_attempt(notification, number, {**result, "retry_in": delay}, None, overdue_at)
        send(
            d,
            payment_id,
            notification_id,
            number,
            delay,
            now + delay if delay > SQS_MAX_DELAY else 0,
        )
        emit_metric("NotificationAttempts", result="failed")
        return "retry"
    d.notifications.record_attempt(notification, number, result, final="failed")
    _record_gave_up(d, notification, number, result)
    emit_metric("NotificationAttempts", result="gave_up")
    return "failed"


def _record_gave_up(d: Deps, notification: dict[str, Any], attempts: int, result: dict[str, Any]) -> None:
    """The merchant's endpoint failed every attempt: an exception-list entry naming the merchant
    and the notification (one per give-up; a manual re-send that fails again adds one), with no
    alarm metric: the merchant sees it in GET /v1/payments/{id}/notifications and re-sends."""
    notification_id = notification["notification_id"]
    detail = {
        "merchant_id": notification["merchant_id"],
        "notification_id": notification_id,
        "payment_id": notification["payment_id"],
        "notify_url": notification["notify_url"],
        "attempts": attempts,
        "last_status_code": result.get("status_code"),
        "last_error": result.get("error"),
    }
    key = f"notification_failed#{notification_id}#{attempts}"
    record_exception(d, "notification_failed", notification["merchant_id"], detail, key=key, metric=None)
    log.warning("notification %s failed after %d attempts; on the exception list", notification_id, attempts)


def _post(d: Deps, notification: dict[str, Any], app: MerchantApp | None) -> dict[str, Any]:
    body = notification["payload"].encode()
    started = time.perf_counter()
    result: dict[str, Any] = {"at": d.clock(), "status_code": None, "error": None}
    try:
        if app is None:
            raise NotFound(f"merchant app {notification['app_id']} no longer exists")
        check_resolves_public(notification["notify_url"], d.settings.allow_http_urls)
        keys = [k.secret for k in d.merchants.signing_keys(app.app_id)]
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "paymux-webhooks/1.0",
            "Paymux-Event-Id": notification["notification_id"],
            "Paymux-Signature": signature_header(keys, int(d.clock()), body),
        }
        response = d.merchant_http.request(
            "POST", notification["notify_url"], headers=headers, body=body, timeout=DELIVERY_TIMEOUT
        )
        result["status_code"] = response.status
        if not 200 <= response.status < 300:
            result["error"] = f"HTTP {response.status}"
    except PaymuxError as exc:
        result["error"] = exc.message
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    result["ok"] = result["error"] is None
    return result


def resend(d: Deps, app: MerchantApp, notification_id: str) -> dict[str, Any]:
    """Manual re-send of a failed notification: one more attempt, now."""
    notification = d.notifications.find(notification_id)
    if notification is None or notification["merchant_id"] != app.merchant_id:
        raise NotFound(f"no notification {notification_id}")
    if notification["status"] != "failed":
        raise Conflict(
            "notification_not_failed", f"notification {notification_id} is {notification['status']}"
        )
    payment_id = notification["payment_id"]
    reopened = d.notifications.reopen(payment_id, notification_id, d.clock() + OVERDUE_GRACE)
    send(d, payment_id, notification_id, int(reopened["attempts"]), 0)
    logged = next(
        n for n in d.notifications.for_payment(payment_id) if n["notification_id"] == notification_id
    )
    return public_notification(logged)


def list_for_payment(d: Deps, app: MerchantApp, payment_id: str) -> list[dict[str, Any]]:
    payment = d.payments.get(payment_id)
    if payment is None or payment.merchant_id != app.merchant_id:
        raise NotFound(f"no payment {payment_id}")
    notifications = sorted(d.notifications.for_payment(payment_id), key=lambda n: n["created_at"])
    return [public_notification(n) for n in notifications]


def public_notification(item: dict[str, Any]) -> dict[str, Any]:
    payload = json.loads(item["payload"])
    return {
        "id": item["notification_id"],
        "object": "notification",
        "type": item["type"],
        "payment_id": item["payment_id"],
        "notify_url": item["notify_url"],
        "status": item["status"],
        "created_at": iso(item["created_at"]),
        "attempts": [
            {
                "attempt": a["attempt"],
                "at": iso(a["at"]),
                "status_code": a.get("status_code"),
                "latency_ms": a.get("latency_ms"),
                "error": a.get("error"),
                "retry_in": a.get("retry_in"),
            }
            for a in item.get("attempt_log", [])
        ],
        "event": payload,
    }
