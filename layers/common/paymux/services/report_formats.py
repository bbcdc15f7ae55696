"""The day's discrepancy reports under `reports/<day>/`, written from the reconciled records.

`records` is a callable giving a fresh iterable of the day's discrepancy records each time it
is called (each format streams them once, so no format needs them all in memory). Returns the
written reports, name → S3 key; the summary lists them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Protocol

from paymux.store.reports import ReportStore, report_key


class ReportRecord(Protocol):
    def csv_row(self) -> list[str]: ...


def write_discrepancy_reports(
    reports: ReportStore,
    day: date,
    columns: Sequence[str],
    records: Callable[[], Iterable[ReportRecord]],
) -> dict[str, str]:
    """discrepancies.csv: UTF-8 with a BOM, CRLF, a header row."""
    key = report_key(day, "discrepancies.csv")
    reports.put_csv(key, columns, (r.csv_row() for r in records()))
    return {"discrepancies": key}
