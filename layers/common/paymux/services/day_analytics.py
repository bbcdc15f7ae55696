"""The daily analytics page, `reports/<day>/analytics.html`: success rate per method, the
distribution of paid amounts, and payments by hour (Asia/Shanghai), from the day's payments.

Two streams, each read once and folded into counters (memory: a few numbers per method, bucket
and hour, whatever the day's volume): the payments **created** that day, whatever became of
them (the success rate's denominator counts the failed, closed and still open ones: the open
ones from the due index, the unpaid ended ones from their GSI2 creation-day entries, the paid
ones from GSI3; store.day_payments), and the payments **paid** that day (GSI3, the index
reconciliation matches the statements against: the amounts are the day's `local_paid`). The
reconciliation's daily aggregate step calls `write_day_analytics`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from paymux.clock import CHINA
from paymux.deps import Deps
from paymux.services.analytics_page import render_page
from paymux.store.day_payments import DayPayments
from paymux.store.reports import ReportStore, report_key

PAID_STATES = frozenset({"SUCCESS", "REFUNDED"})
# Upper bounds (fen, exclusive) of the amount buckets; the last bucket is open-ended.
AMOUNT_EDGES = (100, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000)


@dataclass(slots=True)
class MethodCounts:
    created: int = 0
    paid: int = 0
    failed: int = 0
    closed: int = 0
    open: int = 0

    @property
    def success_rate(self) -> float | None:
        return self.paid / self.created if self.created else None


@dataclass(slots=True)
class DayAnalytics:
    day: date
    methods: dict[str, MethodCounts] = field(default_factory=dict)
    buckets: list[int] = field(default_factory=lambda: [0] * (len(AMOUNT_EDGES) + 1))
    bucket_amounts: list[int] = field(default_factory=lambda: [0] * (len(AMOUNT_EDGES) + 1))
    created_by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    paid_by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    paid_count: int = 0
    paid_amount: int = 0

    def add_created(self, payment: dict[str, Any]) -> None:
        counts = self.methods.setdefault(str(payment.get("method", "")), MethodCounts())
        counts.created += 1
        status = str(payment.get("status", ""))
        if status in PAID_STATES:
            counts.paid += 1
        elif status == "FAILED":
            counts.failed += 1
        elif status == "CLOSED":
            counts.closed += 1
        else:
            counts.open += 1
        self.created_by_hour[_hour(payment.get("created_at"))] += 1

    def add_paid(self, payment: dict[str, Any]) -> None:
        amount = int(payment.get("amount") or 0)
        bucket = amount_bucket(amount)
        self.buckets[bucket] += 1
        self.bucket_amounts[bucket] += amount
        self.paid_by_hour[_hour(payment.get("paid_at"))] += 1
        self.paid_count += 1
        self.paid_amount += amount


def amount_bucket(amount: int) -> int:
    return next((i for i, edge in enumerate(AMOUNT_EDGES) if amount < edge), len(AMOUNT_EDGES))


def _hour(at: Any) -> int:
    return datetime.fromtimestamp(float(at or 0), CHINA).hour


def day_analytics(
    created: Iterable[dict[str, Any]], paid: Iterable[dict[str, Any]], day: date
) -> DayAnalytics:
    analytics = DayAnalytics(day)
    for payment in created:
        analytics.add_created(payment)
    for payment in paid:
        analytics.add_paid(payment)
    return analytics


def write_day_analytics(d: Deps, reports: ReportStore, day: date) -> str:
    """Reads the day's payments, writes `reports/<day>/analytics.html`, returns its key."""
    source = DayPayments(d.dynamodb, d.settings.table)
    accounts = [a.account_id for a in d.channel_config.accounts()]  # disabled ones too: still paid
    tomorrow = datetime.fromtimestamp(d.clock(), CHINA).date() + timedelta(days=1)
    created = source.created_on(day, accounts, latest=tomorrow)
    analytics = day_analytics(created, source.paid_on(accounts, day), day)
    key = report_key(day, "analytics.html")
    reports.put_html(key, render_page(analytics, AMOUNT_EDGES))
    return key
