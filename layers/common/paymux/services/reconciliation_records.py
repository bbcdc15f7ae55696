"""What reconciliation produces: a Record per statement row or local payment it looked at
(discrepancies.csv is the records that are not `matched`), the report of one route (account,
or account and sub-merchant) and the summary of the day."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from paymux.clock import CHINA, iso
from paymux.errors import PaymuxError

ACTOR = "reconciliation"
_MISMATCHES = ("amount_mismatch", "merchant_mismatch", "fee_mismatch")
# `pending`: unmatched near midnight, re-checked on the next days' runs (reconciliation_pending)
CLASSES = ("matched", "channel_only", "status_mismatch", "local_only", *_MISMATCHES, "pending")
REFUND_CLASSES = CLASSES
PENDING = "pending"
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


class ReconciliationIncomplete(PaymuxError):
    """Some account could not be reconciled; the others' reports are written."""

    code = "reconciliation_incomplete"


def default_day(now: float) -> date:
    """Yesterday, Asia/Shanghai: the day whose statements are ready at 10:30 (they are from 09:00)."""
    return (datetime.fromtimestamp(now, CHINA) - timedelta(days=1)).date()


def expected_fee(amount: int, fee_rate: str) -> int:
    """The account's configured rate × amount, rounded to fen half up (half away from zero)."""
    numerator, denominator = _rate(fee_rate)
    exact = abs(amount) * numerator
    rounded = (2 * exact + denominator) // (2 * denominator)  # half up, on the magnitude
    return -rounded if amount < 0 else rounded


@functools.lru_cache(maxsize=256)
def _rate(fee_rate: str) -> tuple[int, int]:
    """ "0.006" → (3, 500): a statement's every row multiplies by it, in integers."""
    numerator, denominator = Decimal(fee_rate).as_integer_ratio()
    return numerator, denominator


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
    provider: str = ""  # the account's channel: the workbook's sheet (not a CSV column)

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
    # records pooled on an earlier day that this day's run matched (reconciliation_pending)
    resolved: list[dict[str, str]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TOTALS, 0))
    error: str | None = None


@dataclass(slots=True)
class ReconciliationSummary:
    day: date
    generated_at: float
    accounts: list[AccountReport]
    discrepancies: int  # the records that are not `pending`
    reports: dict[str, str]
    pending: int = 0

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
            "pending": self.pending,
            "resolved": sum(len(a.resolved) for a in self.accounts),
            "statements": [a.statement["key"] for a in self.accounts if a.statement],
            "reports": self.reports,
            "failed_accounts": self.failed_accounts,
            "accounts": accounts,
        }
