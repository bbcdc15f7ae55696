"""The single path by which a channel's word about a trade changes a payment: callbacks, active
queries, closes and the sweeper all come through `apply_trade_result`."""

from __future__ import annotations

import hashlib
import logging

from paymux.channels.base import TradeResult, TradeState
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.states import OPEN_PAYMENT_STATES, PaymentStatus
from paymux.errors import Conflict, IllegalTransition
from paymux.services.payment_transition import STATE_METRICS, NotificationFor, notification_for, transition
from paymux.services.routes import ForeignAttempt, attempt_route, route_fields
from paymux.services.routing import Route
from paymux.services.sweep_schedule import closed_watch
from paymux.services.trade_checks import (
    ABSENT,
    FIELD_LABELS,
    SUB_MERCHANT_LABELS,
    IncompleteTrade,
    TradeMismatch,
    attempt_sent_at,
    check_identity,
    check_sent_at,
    check_trade,
    field_problems,
    raise_problems,
)
from paymux.store.exceptions import record_exception

log = logging.getLogger("paymux")
MAX_RACE_RETRIES = 3
PAID_STATES = frozenset({PaymentStatus.SUCCESS, PaymentStatus.REFUNDED})
UNPAID_FINAL_STATES = frozenset({PaymentStatus.CLOSED, PaymentStatus.FAILED})

# Checking a trade and the status change itself live in trade_checks and payment_transition;
# these names are still imported from here.
__all__ = [
    "ABSENT",
    "FIELD_LABELS",
    "MAX_RACE_RETRIES",
    "PAID_STATES",
    "STATE_METRICS",
    "SUB_MERCHANT_LABELS",
    "UNPAID_FINAL_STATES",
    "IncompleteTrade",
    "NotificationFor",
    "TradeMismatch",
    "apply_queried_trade",
    "apply_trade_result",
    "attempt_owner",
    "attempt_sent_at",
    "check_identity",
    "check_sent_at",
    "check_trade",
    "field_problems",
    "held_by_reversal",
    "notification_for",
    "queried_key",
    "raise_problems",
    "record_unapplied",
    "transition",
]


def record_unapplied(d: Deps, trade: TradeResult | None, exc: TradeMismatch, actor: str, key: str) -> None:
    """A verified word that was checked and not believed, for operators (`key`: one record per
    cause, however often the channel repeats it)."""
    detail = {"reason": exc.message, "actor": actor}
    if trade is not None:
        detail |= {"channel_state": trade.raw_state, "channel_trade_no": trade.channel_trade_no}
        detail |= attempt_owner(d, trade.out_trade_no)
    record_exception(d, exc.code, trade.out_trade_no if trade else "", detail, key=key)


def attempt_owner(d: Deps, out_trade_no: str) -> dict[str, str]:
    """Whose attempt an exception is about (merchant_id, binding_id), when it is one of ours:
    operators see per merchant and sub-merchant what was held back."""
    attempt = d.payments.get_attempt(out_trade_no) if out_trade_no else None
    if attempt is None:
        return {}
    return {
        "merchant_id": str(attempt.get("merchant_id") or ""),
        "binding_id": str(attempt.get("binding_id") or ""),
    }


def apply_queried_trade(d: Deps, payment: Payment, trade: TradeResult, actor: str) -> Payment:
    """An answer paymux asked for (the sweeper's active query, `?sync=true`). One that disagrees
    with the order or lacks what it always carries changes nothing: it is recorded for
    operators and the payment, still open, is asked about again on its schedule."""
    try:
        return apply_trade_result(d, payment, trade, actor)
    except TradeMismatch as exc:
        record_unapplied(d, trade, exc, actor, key=queried_key(trade, exc))
        return payment


def apply_or_review(
    d: Deps, payment: Payment, trade: TradeResult, actor: str, *, by_reversal: bool = False
) -> Payment:
    """A queried trade applied for a caller that must not go on when it disagrees with the
    payment (a close, a reversal): the disagreement is recorded for operators and answered 409
    `payment_under_review`, the payment left open."""
    try:
        return apply_trade_result(d, payment, trade, actor, by_reversal=by_reversal)
    except TradeMismatch as exc:
        record_unapplied(d, trade, exc, actor, key=queried_key(trade, exc))
        raise Conflict(
            "payment_under_review",
            f"the channel's answer about payment {payment.payment_id} disagrees with it; "
            "it stays open while operators look",
            details=[{"payment_id": payment.payment_id, "status": payment.status.value}],
        ) from exc


def queried_key(trade: TradeResult, exc: TradeMismatch) -> str:
    cause = hashlib.sha256(exc.message.encode()).hexdigest()[:16]
    return f"query#{trade.out_trade_no}#{exc.code}#{cause}"


def apply_trade_result(
    d: Deps,
    payment: Payment,
    trade: TradeResult,
    actor: str,
    *,
    by_reversal: bool = False,
    while_open: bool = False,
) -> Payment:
    """Applies what the channel says about one of the payment's attempts, idempotently and
    race-safely: a lost race re-reads the payment and decides again. The trade is checked
    against the route (account and binding) of the attempt it is about, which must be the
    payment's merchant's own (RouteRefused otherwise: nothing changes). While a reversal holds
    the payment (reversal_started_at), a PAID word is applied only `by_reversal` (its own last
    query, services/reversal): the reverse may have given that charge back. `while_open` (an
    operator's decision about an open payment, services/reversal_review): one transition on the
    version read while open; a lost race returns the payment as it now is, never applying the
    word to a payment that left the open states meanwhile (that would refund it)."""
    try:
        route = attempt_route(d, payment, trade.out_trade_no)
    except ForeignAttempt as exc:
        raise TradeMismatch(exc.message, reason="unknown_order") from exc
    if while_open:
        if payment.status not in OPEN_PAYMENT_STATES:
            return payment
        try:
            return _apply_once(d, payment, trade, actor, route, by_reversal)
        except IllegalTransition:
            return d.payments.get(payment.payment_id) or payment
    for _ in range(MAX_RACE_RETRIES):
        try:
            return _apply_once(d, payment, trade, actor, route, by_reversal)
        except IllegalTransition:
            fresh = d.payments.get(payment.payment_id)
            if fresh is None or fresh.version == payment.version:
                raise
            payment = fresh
    raise IllegalTransition(f"payment {payment.payment_id} kept changing; giving up this pass")


def _apply_paid(d: Deps, payment: Payment, trade: TradeResult, actor: str, route: Route) -> Payment:
    account = route.account
    if payment.status in OPEN_PAYMENT_STATES:
        changes = {
            "paid_at": trade.paid_at or d.clock(),
            "channel_trade_no": trade.channel_trade_no,
            # the attempt that was paid is the payment's attempt from now on
            "out_trade_no": trade.out_trade_no,
            "sent_at": attempt_sent_at(d, payment, trade.out_trade_no),
            **route_fields(route),
        }
        if trade.settle_date:  # reconciled on the channel's clearing day (store/payment_keys)
            changes["settle_date"] = trade.settle_date
        detail = {
            "out_trade_no": trade.out_trade_no,
            "channel_trade_no": trade.channel_trade_no,
        }
        return transition(d, payment, PaymentStatus.SUCCESS, changes, "payment.succeeded", actor, detail)
    if payment.channel_trade_no == trade.channel_trade_no:
        return payment  # a duplicate of what we already applied
    if payment.status in PAID_STATES and trade.out_trade_no != payment.out_trade_no:
        from paymux.services.duplicates import refund_duplicate_charge  # noqa: PLC0415

        refund_duplicate_charge(d, payment, trade, account, actor)
        return d.payments.get(payment.payment_id) or payment
    record_exception(
        d,
        "paid_after_terminal",
        payment.payment_id,
        {
            "status": payment.status.value,
            "out_trade_no": trade.out_trade_no,
            "channel_trade_no": trade.channel_trade_no,
            "amount": trade.amount,
            "actor": actor,
        },
        key=f"paid-after#{trade.out_trade_no}#{trade.channel_trade_no}",
    )
    if payment.status == PaymentStatus.CLOSED and payment.reversal_escalated_at is not None:
        # closed by an operator's review of an unconfirmed reversal (services/reversal_review):
        # the operator said the payer has the money back; the exception above asks a person
        log.error("paid read on reviewed CLOSED payment %s: not refunded", payment.payment_id)
        return payment
    if payment.status in UNPAID_FINAL_STATES:
        # The merchant was told this payment will not be paid (e.g. an Alipay QR code closed
        # before anyone scanned it, which Alipay cannot close, then paid): the charge goes back.
        from paymux.services.duplicates import PAID_AFTER_CLOSE, refund_duplicate_charge  # noqa: PLC0415

        refund_duplicate_charge(d, payment, trade, account, actor, PAID_AFTER_CLOSE)
        return d.payments.get(payment.payment_id) or payment
    return payment


def held_by_reversal(payment: Payment) -> bool:
    """An open payment whose reversal has begun (services/reversal's claim)."""
    return payment.reversal_started_at is not None and payment.status in OPEN_PAYMENT_STATES


def _apply_once(
    d: Deps, payment: Payment, trade: TradeResult, actor: str, route: Route, by_reversal: bool
) -> Payment:
    if trade.state in (TradeState.PAID, TradeState.CLOSED, TradeState.FAILED):
        check_trade(payment, trade, *route)
        if trade.sent_at is not None:
            check_sent_at(trade, attempt_sent_at(d, payment, trade.out_trade_no))
    if trade.state == TradeState.PAID:
        if held_by_reversal(payment) and not by_reversal:
            log.info("payment %s is being reversed: its reversal's query applies PAID", payment.payment_id)
            return payment
        return _apply_paid(d, payment, trade, actor, route)
    if trade.state == TradeState.CLOSED and payment.status in OPEN_PAYMENT_STATES:
        changes = {"closed_at": d.clock(), **closed_watch(payment, route.account.provider, d.clock())}
        return transition(
            d,
            payment,
            PaymentStatus.CLOSED,
            changes,
            "payment.closed",
            actor,
            {"reason": "closed_by_channel", "channel_state": trade.raw_state},
        )
    if trade.state == TradeState.FAILED and payment.status in OPEN_PAYMENT_STATES:
        failure = {
            "failure_code": trade.raw_state,
            "failure_message": "the channel reported the payment failed",
        }
        return transition(
            d,
            payment,
            PaymentStatus.FAILED,
            failure,
            "payment.failed",
            actor,
            {"channel_state": trade.raw_state},
        )
    return payment
