"""Charges a payment does not keep: a second paid attempt (an abandoned attempt paid after all),
or a charge that arrives after the payment was closed or failed (the merchant was told it will
not be paid). Each is given back by an automatic refund: a `Refund` of kind "automatic" of that
attempt's own trade, written with the payment's event in one transaction, then placed at the
channel. From there it is a refund like any other: the sweeper follows it up, callbacks and
queries settle it, reconciliation matches it. Its id comes from the attempt, so a repeated
callback finds it instead of refunding again; the payment's own refundable amount is untouched
(this money was never the payment's)."""

from __future__ import annotations

from typing import Any

from paymux.channels.base import ChannelAccount, TradeResult
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.refund import Refund, automatic_refund_id
from paymux.domain.states import RefundStatus
from paymux.errors import IllegalTransition
from paymux.services.outcomes import transition
from paymux.services.refund_outcomes import FIRST_CHECK_AFTER
from paymux.services.refunds import place_refund

DUPLICATE_CHARGE = ("payment.duplicate_charge", "duplicate payment refunded automatically")
PAID_AFTER_CLOSE = ("payment.paid_after_close", "paid after the order was closed; refunded automatically")


def refund_duplicate_charge(
    d: Deps,
    payment: Payment,
    trade: TradeResult,
    account: ChannelAccount,
    actor: str,
    cause: tuple[str, str] = DUPLICATE_CHARGE,
) -> Refund:
    """Records (once) and places the automatic refund of `trade`. Raises RefundNotPlaced (a
    ChannelUnavailable) when the channel did not take it, so a charge callback is not
    acknowledged until its refund is placed; the sweeper places it meanwhile."""
    refund = d.refunds.get(automatic_refund_id(trade.out_trade_no))
    if refund is None:
        refund = _record(d, payment, trade, account, actor, cause)
    if refund.status != RefundStatus.PROCESSING or refund.channel_refund_no:
        return refund  # placed before (the channel knows it) or settled
    return place_refund(d, refund, payment)


def _record(
    d: Deps, payment: Payment, trade: TradeResult, account: ChannelAccount, actor: str, cause: tuple[str, str]
) -> Refund:
    event_type, reason = cause
    now = d.clock()
    refund = Refund(
        refund_id=automatic_refund_id(trade.out_trade_no),
        payment_id=payment.payment_id,
        merchant_id=payment.merchant_id,
        app_id=payment.app_id,
        merchant_refund_no="",
        amount=trade.amount if trade.amount is not None else payment.amount,
        currency=trade.currency or payment.currency,
        request_hash="",
        created_at=now,
        reason=reason,
        updated_at=now,
        kind="automatic",
        out_trade_no=trade.out_trade_no,
        account_id=account.account_id,
        trade_no=trade.channel_trade_no,
        sent_at=now,  # a new request of its own: sent now, not at its attempt's time
    )
    detail = {
        "out_trade_no": trade.out_trade_no,
        "channel_trade_no": trade.channel_trade_no,
        "amount": refund.amount,
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
    }
    items = d.refunds.automatic_items(
        refund, now + FIRST_CHECK_AFTER, {"amount": refund.amount, "cause": event_type}
    )
    changes: dict[str, Any] = {
        "automatic_refunds": {**payment.automatic_refunds, refund.refund_id: refund.to_summary()},
        "watch_until": 0.0,  # a closed payment's watch ends: its refund is followed up now
    }
    try:
        transition(d, payment, payment.status, changes, event_type, actor, detail, extra_items=items)
    except IllegalTransition:
        existing = d.refunds.get(refund.refund_id)
        if existing is None:
            raise  # the payment changed meanwhile: the caller decides again on a fresh read
        return existing  # recorded by a concurrent delivery of the same charge
    return refund
