"""Bill values as integers, fast: a million-row statement converts every amount and time, so
the conversions here avoid Decimal and strptime on the common shapes and fall back to them
(channels/statement.py, with the same rounding and the same errors) for anything else.

`exact` reads a yuan amount as an integer count of 1/100,000 yuan (bills write amounts with
2 decimals and fees with 5), so sums of a column are exact; `fen` rounds to whole fen
ROUND_HALF_UP (half away from zero), as statement.to_fen does."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from paymux.channels.statement import StatementInvalid, decimal, to_fen
from paymux.channels.statement import bill_time as slow_bill_time

SCALE = 100_000  # exact() units per yuan
_PLAIN = re.compile(r"(-?)(\d{1,15})(?:\.(\d{1,5}))?")
_TIME = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}):(\d{2}):(\d{2})")
_HOURS: dict[str, str] = {}  # "YYYY-MM-DD HH" (Asia/Shanghai) → "YYYY-MM-DDTHH" (UTC)
_CHINA_OFFSET = timedelta(hours=8)


def exact(text: str, column: str) -> int:
    """A yuan amount as 1/100,000 yuan; "" is 0. More than 5 decimals cannot be summed exactly
    here and no bill writes them: refused as not a number."""
    match = _PLAIN.fullmatch(text or "0")
    if match is None:
        decimal(text, column)  # raises StatementInvalid for what is not a number
        raise StatementInvalid(f"bill column {column} has more than 5 decimals: {text!r}")
    sign, whole, fraction = match.groups()
    value = int(whole) * SCALE + int((fraction or "").ljust(5, "0"))
    return -value if sign else value


def fen(text: str, column: str) -> int:
    """A yuan amount in whole fen, ROUND_HALF_UP (half away from zero)."""
    match = _PLAIN.fullmatch(text or "0")
    if match is None:
        return to_fen(decimal(text, column))
    value = exact(text, column)
    rounded = (abs(value) + 500) // 1000
    return -rounded if value < 0 else rounded


def text(value: int) -> str:
    """1/100,000 yuan → "12.34000" (for messages)."""
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // SCALE}.{abs(value) % SCALE:05d}"


def bill_time(value: str) -> str:
    """ "2021-01-28 17:07:11" (Asia/Shanghai, a fixed +08:00) → "2021-01-28T09:07:11Z"; the
    hour's conversion is computed once per hour of the bill."""
    match = _TIME.fullmatch(value)
    if match is None:
        return slow_bill_time(value)  # raises StatementInvalid
    hour, minute, second = match.groups()
    utc_hour = _HOURS.get(hour)
    if utc_hour is None:
        try:
            moment = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC) - _CHINA_OFFSET
        except ValueError as exc:
            raise StatementInvalid(f"bill time is not YYYY-MM-DD HH:MM:SS: {value!r}") from exc
        utc_hour = _HOURS[hour] = moment.strftime("%Y-%m-%dT%H")
    if int(minute) > 59 or int(second) > 59:
        return slow_bill_time(value)  # raises StatementInvalid
    return f"{utc_hour}:{minute}:{second}Z"
