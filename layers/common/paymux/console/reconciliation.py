"""Reconciliation as the console shows it (operators): one row per day of a range, read from
each day's `reports/<day>/summary.json`, and the one-click export of a day's discrepancy
report (CSV, XLSX, TXT) as a short-lived presigned S3 URL (services.report_export)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from paymux.console.identity import ConsoleUser
from paymux.deps import Deps
from paymux.errors import ValidationFailed
from paymux.services.report_export import report_day, report_download, report_format
from paymux.store.reports import ReportStore, report_key

MAX_DAYS = 31
EXPORTS = ("csv", "xlsx", "txt")


def _row(day: date, summary: dict[str, Any] | None) -> dict[str, Any]:
    if summary is None:
        return {"date": day.isoformat(), "reconciled": False}
    payments = summary.get("counts", {}).get("payment", {})
    return {
        "date": day.isoformat(),
        "reconciled": True,
        "generated_at": summary.get("generated_at"),
        "matched": payments.get("matched", 0),
        "discrepancies": summary.get("discrepancies", 0),
        "pending": summary.get("pending", 0),
        "repaired": summary.get("repaired", 0),
        "failed_accounts": len(summary.get("failed_accounts") or []),
        "totals": summary.get("totals", {}),
        "exports": list(EXPORTS),
    }


def days(d: Deps, user: ConsoleUser, query: dict[str, str]) -> list[dict[str, Any]]:
    """Newest first, `from`..`to` inclusive (YYYY-MM-DD, at most 31 days)."""
    user.require_operator()
    first, last = report_day(query.get("from", "")), report_day(query.get("to", ""))
    if not 0 <= (last - first).days < MAX_DAYS:
        raise ValidationFailed(
            f"from..to must be 1 to {MAX_DAYS} days",
            details=[{"field": "to", "message": f"on or after from, at most {MAX_DAYS} days"}],
        )
    reports = ReportStore(d.s3, d.settings.bucket)
    span = [last - timedelta(days=n) for n in range((last - first).days + 1)]
    return [_row(day, reports.get_json(report_key(day, "summary.json"))) for day in span]


def export(d: Deps, user: ConsoleUser, day: str, fmt: str) -> dict[str, Any]:
    user.require_operator()
    chosen = report_format(fmt)
    if chosen not in EXPORTS:
        raise ValidationFailed(
            f"format must be one of {', '.join(EXPORTS)}",
            details=[{"field": "format", "message": f"one of {', '.join(EXPORTS)}"}],
        )
    return report_download(ReportStore(d.s3, d.settings.bucket), report_day(day), chosen, d.clock())
