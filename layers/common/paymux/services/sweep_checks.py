"""What a sweep worker does with one claimed item: the checks of the old every-minute sweep,
each ending with the item's next place on the due index (or off it).

Every check ends its claim: the writers it calls (transitions, refund bookkeeping) move or
remove the entry themselves; where none did, `release` moves the entry from the claim to its
next check, conditioned on the claim, so it never overrides a writer. A re-sent notification
keeps its taken claim as its next overdue time."""

from __future__ import annotations

import logging
from typing import Literal

from paymux.clock import iso
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.refund import Refund
from paymux.domain.states import OPEN_PAYMENT_STATES, OPEN_REFUND_STATES, PaymentStatus
from paymux.services.notifications import send
from paymux.services.payments import close_open_payment, refresh_from_channel, watch_closed_payment
from paymux.services.refund_outcomes import FIRST_CHECK_AFTER
from paymux.services.refunds import refresh_refund
from paymux.services.reversal import payer_time_over
from paymux.services.reversal_review import under_review
from paymux.services.sweep_plan import due_index, sweep_queue
from paymux.services.sweep_schedule import LADDER_GUARD, ladder_step_at, next_check_at
from paymux.store.due import due_sk
from paymux.store.sweep_queue import SweepMessage

log = logging.getLogger("paymux")
Result = Literal[
    "queried",
    "expired_closed",
    "expiry_checked",
    "closed_watch",
    "refund_queried",
    "outbox_resent",
    "under_review",
]
DEFER_SECONDS = 60.0


def release(d: Deps, message: SweepMessage, item_id: str, at: float) -> bool:
    """Moves the entry from the worker's claim to `at`; no write when the take already put it
    there (sweep_worker._taken: a payment on the tiers is taken to its next check)."""
    place = due_sk(iso(at), item_id)
    if place == message.claim:
        return True
    return due_index(d).release(message.key, message.claim, place)


def check_payment(d: Deps, payment: Payment, message: SweepMessage, now: float) -> Result:
    if payment.status == PaymentStatus.CLOSED:
        _watch_closed(d, payment, message, now)
        return "closed_watch"
    if under_review(payment):
        # its reversal was stopped for an operator (services/reversal_review): nothing is
        # sent or asked for it any more; the operator's resolution gives it its final state
        d.payments.stop_watching(payment)
        return "under_review"
    if now >= payment.expires_at or payer_time_over(payment, now):
        # a payer's code whose ladder ran out is reversed (services/reversal), like an expiry
        actor = "expiry" if now >= payment.expires_at else "payer_code_timeout"
        closed = close_open_payment(d, payment, actor=actor).status == PaymentStatus.CLOSED
        if not closed:
            release(d, message, payment.payment_id, now + DEFER_SECONDS)
        return "expired_closed" if closed else "expiry_checked"
    updated = refresh_from_channel(d, payment, actor="active_query")
    if updated.status in OPEN_PAYMENT_STATES and not _next_ladder_step(d, updated, message, now):
        release(d, message, payment.payment_id, next_check_at(updated, now))
    return "queried"


def _next_ladder_step(d: Deps, payment: Payment, message: SweepMessage, now: float) -> bool:
    """After ladder step n: the entry moves to step n+1's guard and a message is sent to fire
    step n+1 on time (not before it: a step more than SQS's 900 s away is reached in hops,
    sweep_worker._not_yet_due). False past the ladder (the tiers take over)."""
    if message.step is None:
        return False
    at = ladder_step_at(payment, message.step + 1)
    if at is None:
        return False
    claim = due_sk(iso(at + LADDER_GUARD), payment.payment_id)
    if due_index(d).release(message.key, message.claim, claim):
        step = SweepMessage(
            "payment", message.pk, message.sk, claim, at + LADDER_GUARD, message.step + 1, not_before=at
        )
        try:
            sweep_queue(d).send_later(step, at - now)
        except Exception:  # the entry is due at the guard: the planner asks it then
            log.exception("ladder step %d of %s not queued", message.step + 1, payment.payment_id)
    return True


def _watch_closed(d: Deps, payment: Payment, message: SweepMessage, now: float) -> None:
    """A payment closed while the channel had no trade for it: its code may still be paid
    until it expires at the channel (Alipay's precreate makes the trade when scanned), and the
    callback of such a charge may be lost. Asked until then, the last time at or after the
    watch's end; a trade found open (scanned, not paid) is closed at the channel, a charge found
    is refunded automatically (services/duplicates), which ends the watch."""
    updated = watch_closed_payment(d, payment, actor="closed_watch")
    if updated.version != payment.version:
        return
    if now >= payment.watch_until:
        d.payments.stop_watching(payment)
    else:
        release(d, message, payment.payment_id, next_check_at(payment, now))


def check_refund(d: Deps, refund: Refund, message: SweepMessage, now: float) -> Result:
    """Follow-up of an open refund; where nothing rescheduled it, it is due again in a minute
    (as it always was)."""
    if refresh_refund(d, refund).status in OPEN_REFUND_STATES:
        release(d, message, refund.refund_id, now + FIRST_CHECK_AFTER)
    return "refund_queried"


def resend_notification(d: Deps, payment_id: str, notification_id: str, attempts: int) -> Result:
    """A notification never handed to SQS, or whose next attempt is overdue (a crash between
    an attempt and its re-queue): handed to SQS again. Its entry stays where the worker's take
    put it (the claim's end): overdue again only if this message is lost too."""
    send(d, payment_id, notification_id, attempts, 0)
    return "outbox_resent"
