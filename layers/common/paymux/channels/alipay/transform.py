"""Pure mapping between paymux values and Alipay OpenAPI fields (PROTOCOLS.md §2.4–2.5).

Amounts cross as yuan strings with 2 decimals; times are GMT+8 wall clock
"yyyy-MM-dd HH:mm:ss"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from paymux.channels.base import (
    CreateRequest,
    RefundErrorClass,
    RefundRequest,
    RefundResult,
    RefundState,
    StatementRow,
    TextLimit,
    TradeResult,
    TradeState,
)
from paymux.clock import CHINA
from paymux.domain.money import fen_to_yuan, yuan_to_fen
from paymux.errors import BadRequest

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# product → (OpenAPI method, product_code). Only precreate is a server-to-server call; page,
# wap and app are signed requests the payer's browser or Alipay app carries to Alipay.
PRODUCTS: dict[str, tuple[str, str]] = {
    "alipay.qr": ("alipay.trade.precreate", ""),
    "alipay.page": ("alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY"),
    "alipay.wap": ("alipay.trade.wap.pay", "QUICK_WAP_WAY"),
    "alipay.app": ("alipay.trade.app.pay", "QUICK_MSECURITY_PAY"),
    "alipay.jsapi": ("alipay.trade.create", "JSAPI_PAY"),  # in the Alipay app (channels/alipay/jsapi.py)
    "alipay.barcode": ("alipay.trade.pay", "FACE_TO_FACE_PAYMENT"),  # the payer's code: barcode.py
    "alipay.mini_program": ("alipay.trade.create", "JSAPI_PAY"),  # in a mini program: mini_program.py
}

# Alipay OpenAPI counts characters: subject ≤ 256, refund_reason ≤ 256 (docs/channels.md).
CREATE_LIMITS: tuple[TextLimit, ...] = (TextLimit("subject", "subject", 256, "characters"),)
REFUND_LIMITS: tuple[TextLimit, ...] = (TextLimit("reason", "refund_reason", 256, "characters"),)

TRADE_STATES: dict[str, TradeState] = {
    "WAIT_BUYER_PAY": TradeState.OPEN,
    "TRADE_SUCCESS": TradeState.PAID,
    "TRADE_FINISHED": TradeState.PAID,
    "TRADE_CLOSED": TradeState.CLOSED,
}


def china_time(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), CHINA).strftime(TIME_FORMAT)


def parse_china_time(value: str) -> float:
    """ "2026-11-27 10:55:23", or with milliseconds as refund notifies write gmt_refund."""
    moment = datetime.strptime(value, TIME_FORMAT + (".%f" if "." in value else ""))
    return moment.replace(tzinfo=CHINA).timestamp()


def timeout_express(seconds_left: float) -> str:
    """Whole minutes, rounded down so the trade never outlives the payment (at least 1m)."""
    return f"{max(1, int(seconds_left // 60))}m"


_SUBJECT_FORBIDDEN = str.maketrans("/=&", "--+")


def _subject(subject: str) -> str:
    """Alipay refuses `/`, `=` and `&` in subject; they are replaced, never dropped silently."""
    return subject.translate(_SUBJECT_FORBIDDEN)[:256]


def biz_content(request: CreateRequest) -> dict[str, Any]:
    _, product_code = PRODUCTS[request.product]
    content: dict[str, Any] = {
        "out_trade_no": request.out_trade_no,
        "total_amount": fen_to_yuan(request.amount),
        "subject": _subject(request.subject),
        "time_expire": china_time(request.expires_at),
    }
    if product_code:
        content["product_code"] = product_code
    if request.attach:
        content["passback_params"] = request.attach[:512]
    if request.product == "alipay.wap":
        if not request.return_url:
            raise BadRequest("alipay.wap needs return_url (where the payer goes back to)")
        content["quit_url"] = request.return_url
    return content


# What each message always carries of CHECKED_FIELDS (PROTOCOLS.md §2.4–2.6). A notify names
# app_id, seller_id (the account's pid) and total_amount. An alipay.trade.query answer names
# neither app nor seller: it is the signed answer to the app that asked, so only its
# total_amount is required. The trade bill names the account (its #账号 line) but no app.
# Amounts are CNY yuan by protocol: trans_currency (cross-border only) is compared when sent.
CARRIED_FIELDS: dict[str, frozenset[str]] = {
    "callback": frozenset({"amount", "mchid", "appid"}),
    "query": frozenset({"amount"}),
    "statement": frozenset({"amount", "mchid"}),
}
# Third-party application mode (ChannelAccount.mode "provider", calls with app_auth_token): a
# notify's app_id is paymux's application (the account's appid), auth_app_id the authorizing
# merchant's application and seller_id the merchant's user_id (its sub-merchant identity,
# TradeResult.sub_appid/sub_mchid); nothing in it names the provider account's own pid. The
# bill fetched with the merchant's token is the merchant's (its #账号 is the merchant).
PROVIDER_CARRIED_FIELDS: dict[str, frozenset[str]] = {
    "callback": frozenset({"amount", "appid"}),
    "query": frozenset({"amount"}),
    "statement": frozenset({"amount"}),
}
PROTOCOL_CURRENCY = "CNY"


def provider_trade(trade: TradeResult, fields: Mapping[str, Any]) -> TradeResult:
    """A notify's trade as a third-party application reads it: the seller is the sub-merchant.
    A query answer names no seller, so it has no sub-merchant fields."""
    return replace(
        trade,
        mchid="",
        sub_mchid=str(fields.get("seller_id") or ""),
        sub_appid=str(fields.get("auth_app_id") or ""),
        carries=trade.carries - {"mchid"},
    )


def provider_row(row: StatementRow) -> StatementRow:
    """A bill row fetched with the merchant's token: its account is the sub-merchant's."""
    return replace(row, mchid="", sub_mchid=row.mchid, carries=row.carries - {"mchid"})


def _amount(value: Any) -> int | None:
    """A yuan string as fen; absent or unreadable is None (never 0)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return yuan_to_fen(value)
    except ValueError:
        return None


def _paid_at(text: str) -> float | None:
    try:
        return parse_china_time(text) if text else None
    except ValueError:
        return None  # an unreadable time: the payment is stamped when applied


def trade_result(
    fields: Mapping[str, Any], out_trade_no: str = "", *, message: Literal["callback", "query"]
) -> TradeResult:
    """From a verified alipay.trade.query answer (`message` "query") or a payment notify
    ("callback"). A trade closed after a full refund was paid: query answers TRADE_CLOSED with
    its send_pay_date, so it maps to PAID, as WeChat's REFUND state does."""
    raw_state = str(fields.get("trade_status", ""))
    state = TRADE_STATES.get(raw_state, TradeState.OPEN)  # unknown → not final
    paid_text = str(fields.get("send_pay_date") or fields.get("gmt_payment") or "")
    if state == TradeState.CLOSED and paid_text:
        state = TradeState.PAID
    return TradeResult(
        out_trade_no=str(fields.get("out_trade_no") or out_trade_no),
        state=state,
        amount=_amount(fields.get("total_amount")),
        currency=str(fields.get("trans_currency") or PROTOCOL_CURRENCY),
        channel_trade_no=str(fields.get("trade_no", "")),
        paid_at=_paid_at(paid_text) if state == TradeState.PAID else None,
        mchid=str(fields.get("seller_id", "")),
        appid=str(fields.get("app_id", "")),
        raw_state=raw_state,
        carries=CARRIED_FIELDS[message],
    )


_D, _T, _P = RefundErrorClass.DEFINITIVE, RefundErrorClass.TRANSIENT, RefundErrorClass.NEEDS_PERSON
# sub_codes of alipay.trade.refund (synchronous: a refusal means nothing was refunded).
REFUND_ERRORS: dict[str, RefundErrorClass] = {
    "ACQ.SYSTEM_ERROR": _T,  # 系统错误: retry with the same out_request_no
    "aop.ACQ.SYSTEM_ERROR": _T,
    "isp.*": _T,  # Alipay's own service errors (isp.unknow-error …)
    "ACQ.SELLER_BALANCE_NOT_ENOUGH": _T,  # the seller's balance is short: retry once topped up
    "ACQ.TRADE_NOT_EXIST": _D,
    "ACQ.TRADE_STATUS_ERROR": _D,  # the trade is not in a refundable state
    "ACQ.TRADE_HAS_FINISHED": _D,  # TRADE_FINISHED: past its refund period
    "ACQ.TRADE_NOT_ALLOW_REFUND": _D,
    "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL": _D,
    "ACQ.REFUND_FEE_ERROR": _D,  # more than is left to refund
    "ACQ.INVALID_PARAMETER": _D,
    "ACQ.BUYER_ERROR": _D,  # the buyer's account is abnormal
    "ACQ.DISCORDANT_REPEAT_REQUEST": _P,  # the out_request_no was used with other values
    "ACQ.REASON_TRADE_BEEN_FREEZEN": _P,  # the trade is frozen at Alipay
    "ACQ.ACCESS_FORBIDDEN": _P,
    "ACQ.PARTNER_ERROR": _P,
    "isv.*": _P,  # our signature, app id or permissions
    "aop.invalid-app-auth-token": _P,  # third-party mode: the merchant revoked (re-authorize)
    "aop.app-auth-token-time-out": _P,  # third-party mode: the token expired (refresh it)
    "aop.invalid-app-auth-token-no-api": _P,  # not authorized for alipay.trade.refund
}


def refund_content(request: RefundRequest) -> dict[str, Any]:
    """out_request_no is Alipay's idempotency key for a refund: the same value never refunds
    twice, and it is required for partial refunds."""
    content: dict[str, Any] = {
        "out_trade_no": request.out_trade_no,
        "refund_amount": fen_to_yuan(request.amount),
        "out_request_no": request.out_refund_no,
    }
    if request.reason:
        content["refund_reason"] = request.reason[:256]
    return content


def refund_query_result(out_refund_no: str, answer: Mapping[str, Any]) -> RefundResult:
    """alipay.trade.fastpay.refund.query answers 10000 without refund fields when Alipay has
    no such refund; REFUND_SUCCESS is the only final state it reports."""
    if not answer.get("refund_amount") and not answer.get("refund_status"):
        return RefundResult(out_refund_no=out_refund_no, state=RefundState.NOT_FOUND)
    raw = str(answer.get("refund_status") or "")
    # Older answers carry no refund_status: a refund amount there means it was refunded.
    state = RefundState.SUCCESS if raw in ("REFUND_SUCCESS", "") else RefundState.PROCESSING
    succeeded = str(answer.get("gmt_refund_pay") or "")
    return RefundResult(
        out_refund_no=str(answer.get("out_request_no") or out_refund_no),
        state=state,
        amount=_amount(answer.get("refund_amount")),
        channel_refund_no="",
        succeeded_at=parse_china_time(succeeded) if succeeded else None,
        raw_status=raw or "REFUND_SUCCESS",
    )


def refund_notify_result(form: Mapping[str, str]) -> RefundResult:
    """A trade_status_sync notify caused by a refund (it carries out_biz_no = out_request_no
    and gmt_refund). Its refund_fee is the trade's cumulative refund, not this refund's
    amount, so the amount is left unknown here and checked by the stored refund instead."""
    refunded = str(form.get("gmt_refund") or "")
    return RefundResult(
        out_refund_no=str(form["out_biz_no"]),
        state=RefundState.SUCCESS,
        amount=None,
        channel_refund_no="",
        succeeded_at=parse_china_time(refunded) if refunded else None,
        raw_status="REFUND_SUCCESS",
    )


def is_refund_notify(form: Mapping[str, str]) -> bool:
    return bool(form.get("out_biz_no")) and bool(form.get("gmt_refund") or form.get("refund_fee"))
