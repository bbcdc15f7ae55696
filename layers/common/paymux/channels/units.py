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
# text → exact() of it, for the texts a bill repeats ("0.00", common prices, their fees): a
# pure function of the text, so a hit is the same value; bounded, so a bill of distinct
# amounts stops adding to it.
_EXACT: dict[str, int] = {}
_EXACT_LIMIT = 1 << 16
_SIXTY = frozenset(f"{n:02d}" for n in range(60))
_TIME = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}):(\d{2}):(\d{2})")
_HOURS: dict[str, str] = {}  # "YYYY-MM-DD HH" (Asia/Shanghai) → "YYYY-MM-DDTHH" (UTC)
_CHINA_OFFSET = timedelta(hours=8)
# a column of amounts joined with ",", all with 2 (or all with 5) decimals: what bills write
_JOINED = {
    decimals: re.compile(rf"-?\d{{1,15}}\.\d{{{decimals}}}(?:,-?\d{{1,15}}\.\d{{{decimals}}})*", re.ASCII)
    for decimals in (2, 5)
}


def exact(text: str, column: str) -> int:
    """A yuan amount as 1/100,000 yuan; "" is 0. More than 5 decimals cannot be summed exactly
    here and no bill writes them: refused as not a number."""
    value = _cached(text)
    return _exact(text, column) if value is None else value


def exact_column(texts: list[str], column: str) -> list[int]:
    """exact() of each of `texts` (a column of many rows). A column whose values all have the
    bill's shape with the same number of decimals is read by one regular expression and int()
    over the joined digits, in C; anything else value by value (same values, same errors)."""
    joined = ",".join(texts)
    for decimals, shape in _JOINED.items():
        if shape.fullmatch(joined):
            digits = joined.replace(".", "").split(",")
            if len(digits) != len(texts):
                break  # a value held a comma: value by value
            scale = 10 ** (5 - decimals)
            return [int(d) * scale for d in digits] if scale != 1 else list(map(int, digits))
    return [exact(t.strip(), column) for t in texts]


def fen_of(value: int) -> int:
    """exact() units → whole fen, ROUND_HALF_UP (half away from zero), as fen() rounds."""
    rounded = (abs(value) + 500) // 1000
    return -rounded if value < 0 else rounded


def _cached(text: str) -> int | None:
    value = _EXACT.get(text)
    if value is None:
        value = _exact_ascii(text)
        if value is not None and len(_EXACT) < _EXACT_LIMIT:
            _EXACT[text] = value
    return value


def _exact_ascii(text: str) -> int | None:
    """exact() of the shape bills write, `-?d{1,15}(.d{1,5})?` in ASCII digits, without the
    regular expression; None for anything else (_exact decides, with the same result)."""
    whole, dot, fraction = text.partition(".")
    digits = whole[1:] if whole.startswith("-") else whole
    if not (0 < len(digits) <= 15 and digits.isascii() and digits.isdigit()):
        return None
    if dot and not (0 < len(fraction) <= 5 and fraction.isascii() and fraction.isdigit()):
        return None
    value = int(digits) * SCALE + (int(fraction.ljust(5, "0")) if dot else 0)
    return -value if len(digits) != len(whole) else value


def _exact(text: str, column: str) -> int:
    match = _PLAIN.fullmatch(text or "0")
    if match is None:
        decimal(text, column)  # raises StatementInvalid for what is not a number
        raise StatementInvalid(f"bill column {column} has more than 5 decimals: {text!r}")
    sign, whole, fraction = match.groups()
    value = int(whole) * SCALE + int((fraction or "").ljust(5, "0"))
    return -value if sign else value


def fen(text: str, column: str) -> int:
    """A yuan amount in whole fen, ROUND_HALF_UP (half away from zero)."""
    value = _cached(text)
    if value is None:
        if _PLAIN.fullmatch(text or "0") is None:
            return to_fen(decimal(text, column))
        value = _exact(text, column)
    rounded = (abs(value) + 500) // 1000
    return -rounded if value < 0 else rounded


def text(value: int) -> str:
    """1/100,000 yuan → "12.34000" (for messages)."""
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // SCALE}.{abs(value) % SCALE:05d}"


def bill_time(value: str) -> str:
    """ "2021-01-28 17:07:11" (Asia/Shanghai, a fixed +08:00) → "2021-01-28T09:07:11Z"; the
    hour's conversion is computed once per hour of the bill."""
    utc_hour = _HOURS.get(value[:13])  # an hour already converted (so checked) once
    if (
        utc_hour is not None
        and len(value) == 19
        and value[13] == value[16] == ":"
        and value[14:16] in _SIXTY
        and value[17:] in _SIXTY
    ):
        return f"{utc_hour}{value[13:]}Z"
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
