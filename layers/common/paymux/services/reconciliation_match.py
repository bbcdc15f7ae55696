"""One route's statement matched against the local side, in two passes (DESIGN.md §6):

1. the stream: every row is read once, as the statement is (a file, line by line). A payment
   row whose out_trade_no is in the day's paid index (GSI3, read as compact sort keys:
   store/payment_keys.paid_entry) and agrees with it on amount, currency, merchant and fee is
   counted `matched` and nothing is kept of it. Anything else (a row the day does not have, a
   row that disagrees, every refund row) is put aside: bounded by the day's discrepancies and
   refunds, not by its payments.
2. after the statement passed its totals check (a streamed file checks them at its end), the
   rows put aside are resolved with batched reads (BatchGetItem) and their repairs applied,
   in parallel (REPAIR_WORKERS at a time): a statement that does not add up repairs nothing.

Refund rows are matched the same way against the day's refunds (reconciliation_refunds);
payment rows that say more than "paid, as recorded" are handled in reconciliation_repairs;
records one side lacks near midnight go to the pending pool (reconciliation_pending).

What is held per route is the day's paid index (out_trade_no → sort key, two strings a
payment), its refunds' index, the rows put aside and the discrepancy records."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from typing import Any

from paymux.channels.base import StatementRow
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.refund import automatic_refund_id
from paymux.domain.states import OPEN_PAYMENT_STATES, PaymentStatus
from paymux.services.reconciliation_pending import PendingPool, paired
from paymux.services.reconciliation_records import (
    FEE_TOLERANCE,
    AccountReport,
    Record,
    expected_fee,
)
from paymux.services.reconciliation_refunds import RefundSide
from paymux.services.reconciliation_repairs import (
    automatic_refunded,
    paid_trade,
    refund_unkept,
    repair_paid,
    unpaid_row,
)
from paymux.services.routing import Route
from paymux.services.statement_checks import LocalMoney, fields_agree, payment_row_mismatch
from paymux.store.payment_keys import paid_entry, reconciliation_day
from paymux.store.reconciliation_pool import RepairJournal

log = logging.getLogger("paymux")
__all__ = ["REPAIR_WORKERS", "RouteMatch", "paid_index", "paid_trade"]  # paid_trade: what a repair applies
_PAID = frozenset({PaymentStatus.SUCCESS, PaymentStatus.REFUNDED})
REPAIR_WORKERS = 8


def paid_index(d: Deps, account_id: str, day: date, binding_id: str) -> dict[str, str]:
    """The day's paid payments of the route: out_trade_no → GSI3SK. Entries written before the
    sort key carried the match fields are completed from their payments (BatchGetItem)."""
    found: dict[str, str] = {}
    old: list[str] = []
    for sort_key in d.payments.paid_sort_keys(account_id, day):
        entry = paid_entry(sort_key)
        if entry is None:
            old.append(sort_key)
        elif entry[4] == binding_id:
            found[entry[1]] = sort_key
    for payment in d.payments.get_many(old).values():
        if payment.binding_id == binding_id:
            fields = (
                payment.payment_id,
                payment.out_trade_no,
                str(payment.amount),
                payment.currency,
                binding_id,
            )
            found[payment.out_trade_no] = "#".join(fields)
    return found


class RouteMatch:
    """Matches one route's statement rows, one at a time, against the day's paid index."""

    def __init__(
        self,
        d: Deps,
        route: Route,
        day: date,
        earlier_repairs: dict[str, dict[str, str]],
        sink: Callable[[Record], None],
    ) -> None:
        account, binding = route
        self._d, self._account, self._binding, self._day = d, account, binding, day
        self.d, self.account, self.binding, self.day = d, account, binding, day
        self._binding_id = self.binding_id = binding.binding_id if binding else ""
        self._route_key = route.key
        self._earlier_repairs = earlier_repairs  # out_trade_no → repair, from an earlier run
        self._sink = sink
        self._lock = self.lock = threading.Lock()
        self.earlier_repairs = earlier_repairs
        merchant_id = binding.merchant_id if binding else account.owner
        self.report = AccountReport(account.account_id, account.provider, merchant_id, self._binding_id)
        self._paid = paid_index(d, account.account_id, day, self._binding_id)
        self.report.totals["local_paid"] = sum(int(k.split("#")[2]) for k in self._paid.values())
        self._disagreeing: list[tuple[StatementRow, str]] = []  # (row, payment id)
        self._unmatched: list[StatementRow] = []  # rows without a paid payment of the day, refunds
        self._unpaid: list[tuple[StatementRow, str | None]] = []  # revoked/closed rows (payment id)
        self._payments: dict[str, Payment] = {}  # read in the second pass
        self._attempts: dict[str, dict[str, Any]] = {}  # out_trade_no → attempt, read in the second pass
        self.pending = PendingPool(d, self.report_key, day)
        self._journal = RepairJournal(d.dynamodb, d.settings.table)
        self.refunds = RefundSide(self)

    @property
    def report_key(self) -> str:
        return f"{self.account.account_id}#{self.binding_id}" if self.binding_id else self.account.account_id

    # -- pass 1: the stream ----------------------------------------------------------------
    def row(self, row: StatementRow) -> None:
        totals = self.report.totals
        totals["channel_fees"] += row.fee
        if row.kind != "payment":
            totals["channel_refunds"] += row.amount
            if not self.refunds.stream(row):
                self._unmatched.append(row)
            return
        if row.status != "SUCCESS":  # revoked or closed at the channel: no money moved
            self._unpaid.append((row, self._paid_id(row.out_trade_no)))
            return
        totals["channel_payments"] += row.amount
        sort_key = self._paid.pop(row.out_trade_no, None)
        if sort_key is None:
            self._unmatched.append(row)
            return
        payment_id, _, amount, currency, _ = sort_key.split("#")
        if (
            self._clean(row, LocalMoney(int(amount), currency))
            and row.out_trade_no not in self._earlier_repairs
        ):
            self.report.counts["payment"]["matched"] += 1
        else:
            self._disagreeing.append((row, payment_id))

    def quick(
        self,
        out_trade_no: str,
        amount: int,
        fee: int,
        currency: str,
        mchid: str,
        appid: str,
        sub_mchid: str,
        carries: frozenset[str],
    ) -> bool:
        """row() of a paid row that matches, from its fields alone (channels.base.QuickMatch):
        True when it was counted matched; False (nothing counted, the index untouched) for any
        other row, which then comes to row() as a StatementRow."""
        sort_key = self._paid.get(out_trade_no)
        if sort_key is None or out_trade_no in self._earlier_repairs:
            return False
        _, _, local_amount, local_currency, _ = sort_key.split("#")
        fields, money = (amount, currency, mchid, appid, sub_mchid), (int(local_amount), local_currency)
        if not fields_agree(fields, carries, money, self._account, self._binding):
            return False
        if abs(fee - expected_fee(amount, self._account.fee_rate)) > FEE_TOLERANCE:
            return False
        del self._paid[out_trade_no]
        totals = self.report.totals
        totals["channel_fees"] += fee
        totals["channel_payments"] += amount
        self.report.counts["payment"]["matched"] += 1
        return True

    def _paid_id(self, out_trade_no: str) -> str | None:
        sort_key = self._paid.pop(out_trade_no, None)
        return sort_key.split("#")[0] if sort_key else None

    def _clean(self, row: StatementRow, money: LocalMoney) -> bool:
        if payment_row_mismatch(row, money, self._account, self._binding):
            return False
        return abs(row.fee - expected_fee(row.amount, self._account.fee_rate)) <= FEE_TOLERANCE

    # -- pass 2: after the totals check ----------------------------------------------------
    def finish(self) -> None:
        """Resolves what the stream put aside, then reports what was paid here that day and is
        not in the statement. Called only for a statement that passed its totals check."""
        unpaid = [pid for _, pid in self._unpaid if pid]
        self._payments = self._d.payments.get_many(
            [pid for _, pid in self._disagreeing] + self._leftover_ids() + unpaid
        )
        for row, payment_id in self._disagreeing:
            payment = self._payments[payment_id]
            fee = expected_fee(row.amount, self._account.fee_rate)
            self._record(self._compare(self._channel_record(row, fee), payment, fee, row))
        self._attempts = self._d.payments.attempts_of(
            [r.out_trade_no for r in self._unmatched if r.kind == "payment"]
            + [r.out_trade_no for r, pid in self._unpaid if not pid]
        )
        self._read_unpaid_payments()
        self.refunds.prefetch([r for r in self._unmatched if r.kind == "refund"])
        _ = self._d.refunds, self._d.sqs, self._d.notifications  # built once, before the threads
        with ThreadPoolExecutor(max_workers=REPAIR_WORKERS, thread_name_prefix="recon") as pool:
            list(pool.map(self._resolve, self._unmatched))
        for revoked, revoked_id in self._unpaid:
            listed = self._payments.get(revoked_id or self._payment_id(revoked.out_trade_no) or "")
            self._record(unpaid_row(self, revoked, listed))
        for sort_key in self._paid.values():
            left = self._payments.get(sort_key.split("#")[0])
            if left is not None:
                self._local_only(left)
        self._paid.clear()
        self.refunds.finish()
        for record in self.pending.expired():
            self._record(record)
        self.pending.save()
        self.report.resolved = sorted(self.pending.resolved, key=lambda r: (r["kind"], r["number"]))
        # made in parallel: in a stable order, so that a re-run reports them alike
        self.report.repairs.sort(key=lambda r: (r.get("out_refund_no", ""), r["out_trade_no"]))

    def _read_unpaid_payments(self) -> None:
        ids = [self._payment_id(r.out_trade_no) for r, pid in self._unpaid if not pid]
        self._payments |= self._d.payments.get_many([i for i in ids if i and i not in self._payments])

    def _leftover_ids(self) -> list[str]:
        return [k.split("#")[0] for k in self._paid.values()]

    def _resolve(self, row: StatementRow) -> None:
        if row.kind == "payment":
            self._payment_row(row)
        else:
            self.refunds.row(row)

    def _local_only(self, payment: Payment) -> None:
        record = Record(self._account.account_id, "local_only", "payment", payment.out_trade_no)
        record = replace(record, merchant_id=payment.merchant_id, binding_id=self._binding_id)
        record = replace(record, provider=self._account.provider)
        record = record.local(payment.payment_id, payment.status.value, payment.amount)
        record = record.classed("local_only", "paid locally this day, not in the channel's statement")
        entry = self.pending.counterpart("payment", "local", payment.out_trade_no)
        if entry is not None:
            self._record(paired(record, entry, f"paid here on {self._day}"))
            return
        self._record(self.pending.unmatched(record, payment.paid_at))

    def add_repair(self, repair: dict[str, str], paid_amount: int = 0) -> None:
        with self._lock:
            self.report.totals["local_paid"] += paid_amount  # paid here now, as on a re-run
            self.report.repairs.append(repair)

    def intend(self, number: str, repair: dict[str, str]) -> None:
        """Journals a repair before it is made (a run that dies after it still reports it)."""
        self._journal.intend(self.report_key, self._day, number, repair)

    def record(self, record: Record) -> None:
        self._record(record)

    def _record(self, record: Record) -> None:
        with self._lock:
            self.report.counts[record.kind][record.cls] += 1
            if record.cls != "matched":
                self._sink(record)

    def payment_ids_of(self, out_trade_nos: list[str]) -> dict[str, str]:
        """out_trade_no → the payment of this route it is an attempt of (BatchGetItem)."""
        attempts = self._d.payments.attempts_of(out_trade_nos)
        with self._lock:
            self._attempts |= attempts
        found = {n: self._payment_id(n) for n in out_trade_nos}
        return {n: pid for n, pid in found.items() if pid}

    def _payment_id(self, out_trade_no: str) -> str | None:
        attempt = self._attempts.get(out_trade_no)  # an earlier attempt, or not paid here
        if attempt is None or attempt.get("account_id") != self._account.account_id:
            return None
        if str(attempt.get("binding_id") or "") != self._binding_id:
            return None  # another sub-merchant's attempt: its own statement has it
        return str(attempt["payment_id"])

    def channel_record(self, row: StatementRow, fee: int) -> Record:
        return self._channel_record(row, fee)

    def _channel_record(self, row: StatementRow, fee: int) -> Record:
        record = Record(self._account.account_id, "matched", row.kind, row.out_trade_no, row.out_refund_no)
        record = replace(record, merchant_id=self.report.merchant_id, binding_id=self._binding_id)
        record = replace(record, provider=self._account.provider)
        return replace(record, channel_amount=row.amount, channel_fee=row.fee, expected_fee=fee)

    def _payment_row(self, row: StatementRow) -> None:
        """A payment row the day's paid index does not have."""
        fee = expected_fee(row.amount, self._account.fee_rate)
        base = self._channel_record(row, fee)
        payment_id = self._payment_id(row.out_trade_no)
        if payment_id:
            # a charge the payment did not keep (a second paid attempt, or paid after close) is
            # matched against its automatic refund, never counted as the payment
            automatic = self._d.refunds.get(automatic_refund_id(row.out_trade_no))
            if automatic is not None and automatic.payment_id == payment_id:
                self._record(automatic_refunded(base, automatic, fee))
                return
        payment = self._d.payments.get(payment_id) if payment_id else None
        if payment is None:
            record = base.classed("channel_only", "no local payment for this out_trade_no")
            self._record(self.pending.unmatched(record, row.occurred_at))
            return
        base = base.local(payment.payment_id, payment.status.value, payment.amount)
        if payment.status in OPEN_PAYMENT_STATES:
            self._record(repair_paid(self, base, payment, row))
        elif payment.status in _PAID:
            paid_day = reconciliation_day(payment.paid_at or 0, payment.settle_date)
            if paid_day == self._day:  # paid while this run was under way, or under another attempt
                with self._lock:
                    kept = self._paid.pop(payment.out_trade_no, None)
                    if kept is None:
                        self.report.totals["local_paid"] += payment.amount
                self._record(self._compare(base, payment, fee, row))
            else:
                self._other_day(base, payment, fee, row, paid_day)
        else:
            self._record(refund_unkept(self, base, payment, row))

    def _other_day(self, base: Record, payment: Payment, fee: int, row: StatementRow, paid_day: date) -> None:
        """A row of a payment paid here on another day: the other half of a record pooled then,
        or a channel_only record of this day (pending when near midnight)."""
        if self.pending.counterpart("payment", "channel", row.out_trade_no) is not None:
            compared = self._compare(base, payment, fee, row)
            detail = f"paid here on {paid_day} (pending then), listed by the channel on {self._day}"
            self._record(compared if compared.cls != "matched" else compared.classed("matched", detail))
            return
        record = base.classed("channel_only", f"paid locally on {paid_day}, not this day")
        self._record(self.pending.unmatched(record, row.occurred_at))

    def _compare(self, base: Record, payment: Payment, fee: int, row: StatementRow) -> Record:
        base = base.local(payment.payment_id, payment.status.value, payment.amount)
        earlier = self._earlier_repairs.get(payment.out_trade_no)
        if earlier is not None and earlier.get("payment_id") == payment.payment_id:
            with self._lock:
                self.report.repairs.append(earlier)  # repaired by an earlier run of this day
            base = replace(base, local_status=earlier["from_status"])
            return base.classed(
                "status_mismatch", f"repaired {earlier['from_status']} → SUCCESS by reconciliation"
            )
        if mismatch := payment_row_mismatch(row, payment, self._account, self._binding):
            return base.classed(mismatch[0], mismatch[1] + " (never repaired)")
        if abs((base.channel_fee or 0) - fee) > FEE_TOLERANCE:
            return base.classed("fee_mismatch", f"fee rate {self._account.fee_rate} configured")
        return base
