"""What reconciliation does with a payment row that says more than "paid, as recorded"
(services/reconciliation_match.py calls these for one route's run): a lost callback repaired
like a late one, a charge after close refunded automatically, a charge the payment did not keep
matched against its automatic refund, a trade the channel revoked compared with the payment."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from paymux.channels.base import StatementRow, TradeResult, TradeState
from paymux.clock import parse_iso
from paymux.domain.payment import Payment
from paymux.domain.refund import Refund, automatic_refund_id
from paymux.domain.states import OPEN_PAYMENT_STATES, PaymentStatus, RefundStatus
from paymux.errors import PaymuxError
from paymux.services.outcomes import apply_trade_result
from paymux.services.reconciliation_records import ACTOR, FEE_TOLERANCE, Record, expected_fee
from paymux.services.reconciliation_reversals import reversal_refunded, reversed_paid_row
from paymux.services.statement_checks import payment_row_mismatch

if TYPE_CHECKING:
    from paymux.services.reconciliation_match import RouteMatch

log = logging.getLogger("paymux")
_PAID = frozenset({PaymentStatus.SUCCESS, PaymentStatus.REFUNDED})


def automatic_refunded(base: Record, refund: Refund, fee: int) -> Record:
    """A charge the payment did not keep, against its automatic refund."""
    base = base.local(refund.payment_id, refund.status.value, refund.amount)
    base = replace(base, out_refund_no=refund.out_refund_no)
    if base.channel_amount != refund.amount:
        return base.classed("amount_mismatch", "the charge differs from its automatic refund")
    if abs((base.channel_fee or 0) - fee) > FEE_TOLERANCE:
        return base.classed("fee_mismatch", "fee of a charge refunded automatically")
    if refund.status != RefundStatus.SUCCESS:
        # the payer is still charged: a discrepancy until the refund has gone through
        detail = f"charge not kept and not refunded: automatic refund {refund.status.value}"
        return base.classed("status_mismatch", detail)
    return base.classed("matched", "charge not kept; refunded automatically")


def repair_paid(run: RouteMatch, base: Record, payment: Payment, row: StatementRow) -> Record:
    """Paid at the channel, still open here: applied like a late callback, so the payment
    becomes SUCCESS (with its audit event) and the merchant is notified."""
    if mismatch := payment_row_mismatch(row, payment, run.account, run.binding):
        return base.classed(mismatch[0], mismatch[1] + " (not repaired)")
    repair = {"out_trade_no": row.out_trade_no, "payment_id": payment.payment_id}
    repair["from_status"] = base.local_status
    run.intend(row.out_trade_no, repair)
    try:
        updated = apply_trade_result(run.d, payment, paid_trade(row), actor=ACTOR)
    except PaymuxError as exc:
        return base.classed("status_mismatch", f"not repaired: {exc.message}")
    if updated.status != PaymentStatus.SUCCESS:
        return base.classed("status_mismatch", f"not repaired: now {updated.status.value}")
    run.add_repair(repair, payment.amount)
    return base.classed("status_mismatch", f"repaired {base.local_status} → SUCCESS by reconciliation")


def refund_unkept(run: RouteMatch, base: Record, payment: Payment, row: StatementRow) -> Record:
    """Paid at the channel, CLOSED or FAILED here (a charge after close that no callback or
    query brought in): applied like a late callback, which refunds it automatically. Still
    a discrepancy of the day, reported with what was done."""
    if mismatch := payment_row_mismatch(row, payment, run.account, run.binding):
        return base.classed(mismatch[0], mismatch[1] + " (not refunded)")
    if reversal_refunded(run.d, payment, row.out_trade_no):  # the channel gave it back already: never again
        return reversed_paid_row(base)
    if payment.reversal_escalated_at is not None:  # an operator closed it: the payer has it back
        detail = "paid at the channel, CLOSED here by an operator's review of its reversal"
        return base.classed("status_mismatch", detail + ": not refunded, needs an operator")
    detail = f"paid at the channel after it was {payment.status.value} here"
    try:
        apply_trade_result(run.d, payment, paid_trade(row), actor=ACTOR)
    except PaymuxError as exc:  # recorded; the sweeper places the refund
        log.warning("automatic refund of %s not placed yet: %s", row.out_trade_no, exc.message)
    refund = run.d.refunds.get(automatic_refund_id(row.out_trade_no))
    if refund is None:
        return base.classed("status_mismatch", detail + ": not refunded, needs an operator")
    return base.classed("status_mismatch", detail + f": refunded automatically ({refund.status.value})")


def unpaid_row(run: RouteMatch, row: StatementRow, payment: Payment | None) -> Record:
    """A trade the statement lists as not paid (WeChat's REVOKED): a discrepancy only where
    paymux holds it paid (never repaired: a person checks the payer's money) or open."""
    base = run.channel_record(row, expected_fee(row.amount, run.account.fee_rate))
    if payment is None:
        return base.classed("channel_only", f"{row.status} at the channel (no money moved); no local payment")
    base = base.local(payment.payment_id, payment.status.value, payment.amount)
    if payment.status in _PAID:
        detail = f"{row.status} at the channel, {payment.status.value} here (never repaired)"
    elif payment.status in OPEN_PAYMENT_STATES:
        detail = f"{row.status} at the channel, still open here (not repaired: the sweeper asks)"
    else:
        return base.classed("matched", f"{row.status} at the channel")
    return base.classed("status_mismatch", detail)


def paid_trade(row: StatementRow) -> TradeResult:
    """A statement's payment row as the channel's word that the trade was paid."""
    return TradeResult(
        out_trade_no=row.out_trade_no,
        state=TradeState.PAID,
        amount=row.amount,
        currency=row.currency,
        channel_trade_no=row.channel_trade_no,
        paid_at=parse_iso(row.occurred_at),
        mchid=row.mchid,
        appid=row.appid,
        sub_mchid=row.sub_mchid,
        raw_state=row.status,
        carries=row.carries,
        settle_date=row.settle_date,  # a repaired payment is indexed on the day that lists it
    )
