"""UnionPay's clock conventions: Beijing time (GMT+8, no DST), clearing days cut at 23:00."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

CST = timezone(timedelta(hours=8), "Asia/Shanghai")
CUT_OFF_HOUR = 23  # a clearing day (清算日) runs from 23:00 the day before to 23:00
_TXN_TIME = re.compile(r"\d{14}")


def cst(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, CST)


def txn_time(timestamp: float) -> str:
    """``YYYYMMDDhhmmss`` in Beijing time, the form of ``txnTime``."""
    return f"{cst(timestamp):%Y%m%d%H%M%S}"


def parse_txn_time(text: str) -> float | None:
    """``YYYYMMDDhhmmss`` (Beijing) → epoch seconds; None when it is not exactly that."""
    if not _TXN_TIME.fullmatch(text):
        return None
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=CST).timestamp()
    except ValueError:
        return None


def trace_time(timestamp: float) -> str:
    """``MMDDhhmmss``, the form of ``traceTime`` (and of the statement's time field)."""
    return f"{cst(timestamp):%m%d%H%M%S}"


def clearing_day(timestamp: float) -> date:
    """The clearing day of a transaction at ``timestamp``: from 23:00 on, the next day."""
    return (cst(timestamp) + timedelta(hours=24 - CUT_OFF_HOUR)).date()


def clearing_day_start(day: date) -> float:
    """When ``day``'s clearing day begins: 23:00 Beijing time the day before."""
    previous = datetime.combine(day - timedelta(days=1), time(CUT_OFF_HOUR), CST)
    return previous.timestamp()


def mmdd(day: date) -> str:
    return f"{day:%m%d}"


def day_from_mmdd(text: str, now: float) -> date | None:
    """A ``settleDate`` (MMDD, no year) → the latest such day not after today (Beijing)."""
    if not re.fullmatch(r"\d{4}", text):
        return None
    today = clearing_day(now)
    for year in (today.year, today.year - 1):
        try:
            day = date(year, int(text[:2]), int(text[2:]))
        except ValueError:
            continue
        if day <= today:
            return day
    return None
