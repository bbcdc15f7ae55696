"""Pure mapping between paymux values and WeChat Pay v3 bodies (PROTOCOLS.md §1.4–1.5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from paymux.channels.base import (
    CreateRequest,
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


def trade_result(transaction: dict[str, Any]) -> TradeResult:
    raw_state = str(transaction.get("trade_state", ""))
    amount = transaction.get("amount") or {}
    success_time = transaction.get("success_time")
    return TradeResult(
        out_trade_no=str(transaction["out_trade_no"]),
        state=TRADE_STATES.get(raw_state, TradeState.OPEN),  # unknown → not final
        amount=int(amount["total"]) if "total" in amount else None,
        currency=str(amount.get("currency", "CNY")),
        channel_trade_no=str(transaction.get("transaction_id", "")),
        paid_at=parse_rfc3339(success_time) if success_time else None,
        mchid=str(transaction.get("mchid", "")),
        appid=str(transaction.get("appid", "")),
        raw_state=raw_state,
    )


REFUND_STATES: dict[str, RefundState] = {
    "SUCCESS": RefundState.SUCCESS,
    "PROCESSING": RefundState.PROCESSING,
    "CLOSED": RefundState.FAILED,
    "ABNORMAL": RefundState.FAILED,  # the money could not reach the payer: needs an operator
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
