"""The JSON objects WeChat Pay returns and encrypts into callbacks: ``Transaction`` and
``Refund``, shaped like real answers (an unpaid order has no transaction_id, payer,
trade_type, bank_type or success_time, and its amount has only total and payer_currency)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sandbox.wechat.store import Order, Refund, rfc3339

TRADE_STATE_DESC = {
    "NOTPAY": "订单未支付",
    "SUCCESS": "支付成功",
    "CLOSED": "订单已关闭",
    "REFUND": "订单发生过退款",
    "USERPAYING": "需要用户输入支付密码",  # payer codes (MICROPAY) only
    "REVOKED": "已撤销",
    "PAYERROR": "支付失败",
}
USER_RECEIVED_ACCOUNT = "支付用户零钱"


def dumps(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as WeChat sends it."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _owner(order: Order) -> dict[str, Any]:
    """Who the Transaction is for: appid/mchid, or a partner order's sp_* and sub_* ids."""
    if not order.sub_mchid:
        return {"appid": order.appid, "mchid": order.mchid}
    owner = {"sp_appid": order.appid, "sp_mchid": order.mchid, "sub_mchid": order.sub_mchid}
    return owner | ({"sub_appid": order.sub_appid} if order.sub_appid else {})


def _payer(order: Order) -> dict[str, str]:
    """A partner payer has sp_openid (under sp_appid) and, with a sub_appid, sub_openid; the one
    the order did not name is the same payer's openid under the other app (derived here)."""
    openid = order.payer_openid or ""
    if not order.sub_mchid:
        return {"openid": openid}
    other = "o" + hashlib.sha256(f"{order.sub_appid}|{openid}".encode()).hexdigest()[:27]
    if order.payer_kind == "sub_openid":
        return {"sp_openid": other, "sub_openid": openid}
    return {"sp_openid": openid} | ({"sub_openid": other} if order.sub_appid else {})


def transaction(order: Order) -> dict[str, Any]:
    body: dict[str, Any] = _owner(order) | {
        "out_trade_no": order.out_trade_no,
        "trade_state": order.trade_state,
        "trade_state_desc": TRADE_STATE_DESC[order.trade_state],
        "promotion_detail": [],
        "scene_info": {"device_id": order.device_id},
        "amount": {"total": order.total, "payer_currency": order.currency},
    }
    if order.attach:
        body["attach"] = order.attach
    if order.transaction_id is None or order.success_time is None:
        return body
    body.update(
        transaction_id=order.transaction_id,
        trade_type=order.trade_type,
        bank_type=order.bank_type or "OTHERS",
        success_time=rfc3339(order.success_time),
        payer=_payer(order),
        attach=order.attach or "",
    )
    body["amount"] = {
        "total": order.total,
        "payer_total": order.total,
        "currency": order.currency,
        "payer_currency": order.currency,
    }
    return body


def refund(refund: Refund) -> dict[str, Any]:
    body: dict[str, Any] = {
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": refund.transaction_id,
        "out_trade_no": refund.out_trade_no,
        "channel": refund.channel,
        "user_received_account": refund.user_received_account,
        "create_time": rfc3339(refund.created_at),
        "status": refund.status,
        "funds_account": refund.funds_account,
        "promotion_detail": [],
        "amount": {
            "total": refund.total,
            "refund": refund.refund,
            "from": [],
            "payer_total": refund.total,
            "payer_refund": refund.refund,
            "settlement_total": refund.total,
            "settlement_refund": refund.refund,
            "discount_refund": 0,
            "refund_fee": 0,
            "currency": refund.currency,
        },
    }
    if refund.success_time is not None:
        body["success_time"] = rfc3339(refund.success_time)
    return body


def refund_notice(refund: Refund) -> dict[str, Any]:
    """The decrypted resource of a REFUND.* callback (a partner's names sp_mchid and sub_mchid)."""
    owner = (
        {"sp_mchid": refund.mchid, "sub_mchid": refund.sub_mchid}
        if refund.sub_mchid
        else {"mchid": refund.mchid}
    )
    body: dict[str, Any] = owner | {
        "out_trade_no": refund.out_trade_no,
        "transaction_id": refund.transaction_id,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_status": refund.status,
        "user_received_account": refund.user_received_account,
        "amount": {
            "total": refund.total,
            "refund": refund.refund,
            "payer_total": refund.total,
            "payer_refund": refund.refund,
        },
    }
    if refund.success_time is not None:
        body["success_time"] = rfc3339(refund.success_time)
    return body
