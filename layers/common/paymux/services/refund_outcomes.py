"""The single path by which a channel's word about a refund changes it: the synchronous answer,
callbacks, active queries and the sweeper all come through `apply_refund_result`; a refusal of
the request itself comes through `apply_refusal`, by the channel's own classification.

A merchant refund settles with the payment (amount refunded, REFUNDED, notifications); an
automatic refund settles on its own and is recorded on the payment (`automatic_refunds`) with
the payment's audit events, and never touches what the payment may refund."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from paymux.channels.base import (
    RefundErrorClass,
    RefundErrorTable,
    RefundResult,
    RefundState,
    classify_refund_error,
)
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.refund import Refund
from paymux.domain.states import (
    NOTIFIED_EVENTS,
    OPEN_REFUND_STATES,
    REFUND_TRANSITIONS,
    PaymentStatus,
    RefundStatus,
)
from paymux.errors import ChannelError, ChannelUnavailable, IllegalTransition, NotFound, PaymuxError
from paymux.observability import emit_metric
from paymux.services.outcomes import TradeMismatch, notification_for, transition
from paymux.store.exceptions import record_exception
from paymux.store.notifications import notification_ids_in

log = logging.getLogger("paymux")
FIRST_CHECK_AFTER = 60.0
LATER_CHECK_EVERY = 600.0
ABNORMAL_CHECK_EVERY = 3600.0  # an ABNORMAL refund waits for a person: followed up hourly
MAX_RETRY_EVERY = 3600.0
NEEDS_PERSON_CHECK_EVERY = 21600.0
MAX_RACE_RETRIES = 8
_TARGETS = {
    RefundState.SUCCESS: RefundStatus.SUCCESS,
    RefundState.FAILED: RefundStatus.FAILED,
    RefundState.ABNORMAL: RefundStatus.ABNORMAL,
    RefundState.PROCESSING: RefundStatus.PROCESSING,
}


class RefundNotPlaced(ChannelUnavailable):
    """The channel did not take the refund this time (a transient refusal, or one a person
    must look at); it stays open, reserved, and is submitted again with the same number."""


def retry_after(attempts: int) -> float:
    """60 s, 2 min, 4 min … at most hourly."""
    return float(min(FIRST_CHECK_AFTER * 2 ** max(attempts - 1, 0), MAX_RETRY_EVERY))


def apply_refusal(d: Deps, refund: Refund, table: RefundErrorTable, exc: ChannelError) -> Refund:
    """A refund request the channel refused (or left unanswered): FAILED only when the channel's
    table calls the code definitive; otherwise counted, rescheduled, and RefundNotPlaced raised."""
    code = exc.channel_code or exc.code
    unknown = isinstance(exc, ChannelUnavailable)
    kind = classify_refund_error(table, code, outcome_unknown=unknown)
    if kind == RefundErrorClass.DEFINITIVE:
        failed = RefundResult(refund.out_refund_no, RefundState.FAILED, raw_status=code)
        return apply_refund_result(d, refund, failed, actor="channel", failure_message=exc.message)
    attempts = refund.attempts + 1
    delay = retry_after(attempts)
    if kind == RefundErrorClass.NEEDS_PERSON:
        delay = NEEDS_PERSON_CHECK_EVERY
        detail = {"payment_id": refund.payment_id, "code": code, "message": exc.message}
        record_exception(
            d, "refund_refused", refund.refund_id, detail, key=f"refused#{refund.refund_id}#{code}"
        )
    d.refunds.record_attempt(refund, code, d.clock() + delay)
    log.warning("refund %s not placed (%s, %s); next try in %.0f s", refund.refund_id, code, kind, delay)
    raise RefundNotPlaced(f"refund {refund.refund_id} not placed: {exc.message}", channel_code=code)


def apply_refund_result(
    d: Deps, refund: Refund, result: RefundResult, actor: str, failure_message: str = ""
) -> Refund:
    """Moves an open refund as the channel says; idempotent and race-safe. An answer the state
    machine does not take from where the refund is (e.g. CLOSED for an ABNORMAL one) changes
    nothing and is recorded for an operator."""
    now = d.clock()
    if refund.status not in OPEN_REFUND_STATES or result.state == RefundState.NOT_FOUND:
        return refund
    target = _TARGETS[result.state]
    if target == refund.status or target not in REFUND_TRANSITIONS[refund.status]:
        if target != refund.status:
            detail = {"status": refund.status.value, "channel": result.raw_status, "actor": actor}
            record_exception(d, "refund_unexpected_state", refund.refund_id, detail)
        every = ABNORMAL_CHECK_EVERY if refund.status == RefundStatus.ABNORMAL else LATER_CHECK_EVERY
        d.refunds.record_channel_answer(refund, result.channel_refund_no, now + every)
        return refund
    if result.amount is not None and result.amount != refund.amount:
        raise TradeMismatch(f"refund amount {result.amount} != {refund.amount}")
    for _ in range(MAX_RACE_RETRIES):
        try:
            settled = _SETTLERS[target](d, refund, result, actor, now, failure_message)
        except IllegalTransition:
            fresh = d.refunds.get(refund.refund_id)
            if fresh is None or fresh.status not in OPEN_REFUND_STATES or fresh.status == target:
                return fresh or refund  # someone else settled it
            refund = fresh
            continue
        emit_metric("RefundOutcome", outcome=target.value.lower())  # this call made the change
        return settled
    raise IllegalTransition(f"refund {refund.refund_id} kept racing; giving up this pass")


def _payment(d: Deps, refund: Refund) -> Payment:
    payment = d.payments.get(refund.payment_id)
    if payment is None:
        raise NotFound(f"payment {refund.payment_id} is missing")
    return payment


def _succeed(d: Deps, refund: Refund, result: RefundResult, actor: str, now: float, _: str) -> Refund:
    payment = _payment(d, refund)
    changes = {
        "updated_at": now,
        "succeeded_at": result.succeeded_at or now,
        "channel_refund_no": result.channel_refund_no or refund.channel_refund_no,
        "failure_code": "",
        "failure_message": "",
    }
    entry = _day_entry(d, refund, payment, result.settle_date)
    refunded = payment.amount_refunded + refund.amount
    noted: dict[str, Any] = {"amount": refund.amount}
    if not refund.automatic:  # what the payment has refunded with it (automatic: not counted)
        noted["amount_refunded"] = refunded
    settled, items = d.refunds.settle_items(
        refund, RefundStatus.SUCCESS, changes, actor, day_entry=entry, detail=noted
    )
    if settled.automatic:
        return _record_on_payment(d, payment, settled, actor, items)
    items.append(_put(d, notification_for("refund.succeeded", now, settled)(payment)))
    # The refund's event records this change; the payment has one of its own only when its
    # status changes (REFUNDED, notified as payment.refunded): never refund.succeeded twice.
    target = PaymentStatus.REFUNDED if refunded == payment.amount else payment.status
    event = NOTIFIED_EVENTS[target] if target != payment.status else None
    detail = {"refund_id": refund.refund_id, "amount": refund.amount, "amount_refunded": refunded}
    changes_p = {"amount_refunded": refunded}
    transition(d, payment, target, changes_p, event, actor, detail, extra_items=items)
    return settled


def _day_entry(d: Deps, refund: Refund, payment: Payment, settle_date: str) -> tuple[str, str]:
    """The refund's entry on the refunds-by-account-and-day index: the account (and binding) of
    the attempt it returns, the day the channel books it."""
    from paymux.services.routes import attempt_ids  # noqa: PLC0415 - routes imports refunds' callers
    from paymux.store.refund_days import refund_index_entry  # noqa: PLC0415

    try:
        account_id, binding_id = attempt_ids(d, payment, refund.out_trade_no)
    except PaymuxError:  # an attempt no longer readable: the refund's own account, as placed
        account_id, binding_id = refund.account_id or payment.account_id, payment.binding_id
    return refund_index_entry(refund, account_id, binding_id, settle_date)


def _fail(d: Deps, refund: Refund, result: RefundResult, actor: str, now: float, message: str) -> Refund:
    payment = _payment(d, refund)
    changes = {
        "updated_at": now,
        "failure_code": result.raw_status or "FAILED",
        "failure_message": message or "the channel did not refund",
    }
    settled, items = d.refunds.settle_items(refund, RefundStatus.FAILED, changes, actor)
    if settled.automatic:
        # The payer is still charged twice: a person refunds it by hand.
        detail = {
            "payment_id": refund.payment_id,
            "out_trade_no": refund.out_trade_no,
            "code": changes["failure_code"],
        }
        settled = _record_on_payment(d, payment, settled, actor, items)
        record_exception(d, "automatic_refund_failed", refund.refund_id, detail)
        return settled
    items.append(d.refunds.release_reservation_item(refund))
    items.append(_put(d, notification_for("refund.failed", now, settled)(payment)))
    return _commit(d, payment, settled, items)


def _abnormal(d: Deps, refund: Refund, result: RefundResult, actor: str, now: float, _: str) -> Refund:
    """The money left the merchant's balance and did not reach the payer: the reservation is
    kept (it is not refundable again), an operator is told, and the sweeper keeps asking."""
    payment = _payment(d, refund)
    changes = {
        "updated_at": now,
        "channel_refund_no": result.channel_refund_no or refund.channel_refund_no,
        "failure_code": "ABNORMAL",
        "failure_message": "the refund could not reach the payer; an operator re-issues it",
    }
    due = now + ABNORMAL_CHECK_EVERY
    settled, items = d.refunds.settle_items(refund, RefundStatus.ABNORMAL, changes, actor, next_check_at=due)
    detail = {
        "payment_id": refund.payment_id,
        "kind": refund.kind,
        "channel_refund_no": settled.channel_refund_no,
    }
    if settled.automatic:
        settled = _record_on_payment(d, payment, settled, actor, items)
    else:
        items.append(_put(d, notification_for("refund.abnormal", now, settled)(payment)))
        settled = _commit(d, payment, settled, items)
    record_exception(d, "refund_abnormal", refund.refund_id, detail)
    return settled


def _reissue(d: Deps, refund: Refund, result: RefundResult, actor: str, now: float, _: str) -> Refund:
    """ABNORMAL → PROCESSING: re-issued (to another card or the merchant's account)."""
    payment = _payment(d, refund)
    changes: dict[str, Any] = {"updated_at": now, "failure_code": "", "failure_message": ""}
    if result.channel_refund_no:
        changes["channel_refund_no"] = result.channel_refund_no
    due = now + FIRST_CHECK_AFTER
    settled, items = d.refunds.settle_items(
        refund, RefundStatus.PROCESSING, changes, actor, next_check_at=due
    )
    if settled.automatic:
        return _record_on_payment(d, payment, settled, actor, items)
    return _commit(d, payment, settled, items)


_SETTLERS: dict[RefundStatus, Callable[[Deps, Refund, RefundResult, str, float, str], Refund]] = {
    RefundStatus.SUCCESS: _succeed,
    RefundStatus.FAILED: _fail,
    RefundStatus.ABNORMAL: _abnormal,
    RefundStatus.PROCESSING: _reissue,
}


def _record_on_payment(
    d: Deps, payment: Payment, settled: Refund, actor: str, items: list[dict[str, Any]]
) -> Refund:
    """An automatic refund's change, with the payment's own record of it, in one transaction
    (the payment's status and refundable amount stay as they are; the refund's event among
    `items` is the change's one audit event)."""
    summaries = {**payment.automatic_refunds, settled.refund_id: settled.to_summary()}
    changes = {"automatic_refunds": summaries}
    transition(d, payment, payment.status, changes, None, actor, {}, extra_items=items)
    return settled


def _commit(d: Deps, payment: Payment, settled: Refund, items: list[dict[str, Any]]) -> Refund:
    try:
        d.refunds.transact(items)
    except d.dynamodb.exceptions.TransactionCanceledException as exc:
        raise IllegalTransition(f"refund {settled.refund_id} changed concurrently") from exc
    from paymux.services.notifications import hand_off  # noqa: PLC0415 - import cycle

    hand_off(d, payment.payment_id, notification_ids_in(items))
    return settled


def _put(d: Deps, item: dict[str, object]) -> dict[str, object]:
    from paymux.store.dynamo import to_item  # noqa: PLC0415

    return {
        "Put": {
            "TableName": d.settings.table,
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }
