"""Closing payments, at the channel first, and watching a closed code the channel may still take."""

from __future__ import annotations

import logging

from paymux.channels.base import TradeState
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.states import OPEN_PAYMENT_STATES, PaymentStatus
from paymux.errors import ChannelError, ChannelUnavailable, Conflict, OutcomeNotKnown
from paymux.services.outcomes import (
    apply_or_review,
    apply_queried_trade,
    transition,
)
from paymux.services.payment_reads import get_payment
from paymux.services.payment_submission import query_context
from paymux.services.reversal import is_reversible, reverse_open_payment
from paymux.services.routes import RouteRefused, attempt_route, route_channel
from paymux.store.merchants import MerchantApp

log = logging.getLogger("paymux")
# How long past its expiry a code closed before the channel knew it is still asked about:
# channels round expiry (Alipay's timeout_express is in minutes) and clocks differ.
CLOSED_WATCH_GRACE = 600.0


def watch_closed_payment(d: Deps, payment: Payment, actor: str) -> Payment:
    """One look at a closed payment whose code the channel may still take (Payment.watch_until):
    a trade the payer has opened since is closed at the channel, so it cannot be paid; one paid
    is applied (a charge after close, refunded automatically)."""
    try:
        channel = route_channel(d, attempt_route(d, payment))
    except RouteRefused:
        return payment
    trade = channel.query(payment.out_trade_no, context=query_context(payment))
    if trade.state == TradeState.OPEN:
        try:  # a payer code is reversed (a close would not stop a payer entering a password)
            if is_reversible(payment):
                channel.reverse(payment.out_trade_no, context=query_context(payment))  # type: ignore[attr-defined]
            else:
                channel.close(payment.out_trade_no)
        except ChannelError as exc:  # paid meanwhile, or unreachable: the next look tells
            log.info("could not close the scanned code of %s: %s", payment.payment_id, exc.message)
        return payment
    return apply_queried_trade(d, payment, trade, actor)


def close_payment(d: Deps, app: MerchantApp, payment_id: str, actor: str = "merchant") -> Payment:
    """Closes at the channel first, then locally; a payment the channel reports paid becomes
    SUCCESS (and the close answers 409), never CLOSED."""
    payment = get_payment(d, app, payment_id)
    if payment.status == PaymentStatus.CLOSED:
        return payment
    if payment.status not in OPEN_PAYMENT_STATES:
        raise Conflict("payment_not_closable", f"a {payment.status} payment cannot be closed")
    payment = close_open_payment(d, payment, actor)
    if payment.status != PaymentStatus.CLOSED:
        raise Conflict(
            "payment_already_paid",
            f"payment {payment_id} was paid before it could be closed",
            details=[{"payment_id": payment_id, "status": payment.status.value}],
        )
    return payment


def close_open_payment(d: Deps, payment: Payment, actor: str) -> Payment:
    """PENDING payments are closed at the channel too: a create whose answer was lost may
    still have made an order there. A payer's code that can be reversed is reversed instead
    (services/reversal): a close would not stop a payer still entering a password."""
    if is_reversible(payment):
        return reverse_open_payment(d, payment, actor)
    channel = route_channel(d, attempt_route(d, payment))  # RouteRefused: 503, nothing changed
    try:
        channel.close(payment.out_trade_no)
    except ChannelUnavailable:
        raise
    except ChannelError as exc:  # e.g. ORDERPAID: the query below tells what happened
        log.info("channel refused close of %s: %s", payment.payment_id, exc.channel_code)
    # a close answers 204 even for unknown orders
    trade = channel.query(payment.out_trade_no, context=query_context(payment))
    if trade.state == TradeState.OPEN:
        raise OutcomeNotKnown(
            f"the channel does not know yet whether payment {payment.payment_id} is paid "
            f"({trade.raw_state or 'open'}): query it (GET with sync=true) and close it later",
            details=[{"payment_id": payment.payment_id, "status": payment.status.value}],
        )
    payment = apply_or_review(d, payment, trade, actor)
    if trade.state == TradeState.NOT_FOUND and payment.status in OPEN_PAYMENT_STATES:
        # The channel has no trade to close; where a code makes one when scanned (Alipay's
        # precreate), it can still be paid until it expires at the channel: keep asking.
        changes = {"closed_at": d.clock(), "watch_until": payment.expires_at + CLOSED_WATCH_GRACE}
        payment = transition(
            d, payment, PaymentStatus.CLOSED, changes, "payment.closed", actor, {"reason": actor}
        )
    return payment
