"""T+1 reconciliation (DESIGN.md §6): per enabled channel account and Asia/Shanghai day, fetch
the channel's statement, archive it raw in S3, match its rows against the payments paid that
day (GSI3) and the refunds they name, repair what the channel paid and we did not record, and
write `reports/<day>/summary.json` and `reports/<day>/discrepancies.csv`.

Rows are consumed one at a time; what is held per account is the day's locally paid payments
(a dict keyed by payment id, bounded by one account's paid payments of one day) and the
discrepancies found. Running a day again is safe: reports are overwritten, an identical
statement is not re-archived, repairs go through the one transition path (so happen once), and
the repairs an earlier run of the day recorded in its summary are reported again as such."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from paymux.channels.base import StatementRow, TradeResult, TradeState
from paymux.clock import CHINA, iso, parse_iso
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.refund import Refund, automatic_refund_id, refund_id_from_out_refund_no
from paymux.domain.states import OPEN_PAYMENT_STATES, PaymentStatus, RefundStatus
from paymux.errors import PaymuxError
from paymux.observability import emit_metric
from paymux.services.outcomes import apply_trade_result
from paymux.services.reconciliation_routes import reconciled_routes, refund_route_or_none, run_key
from paymux.services.report_formats import write_discrepancy_reports
from paymux.services.routes import route_channel
from paymux.services.routing import Route
from paymux.services.statement_checks import payment_row_mismatch, refund_row_mismatch
from paymux.store.payment_keys import reconciliation_day
from paymux.store.reports import ReportStore, report_key, statement_key

log = logging.getLogger("paymux")
ACTOR = "reconciliation"
_MISMATCHES = ("amount_mismatch", "merchant_mismatch", "fee_mismatch")
CLASSES = ("matched", "channel_only", "status_mismatch", "local_only", *_MISMATCHES)
REFUND_CLASSES = tuple(c for c in CLASSES if c != "local_only")  # local-only refunds: not yet
_IDENTITY = ("account_id", "class", "out_trade_no", "out_refund_no", "payment_id", "local_status")
CSV_COLUMNS = (
    *_IDENTITY,
    "local_amount",
    "channel_amount",
    "channel_fee",
    "expected_fee",
    "detail",
    "merchant_id",  # the merchant of a direct account, or of the binding (provider mode)
    "binding_id",  # provider mode: the sub-merchant's binding ("" for a direct account)
)
TOTALS = ("channel_payments", "channel_refunds", "channel_fees", "local_paid")
FEE_TOLERANCE = 1  # fen
_PAID = frozenset({PaymentStatus.SUCCESS, PaymentStatus.REFUNDED})


class ReconciliationIncomplete(PaymuxError):
    """Some account could not be reconciled; the others' reports are written."""

    code = "reconciliation_incomplete"


def default_day(now: float) -> date:
    """Yesterday, Asia/Shanghai: the day whose statements are ready at 10:30 (they are from 09:00)."""
    return (datetime.fromtimestamp(now, CHINA) - timedelta(days=1)).date()


def expected_fee(amount: int, fee_rate: str) -> int:
    """The account's configured rate × amount, rounded to fen half up (half away from zero)."""
    return int((Decimal(amount) * Decimal(fee_rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class Record:
    """One reconciled record; every one but `matched` is a row of discrepancies.csv."""

    account_id: str
    cls: str
    kind: str
    out_trade_no: str = ""
    out_refund_no: str = ""
    payment_id: str = ""
    local_status: str = ""
    local_amount: int | None = None
    channel_amount: int | None = None
    channel_fee: int | None = None
    expected_fee: int | None = None
    detail: str = ""
    merchant_id: str = ""
    binding_id: str = ""

    def local(self, payment_id: str, status: str, amount: int) -> Record:
        return replace(self, payment_id=payment_id, local_status=status, local_amount=amount)

    def classed(self, cls: str, detail: str) -> Record:
        return replace(self, cls=cls, detail=detail)

    def csv_row(self) -> list[str]:
        values = {**asdict(self), "class": self.cls}
        return ["" if values[c] is None else str(values[c]) for c in CSV_COLUMNS]


@dataclass(slots=True)
class AccountReport:
    account_id: str
    provider: str
    merchant_id: str = ""
    binding_id: str = ""  # provider mode: one report per sub-merchant (binding) of the account
    statement: dict[str, Any] | None = None
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            "payment": dict.fromkeys(CLASSES, 0),
            "refund": dict.fromkeys(REFUND_CLASSES, 0),
        }
    )
    repairs: list[dict[str, str]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TOTALS, 0))
    error: str | None = None


@dataclass(slots=True)
class ReconciliationSummary:
    day: date
    generated_at: float
    accounts: list[AccountReport]
    discrepancies: int
    reports: dict[str, str]

    @property
    def failed_accounts(self) -> list[str]:
        return [a.account_id for a in self.accounts if a.error]

    def to_dict(self) -> dict[str, Any]:
        accounts = [asdict(a) | {"repaired": len(a.repairs)} for a in self.accounts]
        totals = {k: sum(a.totals[k] for a in self.accounts) for k in TOTALS}
        counts = {
            kind: {c: sum(a.counts[kind][c] for a in self.accounts) for c in classes}
            for kind, classes in (("payment", CLASSES), ("refund", REFUND_CLASSES))
        }
        return {
            "date": self.day.isoformat(),
            "generated_at": iso(self.generated_at),
            "counts": counts,
            "repaired": sum(len(a.repairs) for a in self.accounts),
            "totals": totals,
            "discrepancies": self.discrepancies,
            "statements": [a.statement["key"] for a in self.accounts if a.statement],
            "reports": self.reports,
            "failed_accounts": self.failed_accounts,
            "accounts": accounts,
        }


class _AccountRun:
    """Matches one account's statement rows, one at a time, against local records."""

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
        self._binding_id = binding.binding_id if binding else ""
        self._route_key = route.key
        self._earlier_repairs = earlier_repairs  # out_trade_no → repair, from an earlier run
        self._sink = sink
        merchant_id = binding.merchant_id if binding else account.owner
        self.report = AccountReport(account.account_id, account.provider, merchant_id, self._binding_id)
        paid = [p for p in d.payments.paid_on(account.account_id, day) if p.binding_id == self._binding_id]
        self._paid = {p.payment_id: p for p in paid}
        self._by_trade_no = {p.out_trade_no: p.payment_id for p in paid}
        self.report.totals["local_paid"] = sum(p.amount for p in paid)

    def _record(self, record: Record) -> None:
        self.report.counts[record.kind][record.cls] += 1
        if record.cls != "matched":
            self._sink(record)

    def row(self, row: StatementRow) -> None:
        self.report.totals["channel_fees"] += row.fee
        if row.kind == "payment":
            self.report.totals["channel_payments"] += row.amount
            self._payment_row(row)
        else:
            self.report.totals["channel_refunds"] += row.amount
            self._refund_row(row)

    def _payment_id(self, out_trade_no: str) -> str | None:
        if out_trade_no in self._by_trade_no:
            return self._by_trade_no[out_trade_no]
        attempt = self._d.payments.get_attempt(out_trade_no)  # an earlier attempt, or not paid here
        if attempt is None or attempt.get("account_id") != self._account.account_id:
            return None
        if str(attempt.get("binding_id") or "") != self._binding_id:
            return None  # another sub-merchant's attempt: its own statement has it
        return str(attempt["payment_id"])

    def _channel_record(self, row: StatementRow, fee: int) -> Record:
        record = Record(self._account.account_id, "matched", row.kind, row.out_trade_no, row.out_refund_no)
        record = replace(record, merchant_id=self.report.merchant_id, binding_id=self._binding_id)
        return replace(record, channel_amount=row.amount, channel_fee=row.fee, expected_fee=fee)

    def _payment_row(self, row: StatementRow) -> None:
        fee = expected_fee(row.amount, self._account.fee_rate)
        base = self._channel_record(row, fee)
        payment_id = self._payment_id(row.out_trade_no)
        if payment_id and row.out_trade_no not in self._by_trade_no:
            # a charge the payment did not keep (a second paid attempt, or paid after close) is
            # matched against its automatic refund, never counted as the payment
            automatic = self._d.refunds.get(automatic_refund_id(row.out_trade_no))
            if automatic is not None and automatic.payment_id == payment_id:
                self._record(self._automatic(base, automatic, fee))
                return
        payment = self._paid.pop(payment_id, None) if payment_id else None
        if payment is not None:
            self._record(self._compare(base, payment, fee, row))
            return
        payment = self._d.payments.get(payment_id) if payment_id else None
        if payment is None:
            self._record(base.classed("channel_only", "no local payment for this out_trade_no"))
            return
        base = base.local(payment.payment_id, payment.status.value, payment.amount)
        if payment.status in OPEN_PAYMENT_STATES:
            self._record(self._repair(base, payment, row))
        elif payment.status in _PAID:
            paid_day = reconciliation_day(payment.paid_at or 0, payment.settle_date)
            if paid_day == self._day:  # paid while this run was under way
                self.report.totals["local_paid"] += payment.amount
                self._record(self._compare(base, payment, fee, row))
            else:
                self._record(base.classed("channel_only", f"paid locally on {paid_day}, not this day"))
        else:
            self._record(self._refund_unkept(base, payment, row))

    @staticmethod
    def _automatic(base: Record, refund: Refund, fee: int) -> Record:
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

    def _compare(self, base: Record, payment: Payment, fee: int, row: StatementRow) -> Record:
        base = base.local(payment.payment_id, payment.status.value, payment.amount)
        earlier = self._earlier_repairs.get(payment.out_trade_no)
        if earlier is not None and earlier.get("payment_id") == payment.payment_id:
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

    def _repair(self, base: Record, payment: Payment, row: StatementRow) -> Record:
        """Paid at the channel, still open here: applied like a late callback, so the payment
        becomes SUCCESS (with its audit event) and the merchant is notified."""
        if mismatch := payment_row_mismatch(row, payment, self._account, self._binding):
            return base.classed(mismatch[0], mismatch[1] + " (not repaired)")
        try:
            updated = apply_trade_result(self._d, payment, _paid_trade(row), actor=ACTOR)
        except PaymuxError as exc:
            return base.classed("status_mismatch", f"not repaired: {exc.message}")
        if updated.status != PaymentStatus.SUCCESS:
            return base.classed("status_mismatch", f"not repaired: now {updated.status.value}")
        self.report.totals["local_paid"] += payment.amount  # paid here now, as on a re-run
        repair = {"out_trade_no": row.out_trade_no, "payment_id": payment.payment_id}
        self.report.repairs.append(repair | {"from_status": base.local_status})
        return base.classed("status_mismatch", f"repaired {base.local_status} → SUCCESS by reconciliation")

    def _refund_unkept(self, base: Record, payment: Payment, row: StatementRow) -> Record:
        """Paid at the channel, CLOSED or FAILED here (a charge after close that no callback or
        query brought in): applied like a late callback, which refunds it automatically. Still
        a discrepancy of the day, reported with what was done."""
        if mismatch := payment_row_mismatch(row, payment, self._account, self._binding):
            return base.classed(mismatch[0], mismatch[1] + " (not refunded)")
        detail = f"paid at the channel after it was {payment.status.value} here"
        try:
            apply_trade_result(self._d, payment, _paid_trade(row), actor=ACTOR)
        except PaymuxError as exc:  # recorded; the sweeper places the refund
            log.warning("automatic refund of %s not placed yet: %s", row.out_trade_no, exc.message)
        refund = self._d.refunds.get(automatic_refund_id(row.out_trade_no))
        if refund is None:
            return base.classed("status_mismatch", detail + ": not refunded, needs an operator")
        return base.classed("status_mismatch", detail + f": refunded automatically ({refund.status.value})")

    def _refund_row(self, row: StatementRow) -> None:
        fee = -expected_fee(row.amount, self._account.fee_rate)
        base = self._channel_record(row, fee)
        refund_id = refund_id_from_out_refund_no(row.out_refund_no)
        refund = self._d.refunds.get(refund_id) if row.out_refund_no else None
        payment = self._d.payments.get(refund.payment_id) if refund else None
        route = refund_route_or_none(self._d, refund, payment)
        if refund is None or route is None or route.key != self._route_key:
            self._record(base.classed("channel_only", "no local refund for this out_refund_no"))
            return
        base = base.local(refund.payment_id, refund.status.value, refund.amount)
        if refund.amount != row.amount:
            base = base.classed("amount_mismatch", "the channel's refund amount differs from ours")
        elif merchant := refund_row_mismatch(row, self._account, self._binding):
            base = base.classed("merchant_mismatch", f"the channel's row: {merchant}")
        elif refund.status.value != row.status:
            base = base.classed("status_mismatch", f"{row.status} at the channel")
        elif abs(row.fee - fee) > FEE_TOLERANCE:
            base = base.classed("fee_mismatch", f"fee rate {self._account.fee_rate} configured")
        self._record(base)

    def finish(self) -> None:
        """Whatever was paid here that day and is not in the statement."""
        for payment in self._paid.values():
            record = Record(self._account.account_id, "local_only", "payment", payment.out_trade_no)
            record = replace(record, merchant_id=payment.merchant_id, binding_id=self._binding_id)
            record = record.local(payment.payment_id, payment.status.value, payment.amount)
            self._record(
                record.classed("local_only", "paid locally this day, not in the channel's statement")
            )
        self._paid.clear()


def _reconcile_route(d: Deps, reports: ReportStore, route: Route, day: date, run: _AccountRun) -> None:
    """One statement: a direct account's, or a provider account's for one sub-merchant."""
    account, binding = route
    statement = route_channel(d, route).fetch_statement(day)
    if statement is not None:
        partition = f"{account.account_id}/{binding.binding_id}" if binding else account.account_id
        key = statement_key(account.provider, partition, day, statement.extension)
        sha1 = reports.put_statement(key, statement.raw, statement.content_type)
        run.report.statement = {"key": key, "sha1": sha1, **asdict(statement.summary)}
        for row in statement.rows:
            run.row(row)
    run.finish()


def _earlier_repairs(reports: ReportStore, day: date) -> dict[str, dict[str, dict[str, str]]]:
    previous = reports.get_json(report_key(day, "summary.json")) or {}
    return {
        run_key(str(a["account_id"]), str(a.get("binding_id") or "")): {
            str(r["out_trade_no"]): r for r in a.get("repairs", [])
        }
        for a in previous.get("accounts", [])
    }


def reconcile_day(d: Deps, day: date | None = None) -> ReconciliationSummary:
    """Reconciles every enabled account for `day` (default: yesterday, Asia/Shanghai). An
    account whose statement cannot be had is reported with its error; the others go on."""
    day = day or default_day(d.clock())
    reports = ReportStore(d.s3, d.settings.bucket)
    earlier = _earlier_repairs(reports, day)
    records: list[Record] = []
    accounts: list[AccountReport] = []
    for route in reconciled_routes(d):
        key = run_key(route.account.account_id, route.binding.binding_id if route.binding else "")
        run = _AccountRun(d, route, day, earlier.get(key, {}), records.append)
        try:
            _reconcile_route(d, reports, route, day, run)
        except PaymuxError as exc:  # e.g. the statement is not ready or failed its checks
            log.warning("reconciliation of %s on %s failed: %s", route.key, day, exc.message)
            run.report.error = exc.message
        accounts.append(run.report)
    keys = {"summary": report_key(day, "summary.json")}
    keys |= write_discrepancy_reports(reports, day, CSV_COLUMNS, lambda: records)
    summary = ReconciliationSummary(day, d.clock(), accounts, len(records), keys)
    reports.put_json(keys["summary"], summary.to_dict())
    emit_metric("ReconciliationDiscrepancies", len(records))  # ReconciliationDiscrepanciesAlarm
    return summary


def _paid_trade(row: StatementRow) -> TradeResult:
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
    )
