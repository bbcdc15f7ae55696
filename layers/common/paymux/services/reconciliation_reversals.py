"""A payer code that paymux reversed after it was paid, as a statement lists it.

A reversal of a trade the payer had meanwhile paid gives the charge back at the channel itself
(Alipay's `trade.cancel` answering `action=refund`: services/reversal.REFUNDED, kept in the
payment's `payment.reversed` event); the payment is CLOSED here and the payer whole. The day's
statement may still list the trade as paid, and the cancel's refund as a refund row that no
refund here has. Neither is a charge after close: refunding it again is what must never
happen (the channel refuses it at best). So the paid row is `matched` against the reversal,
and a refund row of the whole amount is the reversal's own refund, `matched` too; any other
refund row of such a payment stays a discrepancy."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from paymux.domain.payment import Payment
from paymux.domain.states import PaymentStatus
from paymux.services.reconciliation_records import Record
from paymux.services.reversal import REFUNDED

if TYPE_CHECKING:
    from paymux.deps import Deps

DETAIL = "given back by its reversal at the channel (reversed after it was paid); CLOSED here"


def reversal_refunded(d: Deps, payment: Payment, out_trade_no: str) -> bool:
    """The payment was closed by a reversal of attempt `out_trade_no` (the statement row's)
    whose channel answer was that it gave the charge back: another attempt's paid row is not
    given back by it. Only a reversed CLOSED payment's events are read (one Query, a rare row)."""
    if payment.status != PaymentStatus.CLOSED or payment.reversal_started_at is None:
        return False
    return any(
        e.get("type") == "payment.reversed"
        and _detail(e).get("reversal") == REFUNDED
        and _detail(e).get("out_trade_no") == out_trade_no
        for e in d.payments.events(payment.payment_id)
    )


def _detail(event: dict[str, Any]) -> dict[str, Any]:
    detail = event.get("detail")
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError:
            return {}
    return detail if isinstance(detail, dict) else {}


def reversed_paid_row(base: Record) -> Record:
    """The statement's paid row of a payment its reversal gave back."""
    return base.classed("matched", "paid at the channel, " + DETAIL)


def reversal_refund_row(base: Record, payment: Payment, amount: int) -> Record | None:
    """A refund row (no refund here) of a payment its reversal gave back: the reversal's own
    refund when it is of the whole amount, else None (the caller reports it)."""
    if amount != payment.amount:
        return None
    base = base.local(payment.payment_id, payment.status.value, payment.amount)
    return base.classed("matched", "the refund of a payment " + DETAIL)
