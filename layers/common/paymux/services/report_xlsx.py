"""discrepancies.xlsx: a summary sheet, then one sheet per channel (provider), written in constant
memory by XlsxWriter (`constant_memory`: each row goes to the sheet's temporary file as soon as
the next one starts, strings inline), so the workbook is never whole in memory.

Every sheet has a bold header row, frozen, with filters and column widths fitted to what was
written. Money is a number of yuan (the integer fen / 100) shown with two decimals, so finance
can sum and filter it; ids stay text (an out_trade_no is not a number)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from paymux.services.report_text import MONEY_COLUMNS, display_width

MAX_ROWS = 1_048_576  # per sheet, header included (Excel's limit): a longer channel continues on "<name> (2)"
MONEY_FORMAT = "#,##0.00"
_WIDEST = 60  # characters: wider text (detail) wraps in the cell instead of widening the column
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
SUMMARY_COLUMNS = ("channel", "class", "records", *sorted(MONEY_COLUMNS))


class SheetRecord(Protocol):
    def csv_row(self) -> list[str]: ...


def channel_of(record: SheetRecord) -> str:
    """The record's provider (its channel); a record that does not say is grouped as "other"."""
    return str(getattr(record, "provider", "") or "other")


@dataclass(slots=True)
class _Sheet:
    sheet: Any
    columns: Sequence[str]
    widths: list[int]
    row: int = 0

    def fit(self, col: int, text: str) -> None:
        if 2 * len(text) + 2 > self.widths[col]:  # it may be wider than the column (cheap test first)
            self.widths[col] = min(_WIDEST, max(self.widths[col], display_width(text) + 2))

    def close(self) -> None:
        for col, width in enumerate(self.widths):
            self.sheet.set_column(col, col, width)
        self.sheet.autofilter(0, 0, max(self.row - 1, 0), len(self.columns) - 1)


@dataclass(slots=True)
class _Totals:
    records: int = 0
    money: dict[str, int] = field(default_factory=lambda: dict.fromkeys(sorted(MONEY_COLUMNS), 0))


class _Workbook:
    def __init__(self, path: Path, day: date, columns: Sequence[str]) -> None:
        import xlsxwriter  # noqa: PLC0415 - only the reconciliation writes workbooks

        self.book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": str(path.parent)})
        self.book.set_properties({"title": f"paymux reconciliation discrepancies {day.isoformat()}"})
        self.header = self.book.add_format({"bold": True, "bg_color": "#DDEBF7", "bottom": 1})
        self.money = self.book.add_format({"num_format": MONEY_FORMAT})
        self.columns = columns
        self.summary = self._sheet("summary", SUMMARY_COLUMNS)
        self.channels: dict[str, _Sheet] = {}
        self.parts: dict[str, int] = {}
        self.totals: dict[tuple[str, str], _Totals] = {}

    def _sheet(self, name: str, columns: Sequence[str]) -> _Sheet:
        sheet = self.book.add_worksheet(_SHEET_NAME.sub("_", name)[:31])
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, list(columns), self.header)
        return _Sheet(sheet, columns, [display_width(c) + 4 for c in columns], row=1)

    def _channel_sheet(self, channel: str) -> _Sheet:
        current = self.channels.get(channel)
        if current is None or current.row >= MAX_ROWS:
            if current is not None:
                current.close()
            part = self.parts[channel] = self.parts.get(channel, 0) + 1
            name = channel if part == 1 else f"{channel[:24]} ({part})"
            current = self.channels[channel] = self._sheet(name, self.columns)
        return current

    def _write(self, target: _Sheet, values: Sequence[str | int]) -> None:
        """One row: money columns (fen, as text or int) as yuan numbers, other ints as numbers,
        text as text; an empty value leaves its cell empty."""
        for col, (column, value) in enumerate(zip(target.columns, values, strict=True)):
            if value == "":
                continue
            if column in MONEY_COLUMNS:
                fen = int(value)
                target.sheet.write_number(target.row, col, fen / 100, self.money)
                target.fit(col, f"{fen}__")  # as wide as its "1,234.56", near enough
            elif isinstance(value, int):
                target.sheet.write_number(target.row, col, value)
                target.fit(col, str(value))
            else:
                target.sheet.write_string(target.row, col, value)
                target.fit(col, value)
        target.row += 1

    def add(self, record: SheetRecord) -> None:
        values = record.csv_row()
        channel = channel_of(record)
        self._write(self._channel_sheet(channel), values)
        row = dict(zip(self.columns, values, strict=True))
        totals = self.totals.setdefault((channel, row.get("class", "")), _Totals())
        totals.records += 1
        for column in totals.money:
            totals.money[column] += int(row.get(column) or 0)

    def close(self) -> None:
        grand = _Totals()
        for (channel, cls), totals in sorted(self.totals.items()):
            self._summary_row(channel, cls, totals)
            grand.records += totals.records
            grand.money = {k: v + totals.money[k] for k, v in grand.money.items()}
        self._summary_row("total", "", grand)
        for sheet in (self.summary, *self.channels.values()):
            sheet.close()
        self.book.close()

    def _summary_row(self, channel: str, cls: str, totals: _Totals) -> None:
        money = [totals.money[c] for c in sorted(MONEY_COLUMNS)]
        self._write(self.summary, [channel, cls, totals.records, *money])


def write_workbook(
    path: Path, day: date, columns: Sequence[str], records: Callable[[], Iterable[SheetRecord]]
) -> None:
    """Writes the workbook to `path` (its temporary sheet files go next to it)."""
    book = _Workbook(path, day, columns)
    for record in records():
        book.add(record)
    book.close()
