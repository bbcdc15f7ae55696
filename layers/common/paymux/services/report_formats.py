"""The day's discrepancy reports under `reports/<day>/`, written from the reconciled records.

`records` is a callable giving a fresh iterable of the day's discrepancy records each time it
is called: each format streams them (the CSV and the workbook once, the text report twice: it
measures its columns first), so no format needs them all in memory. Every report is written to
a temporary file and uploaded from it (multipart when large). Returns the written reports,
name → S3 key; the summary lists them. docs/reconciliation.md describes every column."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Protocol

from paymux.services.report_text import write_text_report
from paymux.services.report_xlsx import write_workbook
from paymux.store.reports import ReportStore, report_key

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# name in the summary's `reports` → the file under reports/<day>/
REPORT_FILES = {
    "discrepancies": "discrepancies.csv",
    "discrepancies_xlsx": "discrepancies.xlsx",
    "discrepancies_txt": "discrepancies.txt",
}


class ReportRecord(Protocol):
    """A discrepancy: its CSV row, in the order of `columns`; a `provider` attribute, when it
    has one, names the workbook sheet it goes on."""

    def csv_row(self) -> list[str]: ...


def write_discrepancy_reports(
    reports: ReportStore,
    day: date,
    columns: Sequence[str],
    records: Callable[[], Iterable[ReportRecord]],
) -> dict[str, str]:
    """discrepancies.csv (UTF-8 with a BOM, CRLF, a header row), discrepancies.xlsx (a summary
    sheet and one sheet per channel) and discrepancies.txt (fixed width, with totals)."""
    keys = {name: report_key(day, file) for name, file in REPORT_FILES.items()}
    reports.put_csv(keys["discrepancies"], columns, (r.csv_row() for r in records()))
    with tempfile.TemporaryDirectory(prefix="paymux-reports-") as folder:
        workbook = Path(folder) / "discrepancies.xlsx"
        write_workbook(workbook, day, columns, records)
        reports.put_file(keys["discrepancies_xlsx"], workbook, XLSX)
        workbook.unlink()  # its space on /tmp is the text report's
        text = Path(folder) / "discrepancies.txt"
        with text.open("w", encoding="utf-8", newline="\n") as out:
            write_text_report(out, day, columns, records)
        reports.put_file(keys["discrepancies_txt"], text, "text/plain; charset=utf-8")
    return keys
