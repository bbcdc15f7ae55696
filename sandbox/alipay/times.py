"""Alipay's clock conventions: every time field is GMT+8 (Asia/Shanghai, no DST since 1991)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "Asia/Shanghai")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def cst(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, CST)


def alipay_time(timestamp: float) -> str:
    """``2019-09-16 10:55:16``: the form of ``timestamp``, ``gmt_payment``, ``send_pay_date``…"""
    return f"{cst(timestamp):%Y-%m-%d %H:%M:%S}"


def alipay_time_ms(timestamp: float) -> str:
    """``2015-04-28 15:45:57.320``: the form of ``gmt_refund`` in notifications."""
    moment = cst(timestamp)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond // 1000:03d}"


def parse_alipay_time(text: str) -> float | None:
    """``yyyy-MM-dd HH:mm:ss`` in GMT+8 → epoch seconds; None when the text is not exactly that."""
    if not _DATETIME.fullmatch(text):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST).timestamp()
    except ValueError:
        return None
