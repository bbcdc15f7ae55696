"""A payment's status change with its event and notification, committed together, then
handed to SQS."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from paymux.deps import Deps
from paymux.domain.ids import new_event_id
from paymux.domain.payment import Payment
from paymux.domain.states import NOTIFIED_EVENTS, PaymentStatus
from paymux.observability import emit_metric
from paymux.store.notifications import notification_ids_in, notification_item
from paymux.store.payments import Outcome

STATE_METRICS = {
    PaymentStatus.SUCCESS: "PaymentSucceeded",
    PaymentStatus.FAILED: "PaymentFailed",
    PaymentStatus.CLOSED: "PaymentClosed",
}


@dataclass(frozen=True, slots=True)
class NotificationFor:
    """Builds the outbox item for `event_type` from the payment as it is after the transition;
    its data object is `subject` (a refund …) or that payment. Its id is chosen up front, so the
    writer knows which notification to hand to SQS once the transaction has committed."""

    event_type: str
    now: float
    subject: Any = None
    notification_id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.notification_id:
            object.__setattr__(self, "notification_id", new_event_id(self.now))

    def __call__(self, payment: Payment) -> dict[str, Any]:
        subject = self.subject.to_public() if self.subject is not None else payment.to_public()
        payload = {
            "id": self.notification_id,
            "type": self.event_type,
            "created": int(self.now),
            "data": {"object": subject},
        }
        return notification_item(
            payment_id=payment.payment_id,
            notification_id=self.notification_id,
            merchant_id=payment.merchant_id,
            app_id=payment.app_id,
            event_type=self.event_type,
            notify_url=payment.notify_url,
            payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            created_at=self.now,
        )


def notification_for(event_type: str, now: float, subject: Any = None) -> NotificationFor:
    return NotificationFor(event_type, now, subject)


def transition(
    d: Deps,
    payment: Payment,
    target: PaymentStatus,
    changes: dict[str, Any],
    event_type: str | None,
    actor: str,
    detail: dict[str, Any],
    extra_items: list[dict[str, Any]] | None = None,
) -> Payment:
    """A status change with its event and, for outcomes the merchant hears about, its
    notification — then every notification the transaction wrote (also those of
    `extra_items`) is handed to SQS (the sweeper re-sends one this process did not send).
    `event_type` None: the change is recorded by the event among `extra_items` (a refund's)."""
    now = d.clock()
    event = NOTIFIED_EVENTS.get(target) if target != payment.status else None
    outcome = Outcome(event_type, actor, detail, notification_for(event, now) if event else None)
    updated = d.payments.transition(
        payment, target, {**changes, "updated_at": now}, outcome, extra_items=extra_items
    )
    if target != payment.status and target in STATE_METRICS:  # committed: counted once
        emit_metric(STATE_METRICS[target], method=updated.method, provider=updated.provider)
    written = notification_ids_in(extra_items or [])
    if isinstance(outcome.notification, NotificationFor):
        written.insert(0, outcome.notification.notification_id)
    if written:
        from paymux.services.notifications import hand_off  # noqa: PLC0415 - import cycle

        hand_off(d, updated.payment_id, written)
    if target == PaymentStatus.SUCCESS != payment.status and "checkout_session" in updated.metadata:
        from paymux.checkout.sessions import payment_paid  # noqa: PLC0415 - checkout payments only

        payment_paid(d, updated)  # after the hand-off: its session completes (best effort)
    return updated
