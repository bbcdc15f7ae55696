"""Payer-presented codes whose payer never finished paying: the reversal at the end of their
query ladder, the same for every wallet (channels/base.Reversible).

A payer's code is charged by the create request itself; a USERPAYING answer (the payer is
entering a password) is followed by the product's query ladder (every 5 s up to 60 s for the
WeChat Pay and Alipay codes: services/sweep_schedule, driven by the sweep queue's delayed
messages, never by a sleep). When the ladder ends with the trade still unpaid, or the merchant
or expiry closes the payment, the trade is reversed at the channel, so the payer can never be
charged for a payment paymux closed:

0. not before the pay call's `sent_at` + REVERSE_AFTER (WeChat Pay: never reverse within
   ~15 s of the pay call; a trade not made yet reads "does not exist"): earlier, nothing is
   sent and OutcomeNotKnown answers (the merchant's close: 409 payment_outcome_unknown; the
   sweeper asks again);
1. ask the channel once more: a trade paid (or failed, or closed) by now is applied as it is
   (a paid one becomes SUCCESS and is never reversed);
2. claim the payment (`reversal_started_at`, a conditional write, the state stays open) before
   anything is sent: a PAID word applied meanwhile by the ladder or a notification makes the
   claim lose, and the trade is not reversed; once claimed, a PAID word from anyone else is
   not applied (services/outcomes), only through this reversal's own last query;
3. reverse it (`reverse`; its word is kept in the payment's events as `payment.reversed`);
4. ask again and apply the answer: REVOKED/CLOSED → CLOSED, PAYERROR → FAILED, NOT_FOUND →
   CLOSED (the code never made a trade), PAID after a refused reverse → SUCCESS (the channel
   would not reverse a paid trade). PAID after an accepted reverse is asked once more: a
   reverse that gave the charge back reads REVOKED/CLOSED (Alipay's `refund` action is one)
   and closes; still paid, the outcome is not known and the reversal is sent again, at most
   MAX_STILL_PAID_ROUNDS times: then it stops and an operator decides (services/
   reversal_review; a payment under review answers 409 payment_under_review, nothing sent). A
   reversal whose outcome is unknown (ChannelUnavailable, the channel's own "call again") or
   a trade still open afterwards raises: the sweeper sends it again, nothing is guessed.

Every payer code closed this way is watched afterwards (sweep_schedule.payer_code_watch): a
charge the channel makes late is found by the closed watch and refunded automatically."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from paymux.channels.base import QueryContext, TradeResult, TradeState
from paymux.channels.registry import PROVIDERS, channel_class
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.states import OPEN_PAYMENT_STATES, PaymentStatus
from paymux.errors import ChannelError, ChannelUnavailable, IllegalTransition, OutcomeNotKnown
from paymux.services.outcomes import (
    MAX_RACE_RETRIES,
    apply_or_review,
    transition,
)
from paymux.services.reversal_review import review_conflict, still_paid, under_review
from paymux.services.routes import attempt_route, route_channel
from paymux.services.sweep_schedule import ladder_of, payer_code_watch

log = logging.getLogger("paymux")
REFUNDED = "refunded"  # a reversal's word for a charge the channel gave back (Reversible)
REFUSED = "refused"  # a reverse the channel would not do (a paid trade): the query tells
# WeChat Pay asks for no reverse within ~15 s of the pay call (its trade may not exist yet);
# both wallets wait twice that before a payer code is reversed (or taken as never made).
REVERSE_AFTER = 30.0


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
    """Steps 0-4 above; the payment as it ends (CLOSED, FAILED or SUCCESS)."""
    if under_review(payment):
        raise review_conflict(payment)
    _not_too_early(d, payment)
    channel = route_channel(d, attempt_route(d, payment))  # RouteRefused: retried, nothing sent
    if payment.reversal_started_at is None:
        before = channel.query(payment.out_trade_no, context=_context(payment))
        if before.state in (TradeState.PAID, TradeState.CLOSED, TradeState.FAILED):
            return _apply(d, payment, before, actor)
        payment = _mark(d, payment, {"reversal_started_at": d.clock()}, "payment.reversal_started", actor, {})
        if payment.status not in OPEN_PAYMENT_STATES:
            return payment  # applied meanwhile (paid, closed): never reversed
    did = _send_reverse(channel, payment)
    detail = {"out_trade_no": payment.out_trade_no, "reversal": did}
    payment = _mark(d, payment, {}, "payment.reversed", actor, detail)
    if payment.status not in OPEN_PAYMENT_STATES:
        return payment
    try:
        after = _final_answer(channel, payment, did)
    except StillPaid as exc:
        if under_review(still_paid(d, payment, did, exc.trade, actor)):
            raise review_conflict(payment) from exc
        raise
    payment = _apply(d, payment, after, actor)
    if after.state == TradeState.NOT_FOUND and payment.status in OPEN_PAYMENT_STATES:
        # no trade was made for the code (refused before it, or the answer lost), past the
        # time a running pay call could still make one: closed, and watched all the same
        changes = {"closed_at": d.clock(), **payer_code_watch(d.clock())}
        detail = {"reason": actor, "reversal": did}
        payment = transition(d, payment, PaymentStatus.CLOSED, changes, "payment.closed", actor, detail)
    return payment


def _not_too_early(d: Deps, payment: Payment) -> None:
    sent_at = payment.sent_at if payment.sent_at is not None else payment.created_at
    if d.clock() < sent_at + REVERSE_AFTER:
        raise OutcomeNotKnown(
            f"payment {payment.payment_id}'s pay call may still be running at the channel: "
            f"it can be closed from {int(sent_at + REVERSE_AFTER - d.clock()) + 1} s on",
            details=[{"payment_id": payment.payment_id, "status": payment.status.value}],
        )


def _send_reverse(channel: Any, payment: Payment) -> str:
    try:
        return str(channel.reverse(payment.out_trade_no, context=_context(payment)))
    except ChannelUnavailable:
        log.warning("reversal of %s has no known outcome: sent again later", payment.payment_id)
        raise
    except ChannelError as exc:  # e.g. a paid trade the channel will not reverse: the query tells
        return f"{REFUSED} {exc.channel_code or exc.code}"


def _mark(
    d: Deps, payment: Payment, changes: dict[str, Any], event: str, actor: str, detail: dict[str, Any]
) -> Payment:
    """A conditional write that keeps the payment's state; a lost race re-reads it and, if it is
    still open, writes again (an outcome applied meanwhile is returned as it is)."""
    for _ in range(MAX_RACE_RETRIES):
        try:
            return transition(d, payment, payment.status, changes, event, actor, detail)
        except IllegalTransition:
            fresh = d.payments.get(payment.payment_id)
            if fresh is None or fresh.version == payment.version:
                raise
            payment = fresh
            if payment.status not in OPEN_PAYMENT_STATES:
                return payment
    raise IllegalTransition(f"payment {payment.payment_id} kept changing; its reversal is sent again")


class StillPaid(OutcomeNotKnown):
    """The trade read paid twice after the channel accepted its reverse (`trade`: the last read)."""

    def __init__(self, message: str, trade: TradeResult, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.trade = trade


def _final_answer(channel: Any, payment: Payment, did: str) -> TradeResult:
    """The trade as the reversal leaves it; PAID only when the channel refused the reverse."""
    after: TradeResult = channel.query(payment.out_trade_no, context=_context(payment))
    if after.state == TradeState.PAID and did == REFUNDED:
        # the channel gave the charge back itself (Alipay's cancel, action=refund): the trade
        # reads as paid-then-closed, but the payer keeps the money and the order is closed
        after = replace(after, state=TradeState.CLOSED, raw_state=f"{after.raw_state} ({did})")
    elif after.state == TradeState.PAID and not did.startswith(REFUSED):
        after = channel.query(payment.out_trade_no, context=_context(payment))  # a stale read?
        if after.state == TradeState.PAID:
            raise StillPaid(
                f"payment {payment.payment_id} reads paid after the channel accepted its reversal "
                f"({did}): it is reversed again, never taken as paid",
                after,
                details=[{"payment_id": payment.payment_id, "status": payment.status.value}],
            )
    if after.state == TradeState.OPEN:
        raise OutcomeNotKnown(
            f"payment {payment.payment_id} is still open at the channel after its reversal "
            f"({after.raw_state or 'open'}): it is reversed again",
            details=[{"payment_id": payment.payment_id, "status": payment.status.value}],
        )
    return after


def _apply(d: Deps, payment: Payment, trade: TradeResult, actor: str) -> Payment:
    return apply_or_review(d, payment, trade, actor, by_reversal=True)
