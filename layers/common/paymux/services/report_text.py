"""discrepancies.txt: the day's discrepancies as a fixed-width table a person reads in a terminal
or a mail, aligned by display width (a CJK character takes two columns, a combining mark none).

Two passes over the records: the first measures every column and adds up the totals, the second
writes the rows; neither holds more than one record. Money is yuan with two decimals,
right-aligned; `detail`, the free text, is the last column and never padded or cut."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import IO, Protocol

MONEY_COLUMNS = frozenset({"local_amount", "channel_amount", "channel_fee", "expected_fee"})
LAST = "detail"
GAP = "  "


class TextRecord(Protocol):
    def csv_row(self) -> list[str]: ...


def display_width(text: str) -> int:
    """Columns `text` takes in a monospaced font: wide and full-width characters 2, combining
    marks and other zero-width characters 0, the rest 1."""
    if text.isascii():  # ids, amounts, statuses: the common case, at C speed
        return len(text)
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def pad(text: str, width: int, *, right: bool = False) -> str:
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


def yuan(fen: str) -> str:
    """A fen amount as yuan with two decimals ("" stays "")."""
    if not fen:
        return ""
    value = int(fen)
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(value), 100)
    return f"{sign}{whole}.{cents:02d}"


def text_columns(columns: Sequence[str]) -> list[str]:
    """The CSV's columns, `detail` moved last (the one column of unbounded length)."""
    return [c for c in columns if c != LAST] + ([LAST] if LAST in columns else [])


class _Measure:
    """The first pass: column widths, row count, class counts and money totals."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self.widths = {c: display_width(c) for c in columns}
        self.totals = dict.fromkeys(c for c in columns if c in MONEY_COLUMNS)
        self.classes: Counter[str] = Counter()
        self.rows = 0

    def add(self, row: dict[str, str]) -> None:
        self.rows += 1
        self.classes[row.get("class", "")] += 1
        for column in self.columns:
            value = row[column]
            if column in MONEY_COLUMNS and value:
                self.totals[column] = (self.totals[column] or 0) + int(value)
                value = yuan(value)
            self.widths[column] = max(self.widths[column], display_width(value))

    def widen_for_totals(self) -> None:
        first = self.columns[0]
        self.widths[first] = max(self.widths[first], display_width(f"total {self.rows}"))
        for column, total in self.totals.items():
            if total is not None:
                self.widths[column] = max(self.widths[column], display_width(yuan(str(total))))


def _line(values: dict[str, str], measure: _Measure) -> str:
    cells = []
    for column in measure.columns:
        value = values.get(column, "")
        if column == measure.columns[-1] and column not in MONEY_COLUMNS:
            cells.append(value)  # the last column is not padded
        else:
            cells.append(pad(value, measure.widths[column], right=column in MONEY_COLUMNS))
    return GAP.join(cells).rstrip()


def _rows(columns: Sequence[str], records: Iterable[TextRecord]) -> Iterable[dict[str, str]]:
    for record in records:
        yield dict(zip(columns, record.csv_row(), strict=True))


def write_text_report(
    out: IO[str],
    day: date,
    columns: Sequence[str],
    records: Callable[[], Iterable[TextRecord]],
) -> None:
    measure = _Measure(text_columns(columns))
    for row in _rows(columns, records()):
        measure.add(row)
    measure.widen_for_totals()
    header = {c: c for c in measure.columns}
    rule = "-" * display_width(_line(header, measure))
    out.write(f"paymux reconciliation discrepancies {day.isoformat()} (Asia/Shanghai), amounts in yuan\n")
    out.write(_line(header, measure) + "\n" + rule + "\n")
    for row in _rows(columns, records()):
        shown = {c: yuan(v) if c in MONEY_COLUMNS else v for c, v in row.items()}
        out.write(_line(shown, measure) + "\n")
    out.write(rule + "\n")
    totals = {c: yuan(str(t)) for c, t in measure.totals.items() if t is not None}
    out.write(_line({measure.columns[0]: f"total {measure.rows}", **totals}, measure) + "\n")
    for cls, count in sorted(measure.classes.items()):
        out.write(f"{cls}: {count}\n")
