"""Payer-presented codes whose payer never finished paying: the reversal at the end of their
query ladder, the same for every wallet (channels/base.Reversible).

A payer's code is charged by the create request itself; a USERPAYING answer (the payer is
entering a password) is followed by the product's query ladder (every 5 s up to 60 s for the
WeChat Pay and Alipay codes: services/sweep_schedule, driven by the sweep queue's delayed
messages, never by a sleep). When the ladder ends with the trade still unpaid, or the merchant
or expiry closes the payment, the trade is reversed at the channel, so the payer can never be
charged for a payment paymux closed:

1. ask the channel once more: a trade paid (or failed, or closed) by now is applied as it is
   (a paid one becomes SUCCESS and is never reversed);
2. reverse it (`reverse`; its word is kept in the payment's events as `payment.reversed`);
3. ask again and apply the answer: REVOKED/CLOSED → CLOSED, PAYERROR → FAILED, NOT_FOUND →
   CLOSED (the code never made a trade), PAID → SUCCESS (the channel refused to reverse a paid
   trade). A reversal whose outcome is unknown (ChannelUnavailable, the channel's own "call
   again") or a trade still open afterwards raises: the sweeper sends it again, nothing is
   guessed."""

from __future__ import annotations

import logging
from dataclasses import replace

from paymux.channels.base import QueryContext, TradeResult, TradeState
from paymux.channels.registry import PROVIDERS, channel_class
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.states import OPEN_PAYMENT_STATES, PaymentStatus
from paymux.errors import ChannelError, ChannelUnavailable, Conflict, OutcomeNotKnown
from paymux.services.outcomes import (
    TradeMismatch,
    apply_trade_result,
    queried_key,
    record_unapplied,
    transition,
)
from paymux.services.routes import attempt_route, route_channel
from paymux.services.sweep_schedule import ladder_of

log = logging.getLogger("paymux")
REFUNDED = "refunded"  # a reversal's word for a charge the channel gave back (Reversible)


def is_reversible(payment: Payment) -> bool:
    """The payment's product is one its channel reverses (Reversible.reversible_products)."""
    if payment.provider not in PROVIDERS:
        return False
    return payment.method in getattr(channel_class(payment.provider), "reversible_products", ())


def payer_time_over(payment: Payment, now: float) -> bool:
    """The payer's time to confirm is over: the product's ladder has run to its last step."""
    if not is_reversible(payment) or payment.status not in OPEN_PAYMENT_STATES:
        return False
    ladder = ladder_of(payment.provider, payment.method)
    return bool(ladder) and now >= payment.created_at + ladder[-1]


def _context(payment: Payment) -> QueryContext:
    return QueryContext(sent_at=payment.sent_at, product=payment.method, expires_at=payment.expires_at)


def reverse_open_payment(d: Deps, payment: Payment, actor: str) -> Payment:
    """Steps 1-3 above; the payment as it ends (CLOSED, FAILED or SUCCESS)."""
    channel = route_channel(d, attempt_route(d, payment))  # RouteRefused: retried, nothing sent
    before = channel.query(payment.out_trade_no, context=_context(payment))
    if before.state in (TradeState.PAID, TradeState.CLOSED, TradeState.FAILED):
        return _apply(d, payment, before, actor)
    try:
        did = channel.reverse(payment.out_trade_no, context=_context(payment))  # type: ignore[attr-defined]
    except ChannelUnavailable:
        log.warning("reversal of %s has no known outcome: sent again later", payment.payment_id)
        raise
    except ChannelError as exc:  # e.g. a paid trade the channel will not reverse: the query tells
        did = f"refused {exc.channel_code or exc.code}"
    detail = {"out_trade_no": payment.out_trade_no, "reversal": did}
    payment = transition(d, payment, payment.status, {}, "payment.reversed", actor, detail)
    after = channel.query(payment.out_trade_no, context=_context(payment))
    if did == REFUNDED and after.state == TradeState.PAID:
        # the channel gave the charge back itself (Alipay's cancel, action=refund): the trade
        # reads as paid-then-closed, but the payer keeps the money and the order is closed
        after = replace(after, state=TradeState.CLOSED, raw_state=f"{after.raw_state} ({did})")
    if after.state == TradeState.OPEN:
        raise OutcomeNotKnown(
            f"payment {payment.payment_id} is still open at the channel after its reversal "
            f"({after.raw_state or 'open'}): it is reversed again",
            details=[{"payment_id": payment.payment_id, "status": payment.status.value}],
        )
    payment = _apply(d, payment, after, actor)
    if after.state == TradeState.NOT_FOUND and payment.status in OPEN_PAYMENT_STATES:
        # no trade was ever made for the code (refused before it, or the answer lost): reversed
        # at the channel, nothing can be charged any more, so nothing is watched either
        changes = {"closed_at": d.clock()}
        detail = {"reason": actor, "reversal": did}
        payment = transition(d, payment, PaymentStatus.CLOSED, changes, "payment.closed", actor, detail)
    return payment


def _apply(d: Deps, payment: Payment, trade: TradeResult, actor: str) -> Payment:
    try:
        return apply_trade_result(d, payment, trade, actor)
    except TradeMismatch as exc:
        record_unapplied(d, trade, exc, actor, key=queried_key(trade, exc))
        raise Conflict(
            "payment_under_review",
            f"the channel's answer about payment {payment.payment_id} disagrees with it; "
            "it stays open while operators look",
            details=[{"payment_id": payment.payment_id, "status": payment.status.value}],
        ) from exc
