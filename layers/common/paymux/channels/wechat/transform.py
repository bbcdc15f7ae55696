"""Pure mapping between paymux values and WeChat Pay v3 bodies (PROTOCOLS.md §1.4–1.5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from paymux.channels.base import (
    CHECKED_FIELDS,
    AbnormalRefundRequest,
    CreateRequest,
    RefundErrorClass,
    RefundRequest,
    RefundResult,
    RefundState,
    TextLimit,
    TradeResult,
    TradeState,
)
from paymux.clock import CHINA
from paymux.errors import BadRequest

# product → (endpoint suffix, response field, trade_type)
PRODUCTS: dict[str, tuple[str, str]] = {
    "wechat.native": ("native", "code_url"),
    "wechat.jsapi": ("jsapi", "prepay_id"),
    "wechat.mini_program": ("jsapi", "prepay_id"),
    "wechat.h5": ("h5", "h5_url"),
    "wechat.app": ("app", "prepay_id"),
}

# WeChat Pay v3 counts string lengths in UTF-8 bytes (its PARAM_ERROR says 字节数): 127 bytes
# of description is 127 ASCII characters but only 42 Chinese ones. docs/channels.md cites them.
CREATE_LIMITS: tuple[TextLimit, ...] = (
    TextLimit("subject", "description", 127, "bytes"),
    TextLimit("payer.openid", "payer.openid", 128, "bytes"),
)
REFUND_LIMITS: tuple[TextLimit, ...] = (TextLimit("reason", "reason", 80, "bytes"),)

TRADE_STATES: dict[str, TradeState] = {
    "SUCCESS": TradeState.PAID,
    "REFUND": TradeState.PAID,  # paid, then (partly) refunded
    "NOTPAY": TradeState.OPEN,
    "USERPAYING": TradeState.OPEN,
    "ACCEPT": TradeState.OPEN,
    "CLOSED": TradeState.CLOSED,
    "REVOKED": TradeState.CLOSED,
    "PAYERROR": TradeState.FAILED,
}


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), CHINA).isoformat()


def parse_rfc3339(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def order_body(request: CreateRequest, *, appid: str, mchid: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "appid": appid,
        "mchid": mchid,
        "description": request.subject[:127],
        "out_trade_no": request.out_trade_no,
        "time_expire": rfc3339(request.expires_at),
        "notify_url": request.notify_url,
        "amount": {"total": request.amount, "currency": request.currency},
    }
    if request.attach:
        body["attach"] = request.attach[:128]
    if request.product in {"wechat.jsapi", "wechat.mini_program"}:
        openid = request.payer.get("openid")
        if not openid:
            raise BadRequest(f"{request.product} needs payer.openid")
        body["payer"] = {"openid": openid}
    if request.product == "wechat.h5":
        client_ip = request.payer.get("client_ip")
        if not client_ip:
            raise BadRequest("wechat.h5 needs payer.client_ip")
        h5_type = request.payer.get("h5_type", "Wap")
        body["scene_info"] = {"payer_client_ip": client_ip, "h5_info": {"type": h5_type}}
    return body


# A Transaction (query answer or decrypted TRANSACTION.* callback) always names its appid and
# mchid, and a paid one its amount.total and amount.currency (PROTOCOLS.md §1.3, §1.5); every
# trade bill row has 公众账号ID, 商户号, 货币种类 and an amount.
CARRIED_FIELDS: dict[str, frozenset[str]] = {
    "callback": CHECKED_FIELDS,
    "query": CHECKED_FIELDS,
    "statement": CHECKED_FIELDS,
}


def _total(amount: Any) -> int | None:
    """amount.total as an integer number of fen; anything else is absent (None), never 0."""
    total = amount.get("total") if isinstance(amount, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _moment(value: Any) -> float | None:
    try:
        return parse_rfc3339(value) if isinstance(value, str) and value else None
    except ValueError:
        return None  # an unreadable success_time: the payment is stamped when applied


def trade_result(transaction: dict[str, Any], message: Literal["callback", "query"]) -> TradeResult:
    """`message` is "query" or "callback" (what the Transaction came in, for CARRIED_FIELDS)."""
    raw_state = _text(transaction.get("trade_state"))
    amount = transaction.get("amount")
    success_time = transaction.get("success_time")
    return TradeResult(
        out_trade_no=_text(transaction.get("out_trade_no")),
        state=TRADE_STATES.get(raw_state, TradeState.OPEN),  # unknown → not final
        amount=_total(amount),
        currency=_text(amount.get("currency")) if isinstance(amount, dict) else "",
        channel_trade_no=_text(transaction.get("transaction_id")),
        paid_at=_moment(success_time),
        mchid=_text(transaction.get("mchid")),
        appid=_text(transaction.get("appid")),
        raw_state=raw_state,
        carries=CARRIED_FIELDS[message],
    )


REFUND_STATES: dict[str, RefundState] = {
    "SUCCESS": RefundState.SUCCESS,
    "PROCESSING": RefundState.PROCESSING,
    "CLOSED": RefundState.FAILED,
    # the money left the merchant's balance but could not reach the payer: not a failure; an
    # operator re-issues it (apply-abnormal-refund) and a later SUCCESS settles it
    "ABNORMAL": RefundState.ABNORMAL,
}

_D, _T, _P = RefundErrorClass.DEFINITIVE, RefundErrorClass.TRANSIENT, RefundErrorClass.NEEDS_PERSON
# Error codes of POST /v3/refund/domestic/refunds (an empty code is written HTTP_<status>).
REFUND_ERRORS: dict[str, RefundErrorClass] = {
    "SYSTEM_ERROR": _T,  # 5xx 系统错误: retry with the same out_refund_no
    "SYSTEMERROR": _T,
    "FREQUENCY_LIMITED": _T,  # 429 频率限制: retry later, slower
    "HTTP_429": _T,
    "NOT_ENOUGH": _T,  # 403 余额不足: retry once the merchant's balance is topped up
    "PARAM_ERROR": _D,  # 400: the request itself is wrong; nothing was accepted
    "INVALID_REQUEST": _D,  # 400: e.g. the order is fully refunded or past its refund period
    "USER_ACCOUNT_ABNORMAL": _D,  # 403: the payer's account is closed or frozen
    "RESOURCE_NOT_EXISTS": _D,  # 404: WeChat has no such paid order
    "ORDER_NOT_EXIST": _D,
    "SIGN_ERROR": _P,  # 401: our keys or configuration; fix, then it is retried
    "NO_AUTH": _P,  # 403: the account may not refund (product permissions)
    "MCH_NOT_EXISTS": _P,
    "HTTP_401": _P,
    "HTTP_403": _P,
}


def refund_body(request: RefundRequest) -> dict[str, Any]:
    """Without a notify_url WeChat uses the refund callback configured in the merchant portal."""
    body: dict[str, Any] = {
        "out_trade_no": request.out_trade_no,
        "out_refund_no": request.out_refund_no,
        "reason": request.reason[:80] if request.reason else "",
        "amount": {"refund": request.amount, "total": request.total, "currency": request.currency},
    }
    if request.notify_url:
        body["notify_url"] = request.notify_url
    return body


def abnormal_refund_body(request: AbnormalRefundRequest, encrypt: Callable[[str], str]) -> dict[str, Any]:
    """apply-abnormal-refund; the card number and the payer's name are encrypted with WeChat
    Pay's public key (the request names that key in Wechatpay-Serial). A direct merchant sends
    no sub_mchid (that field is for partners)."""
    body: dict[str, Any] = {"out_refund_no": request.out_refund_no, "type": request.to}
    if request.to == "USER_BANK_CARD":
        if not (request.bank_type and request.bank_account and request.real_name):
            raise BadRequest("a refund to the payer's card needs bank_type, bank_account and real_name")
        body["bank_type"] = request.bank_type
        body["bank_account"] = encrypt(request.bank_account)
        body["real_name"] = encrypt(request.real_name)
    return body


def refund_result(refund: dict[str, Any]) -> RefundResult:
    """From a refund response, a refund query or a decrypted REFUND.* callback (which calls
    the status `refund_status`)."""
    raw = str(refund.get("status") or refund.get("refund_status") or "")
    amount = refund.get("amount") or {}
    success_time = refund.get("success_time")
    return RefundResult(
        out_refund_no=str(refund["out_refund_no"]),
        state=REFUND_STATES.get(raw, RefundState.PROCESSING),  # unknown → not final
        amount=int(amount["refund"]) if "refund" in amount else None,
        channel_refund_no=str(refund.get("refund_id", "")),
        succeeded_at=parse_rfc3339(success_time) if success_time else None,
        raw_status=raw,
    )
