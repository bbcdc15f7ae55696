"""One route's refund rows against its refunds of the day (DESIGN.md §6).

The local side is the refunds-by-account-and-day index (store/refund_days.py: every refund that
succeeded on this account, booked on this day, as compact sort keys). In the stream a refund
row found there that agrees on amount, status, merchant and fee is `matched` and nothing more is
read. After the totals check, the other rows are resolved with the refunds and their payments
read by BatchGetItem, and what is left in the index is `local_only` (pending near midnight).

Status differences: a refund still open here (PROCESSING, or ABNORMAL) that the statement shows
SUCCESS or FAILED (final) is repaired through the refund state machine's conditional transition
(services/refund_outcomes.apply_refund_result, actor `reconciliation`): its audit event, its
payment's bookkeeping and the merchant's notification, exactly once. Every other difference
(SUCCESS here and FAILED or PROCESSING at the channel, ABNORMAL at the channel) is reported and
never repaired: paymux does not guess a refund's outcome."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from paymux.channels.base import RefundResult, RefundState, StatementRow
from paymux.domain.payment import Payment
from paymux.domain.refund import Refund, refund_id_from_out_refund_no
from paymux.domain.states import REFUND_TRANSITIONS, PaymentStatus, RefundStatus
from paymux.errors import PaymuxError
from paymux.services.reconciliation_pending import paired
from paymux.services.reconciliation_records import ACTOR, FEE_TOLERANCE, Record, expected_fee
from paymux.services.reconciliation_reversals import reversal_refund_row, reversal_refunded
from paymux.services.reconciliation_routes import refund_attempts, refund_route_or_none
from paymux.services.statement_checks import refund_row_mismatch
from paymux.store.refund_days import RefundDays, RefundEntry, refund_index_day

if TYPE_CHECKING:
    from paymux.services.reconciliation_match import RouteMatch

_FINAL = {"SUCCESS": RefundState.SUCCESS, "FAILED": RefundState.FAILED}


class RefundSide:
    def __init__(self, run: RouteMatch) -> None:
        self._run = run
        entries = RefundDays(run.d.dynamodb, run.d.settings.table).succeeded_on(
            run.account.account_id, run.day
        )
        self._index: dict[str, RefundEntry] = {
            e.out_refund_no: e for e in entries if e.binding_id == run.binding_id
        }
        self._refunds: dict[str, Refund] = {}
        self._payments: dict[str, Payment] = {}
        self._refunded_by_channel: dict[str, str] = {}
        self._attempts: dict[str, dict[str, Any]] = {}  # automatic refunds' own attempts

    # -- pass 1 ----------------------------------------------------------------------------
    def stream(self, row: StatementRow) -> bool:
        """True when the row is matched by the index alone (nothing kept of it)."""
        entry = self._index.get(row.out_refund_no)
        if entry is None:
            return False
        del self._index[row.out_refund_no]
        run = self._run
        clean = (
            row.status == RefundStatus.SUCCESS.value
            and row.amount == entry.amount
            and not refund_row_mismatch(row, run.account, run.binding)
            and abs(row.fee + expected_fee(row.amount, run.account.fee_rate)) <= FEE_TOLERANCE
            and row.out_refund_no not in run.earlier_repairs
        )
        if clean:
            run.report.counts["refund"]["matched"] += 1
        return clean

    # -- pass 2 ----------------------------------------------------------------------------
    def prefetch(self, rows: list[StatementRow]) -> None:
        """The refunds of the rows put aside and of what is left in the index, then their
        payments: BatchGetItem, not one GetItem a row."""
        ids = [refund_id_from_out_refund_no(r.out_refund_no) for r in rows if r.out_refund_no]
        ids += [e.refund_id for e in self._index.values()]
        self._refunds = self._run.d.refunds.get_many(ids)
        unknown = [
            r.out_trade_no for r in rows if refund_id_from_out_refund_no(r.out_refund_no) not in self._refunds
        ]
        refunded = self._run.payment_ids_of(unknown)  # out_trade_no → payment of this route
        self._refunded_by_channel = refunded
        payment_ids = [r.payment_id for r in self._refunds.values()] + list(refunded.values())
        self._payments = self._run.d.payments.get_many(payment_ids)
        self._attempts = refund_attempts(self._run.d, self._refunds.values(), self._payments)

    def row(self, row: StatementRow) -> None:
        run = self._run
        fee = -expected_fee(row.amount, run.account.fee_rate)
        base = run.channel_record(row, fee)
        refund = (
            self._refunds.get(refund_id_from_out_refund_no(row.out_refund_no)) if row.out_refund_no else None
        )
        payment = self._payments.get(refund.payment_id) if refund else None
        route = refund_route_or_none(run.d, refund, payment, self._attempts)
        if refund is None or payment is None or route is None or route.key != _route_key(run):
            run.record(self._unknown(base, row))
            return
        base = base.local(refund.payment_id, refund.status.value, refund.amount)
        if self.pooled_here(refund, row, base):
            return
        run.record(self._compare(base, refund, row, fee))

    def pooled_here(self, refund: Refund, row: StatementRow, base: Record) -> bool:
        """A row of a refund booked here on an earlier day and pooled then: its other half."""
        if refund_index_day(refund.created_at) == self._run.day:
            return False
        entry = self._run.pending.counterpart("refund", "channel", row.out_refund_no)
        if entry is None:
            return False
        compared = self._compare(base, refund, row, -expected_fee(row.amount, self._run.account.fee_rate))
        if compared.cls == "matched":
            detail = (
                f"booked here on {entry.pooled_on} (pending then), listed by the channel on {self._run.day}"
            )
            compared = compared.classed("matched", detail)
        self._run.record(compared)
        return True

    def _unknown(self, base: Record, row: StatementRow) -> Record:
        """A refund row with no refund of this route: channel_only (pending near midnight), or
        a status mismatch when the payment it refunds is paid here and refunded by no refund of
        ours (a refund or an undo/revoke made at the channel)."""
        run = self._run
        payment = self._payments.get(self._refunded_by_channel.get(row.out_trade_no, ""))
        if payment is not None and payment.status == PaymentStatus.SUCCESS:
            base = base.local(payment.payment_id, payment.status.value, payment.amount)
            whole = "in full" if row.amount == payment.amount else "in part"
            detail = f"refunded {whole} at the channel (a refund or an undo not made by paymux), "
            return base.classed("status_mismatch", detail + "SUCCESS here (never repaired)")
        if payment is not None and reversal_refunded(run.d, payment, row.out_trade_no):
            reversal = reversal_refund_row(base, payment, row.amount)
            if reversal is not None:
                return reversal
        record = base.classed("channel_only", "no local refund for this out_refund_no")
        return run.pending.unmatched(record, row.occurred_at)

    def _compare(self, base: Record, refund: Refund, row: StatementRow, fee: int) -> Record:
        run = self._run
        earlier = run.earlier_repairs.get(row.out_refund_no)
        if earlier is not None and earlier.get("out_refund_no") == row.out_refund_no:
            with run.lock:
                run.report.repairs.append(earlier)
            base = replace(base, local_status=earlier["from_status"])
            return base.classed("status_mismatch", _repaired(earlier["from_status"], earlier["to_status"]))
        if refund.amount != row.amount:
            return base.classed("amount_mismatch", "the channel's refund amount differs from ours")
        if merchant := refund_row_mismatch(row, run.account, run.binding):
            return base.classed("merchant_mismatch", f"the channel's row: {merchant}")
        if refund.status.value != row.status:
            return self._status(base, refund, row)
        if abs(row.fee - fee) > FEE_TOLERANCE:
            return base.classed("fee_mismatch", f"fee rate {run.account.fee_rate} configured")
        return base

    def _status(self, base: Record, refund: Refund, row: StatementRow) -> Record:
        state = _FINAL.get(row.status)
        target = RefundStatus(row.status) if state else None
        if state is None or target not in REFUND_TRANSITIONS[refund.status]:
            detail = f"{row.status} at the channel, {refund.status.value} here (not repaired)"
            return base.classed("status_mismatch", detail)
        result = RefundResult(
            out_refund_no=row.out_refund_no,
            state=state,
            amount=row.amount,
            channel_refund_no=row.channel_refund_no,
            raw_status=row.status,
            settle_date=row.settle_date,
        )
        repair = {"out_trade_no": refund.out_trade_no, "payment_id": refund.payment_id}
        repair |= {"out_refund_no": row.out_refund_no, "from_status": refund.status.value}
        repair |= {"to_status": target.value}
        self._run.intend(row.out_refund_no, repair)
        try:
            from paymux.services.refund_outcomes import apply_refund_result  # noqa: PLC0415

            updated = apply_refund_result(self._run.d, refund, result, actor=ACTOR)
        except PaymuxError as exc:
            return base.classed("status_mismatch", f"not repaired: {exc.message}")
        if updated.status != target:
            return base.classed("status_mismatch", f"not repaired: now {updated.status.value}")
        with self._run.lock:
            self._run.report.repairs.append(repair)
        return base.classed("status_mismatch", _repaired(refund.status.value, target.value))

    def finish(self) -> None:
        """What is left in the index succeeded here, booked this day, and is not in the statement."""
        run = self._run
        for entry in self._index.values():
            refund = self._refunds.get(entry.refund_id)
            record = Record(run.account.account_id, "local_only", "refund", entry.out_trade_no)
            record = replace(record, out_refund_no=entry.out_refund_no, provider=run.account.provider)
            record = replace(record, merchant_id=run.report.merchant_id, binding_id=run.binding_id)
            record = record.local(entry.payment_id, RefundStatus.SUCCESS.value, entry.amount)
            record = record.classed("local_only", "refunded here this day, not in the channel's statement")
            pooled = run.pending.counterpart("refund", "local", entry.out_refund_no)
            if pooled is not None:
                run.record(paired(record, pooled, f"refunded here on {run.day}"))
                continue
            run.record(run.pending.unmatched(record, refund.created_at if refund else None))
        self._index.clear()


def _repaired(from_status: str, to_status: str) -> str:
    return f"repaired {from_status} → {to_status} by reconciliation"


def _route_key(run: RouteMatch) -> str:
    return run.account.account_id + (f"#{run.binding_id}" if run.binding_id else "")
