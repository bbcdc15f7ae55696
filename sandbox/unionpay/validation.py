"""Field rules UnionPay applies to every request, in the order the sandbox checks them.

The envelope first (version, encoding, signMethod, txnType), then who signed (see
``merchants.authenticate``), then the business fields of the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from sandbox.unionpay.errors import AcpError, format_error, missing
from sandbox.unionpay.times import parse_txn_time

VERSION = "5.1.0"
_ORDER_ID = re.compile(r"[0-9A-Za-z]{8,40}")
_AMOUNT = re.compile(r"[1-9][0-9]{0,11}")
_QUERY_ID = re.compile(r"[0-9A-Za-z]{1,21}")
_ORDER_TIMEOUT = re.compile(r"[1-9][0-9]{0,11}")  # milliseconds
# The sandbox's answer to a front request past its payTimeout or orderTimeout: UnionPay's
# page "提示超时" (the official demo) with a code not published; 01 is ACP's plain failure.
TIMED_OUT = ("01", "交易失败[订单已超时]")


def check_envelope(fields: Mapping[str, str]) -> None:
    for name in ("version", "encoding", "signMethod", "txnType"):
        if not fields.get(name):
            raise missing(name)
    if fields["version"] != VERSION:
        raise format_error("version", "无效")
    if fields["encoding"].upper() != "UTF-8":
        raise format_error("encoding", "无效")
    if fields["signMethod"] != "01":
        raise format_error("signMethod", "无效")


def require(fields: Mapping[str, str], *names: str) -> None:
    for name in names:
        if not fields.get(name):
            raise missing(name)


def check_txn_time(fields: Mapping[str, str], now: float, tolerance: float) -> float:
    """``txnTime`` must be the current Beijing time (within ``tolerance`` seconds)."""
    require(fields, "txnTime")
    moment = parse_txn_time(fields["txnTime"])
    if moment is None or abs(moment - now) > tolerance:
        raise format_error("txnTime", "无效")
    return moment


def check_front_txn_time(fields: Mapping[str, str], now: float, tolerance: float) -> float:
    """A front request's ``txnTime``: a Beijing time not ahead of the clock (beyond
    ``tolerance``). How old it may be is the order's own limits (``check_front_window``): the
    browser posts the form when the payer gets there, which may be long after it was signed."""
    require(fields, "txnTime")
    moment = parse_txn_time(fields["txnTime"])
    if moment is None or moment - now > tolerance:
        raise format_error("txnTime", "无效")
    return moment


def check_front_window(
    fields: Mapping[str, str], txn_moment: float, pay_timeout: str, now: float, tolerance: float
) -> None:
    """What UnionPay's gateway spec bounds a front consume by (the field table of 网关支付产品
    接口规范, open.unionpay.com 产品接口规范, as public SDK copies quote it, and the official ACP
    demo's comment on payTimeout in ACPSample_B2C Form_6_2_FrontConsume):
    ``payTimeout`` 订单支付超时时间, past which "除网银交易外，其他交易银联系统会拒绝受理，提示超时";
    ``orderTimeout`` 订单接收超时时间 (milliseconds), "当距离交易发送时间超过该时间时，银联全渠道
    系统不再为该笔交易提供支付服务". A form that names neither is held to the back rule
    (``txnTime`` within ``tolerance`` of now): not confirmed for front requests; see README."""
    order_timeout = fields.get("orderTimeout", "")
    if order_timeout and not _ORDER_TIMEOUT.fullmatch(order_timeout):
        raise format_error("orderTimeout")
    if not pay_timeout and not order_timeout and abs(now - txn_moment) > tolerance:
        raise format_error("txnTime", "无效")
    deadline = parse_txn_time(pay_timeout) if pay_timeout else None
    if deadline is not None and now > deadline:
        raise AcpError(*TIMED_OUT)
    if order_timeout and now - txn_moment > int(order_timeout) / 1000:
        raise AcpError(*TIMED_OUT)


def check_order_id(fields: Mapping[str, str]) -> str:
    """8–40 letters and digits; no ``-`` or ``_``."""
    require(fields, "orderId")
    if not _ORDER_ID.fullmatch(fields["orderId"]):
        raise format_error("orderId")
    return fields["orderId"]


def check_amount(fields: Mapping[str, str]) -> int:
    """``txnAmt`` in integer fen (no decimal point), and ``currencyCode`` 156 (CNY)."""
    require(fields, "txnAmt", "currencyCode")
    if not _AMOUNT.fullmatch(fields["txnAmt"]):
        raise format_error("txnAmt")
    if fields["currencyCode"] != "156":
        raise format_error("currencyCode", "无效")
    return int(fields["txnAmt"])


def check_url(fields: Mapping[str, str], name: str) -> str:
    require(fields, name)
    parts = urlsplit(fields[name])
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise format_error(name)
    return fields[name]


def check_kind(fields: Mapping[str, str], biz_types: tuple[str, ...], channel_types: tuple[str, ...]) -> None:
    require(fields, "bizType", "txnSubType", "channelType")
    if fields["bizType"] not in biz_types:
        raise AcpError("43", "无此业务权限[bizType]")
    if fields["channelType"] not in channel_types:
        raise format_error("channelType", "无效")


def check_orig_query_id(fields: Mapping[str, str]) -> str:
    require(fields, "origQryId")
    if not _QUERY_ID.fullmatch(fields["origQryId"]):
        raise format_error("origQryId")
    return fields["origQryId"]


def check_pay_timeout(fields: Mapping[str, str], txn_moment: float) -> str:
    """Optional ``payTimeout`` (YYYYMMDDhhmmss, after ``txnTime``)."""
    text = fields.get("payTimeout", "")
    if not text:
        return ""
    moment = parse_txn_time(text)
    if moment is None or moment <= txn_moment:
        raise format_error("payTimeout", "无效")
    return text
