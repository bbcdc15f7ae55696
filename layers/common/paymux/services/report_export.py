"""One-click export of a reconciled day's report: a short-lived presigned S3 GET of
`reports/<day>/<file>` that saves under a telling file name. Nothing is copied or served through
the API; the operator's browser (or `python -m ops reconcile fetch`) downloads from S3."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from paymux.clock import FIRST_YEAR, LAST_YEAR, iso
from paymux.errors import NotFound, ValidationFailed
from paymux.store.reports import ReportStore, report_key

# format (the path's last segment) → the report's file under reports/<day>/
REPORT_FORMATS = {
    "summary": "summary.json",
    "csv": "discrepancies.csv",
    "xlsx": "discrepancies.xlsx",
    "txt": "discrepancies.txt",
    "html": "analytics.html",
}
URL_SECONDS = 300  # long enough to click, short enough that a forwarded link soon stops working
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def report_day(raw: str) -> date:
    """A YYYY-MM-DD calendar day (Asia/Shanghai, as the reports count days) from FIRST_YEAR to
    LAST_YEAR (the edges of datetime overflow a day's arithmetic), or a 422."""
    try:
        if _DAY.fullmatch(raw) and FIRST_YEAR <= int(raw[:4]) <= LAST_YEAR:
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise ValidationFailed(
        f"date must be a calendar day, YYYY-MM-DD, from {FIRST_YEAR} to {LAST_YEAR}",
        details=[
            {"field": "date", "message": f"a calendar day, YYYY-MM-DD, from {FIRST_YEAR} to {LAST_YEAR}"}
        ],
    )


def report_format(raw: str) -> str:
    if raw not in REPORT_FORMATS:
        raise ValidationFailed(
            f"format must be one of {', '.join(REPORT_FORMATS)}",
            details=[{"field": "format", "message": f"one of {', '.join(REPORT_FORMATS)}"}],
        )
    return raw


def report_download(reports: ReportStore, day: date, fmt: str, now: float) -> dict[str, Any]:
    """The presigned URL of the day's report in `fmt`; NotFound when that day has none (not
    reconciled yet, or the report did not exist when it was)."""
    name = REPORT_FORMATS[fmt]
    key = report_key(day, name)
    if not reports.exists(key):
        raise NotFound(f"no {fmt} report for {day.isoformat()}: is the day reconciled?")
    filename = f"paymux-{day.isoformat()}-{name}"
    return {
        "date": day.isoformat(),
        "format": fmt,
        "key": key,
        "filename": filename,
        "url": reports.download_url(key, filename, URL_SECONDS),
        "expires_at": iso(now + URL_SECONDS),
    }
