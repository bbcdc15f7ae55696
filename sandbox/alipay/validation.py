"""Business parameter rules (``biz_content``), with the answers Alipay gives when they fail.

Malformed values answer ``40002 Invalid Arguments / isv.invalid-parameter`` with a sub_msg
naming the field. Amounts are yuan strings with exactly two decimals in
``[0.01, 100000000]`` (stricter than Alipay, which also takes ``"88.8"``: see README).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from sandbox.alipay.errors import business, invalid_parameter
from sandbox.alipay.times import CST, cst, parse_alipay_time

AMOUNT = re.compile(r"(0|[1-9]\d{0,8})\.\d{2}")
MAX_AMOUNT_FEN = 100_000_000 * 100
OUT_TRADE_NO = re.compile(r"[A-Za-z0-9_]{1,64}")
OUT_REQUEST_NO = re.compile(r"[A-Za-z0-9_\-]{1,64}")
TIMEOUT_EXPRESS = re.compile(r"([1-9]\d*)([mhdc])")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
MAX_TIMEOUT_SECONDS = 15 * 86400  # 1m … 15d
BILL_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
BILL_MONTH = re.compile(r"\d{4}-\d{2}")


def text(biz: Mapping[str, Any], name: str, *, required: bool = False, maximum: int | None = None) -> str:
    value = biz.get(name)
    if value is None or value == "":
        if required:
            raise invalid_parameter(f"参数无效：缺少必选参数{name}")
        return ""
    if not isinstance(value, str):
        raise invalid_parameter(f"参数无效：{name}必须是字符串")
    if maximum is not None and len(value) > maximum:
        raise invalid_parameter(f"参数无效：{name}长度不能超过{maximum}")
    return value


def amount_fen(biz: Mapping[str, Any], name: str) -> int:
    """A yuan amount (``"88.88"``) as integer fen; refused unless in [0.01, 100000000]."""
    raw = text(biz, name, required=True)
    if not AMOUNT.fullmatch(raw):
        raise invalid_parameter(f"参数无效：{name}格式错误，必须是精确到小数点后两位的金额（元）")
    fen = int(Decimal(raw) * 100)
    if fen < 1 or fen > MAX_AMOUNT_FEN:
        raise invalid_parameter(f"参数无效：{name}取值范围为[0.01,100000000]")
    return fen


def yuan(fen: int) -> str:
    """Integer fen → ``"88.88"`` (``"-0.04"`` for negatives)."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def out_trade_no(biz: Mapping[str, Any], *, required: bool = True) -> str:
    value = text(biz, "out_trade_no", required=required)
    if value and not OUT_TRADE_NO.fullmatch(value):
        raise invalid_parameter("参数无效：out_trade_no只能包含字母、数字、下划线，且不超过64个字符")
    return value


def trade_reference(biz: Mapping[str, Any]) -> tuple[str, str]:
    """``(out_trade_no, trade_no)`` of query/close/refund; at least one is needed."""
    trade_no = text(biz, "trade_no", maximum=64)
    number = out_trade_no(biz, required=False)
    if not trade_no and not number:
        raise business("ACQ.INVALID_PARAMETER", "参数无效：trade_no和out_trade_no不能同时为空")
    return number, trade_no


def notify_url(url: str | None, *, require_https: bool) -> str | None:
    if not url:
        return None
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise invalid_parameter("参数无效：notify_url必须是http或https地址")
    if require_https and scheme != "https":
        raise invalid_parameter("参数无效：notify_url必须以https开头")
    return url


def expiry(biz: Mapping[str, Any], start: float, default_seconds: float) -> float:
    """When an unpaid trade created at ``start`` closes: ``time_expire`` wins over
    ``timeout_express`` (as documented), else the product's default."""
    time_expire = text(biz, "time_expire")
    if time_expire:
        at = parse_alipay_time(time_expire)
        if at is None:
            raise invalid_parameter("参数无效：time_expire格式必须为yyyy-MM-dd HH:mm:ss")
        if at <= start:
            raise business("ACQ.NOW_TIME_AFTER_EXPIRE_TIME_ERROR", "当前时间已超过允许支付的时间")
        return at
    timeout = text(biz, "timeout_express")
    if not timeout:
        return start + default_seconds
    return start + timeout_seconds(timeout, start)


def timeout_seconds(value: str, start: float) -> float:
    """``30m``/``2h``/``1d`` → seconds; ``1c`` = until the end of the day (GMT+8)."""
    found = TIMEOUT_EXPRESS.fullmatch(value)
    if not found:
        raise invalid_parameter("参数无效：timeout_express格式错误，取值范围1m～15d")
    number, unit = int(found.group(1)), found.group(2)
    if unit == "c":
        if number != 1:
            raise invalid_parameter("参数无效：timeout_express取值c时只能为1c")
        midnight = datetime.combine(cst(start).date() + timedelta(days=1), datetime.min.time(), CST)
        return midnight.timestamp() - start
    seconds = number * _UNIT_SECONDS[unit]
    if seconds > MAX_TIMEOUT_SECONDS:
        raise invalid_parameter("参数无效：timeout_express取值范围1m～15d")
    return float(seconds)


def product_code(biz: Mapping[str, Any], expected: str, *, default: str | None = None) -> str:
    value = text(biz, "product_code") or default
    if value is None:
        raise invalid_parameter("参数无效：缺少必选参数product_code")
    if value != expected:
        raise business(
            "ACQ.INVALID_PARAMETER", f"参数无效：product_code {value} 与接口不匹配，应为{expected}"
        )
    return value
