"""What every provider's statement parser shares: the error for a bill that cannot be trusted,
the parsed result, and yuan/time conversions (channel wall clock is Asia/Shanghai)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from paymux.channels.base import StatementRow, StatementSummary
from paymux.clock import CHINA
from paymux.errors import ChannelUnavailable

_FEN = Decimal(100)


class StatementInvalid(ChannelUnavailable):
    """The bill cannot be trusted as complete: malformed, or detail and summary disagree."""

    code = "statement_invalid"


class StatementNotReady(ChannelUnavailable):
    """The channel has not produced the day's statement yet (UnionPay's respCode 98): ask
    again later; not a failure of the day until the retries run out."""

    code = "statement_not_ready"


class SummaryAtEnd:
    """A streamed bill's summary, known once its rows were read to the end (the readers set
    `_summary` when the last line checked out; each iteration starts without one)."""

    _summary: StatementSummary | None = None

    @property
    def summary(self) -> StatementSummary:
        if self._summary is None:
            raise StatementInvalid("the bill's summary is known once its rows were read")
        return self._summary


@dataclass(frozen=True, slots=True)
class ParsedBill:
    rows: tuple[StatementRow, ...]
    summary: StatementSummary


def decimal(text: str, column: str) -> Decimal:
    try:
        value = Decimal(text or "0")
    except InvalidOperation as exc:
        raise StatementInvalid(f"bill column {column} is not a number: {text!r}") from exc
    if not value.is_finite():
        raise StatementInvalid(f"bill column {column} is not a number: {text!r}")
    return value


def to_fen(value: Decimal) -> int:
    """Yuan (any number of decimals) → whole fen, ROUND_HALF_UP."""
    return int((value * _FEN).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def bill_time(text: str) -> str:
    """ "2021-01-28 17:07:11" (Asia/Shanghai) → "2021-01-28T09:07:11Z"."""
    try:
        moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
    except ValueError as exc:
        raise StatementInvalid(f"bill time is not YYYY-MM-DD HH:MM:SS: {text!r}") from exc
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
