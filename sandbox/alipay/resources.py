"""The JSON objects and forms Alipay builds from a trade: query answers, refund answers,
notification fields, page-return parameters and the sandbox's read-only views."""

from __future__ import annotations

import json
from typing import Any

from sandbox.alipay.apps import SandboxApp
from sandbox.alipay.crypto import random_digits
from sandbox.alipay.store import Refund, Trade, buyer_logon_id
from sandbox.alipay.times import alipay_time, alipay_time_ms, cst
from sandbox.alipay.validation import yuan

FUND_CHANNEL = "ALIPAYACCOUNT"  # the sandbox's payers pay from their balance (余额)


def _paid(trade: Trade) -> bool:
    return trade.gmt_payment is not None


def trade_query(trade: Trade) -> dict[str, Any]:
    """The ``alipay.trade.query`` answer of an existing trade (after code/msg).

    Unpaid trades report zero amounts and no ``send_pay_date``/``fund_bill_list``; a
    refund does not change the paid amounts (Alipay reports refunds elsewhere).
    """
    paid = _paid(trade)
    answer: dict[str, Any] = {
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "trade_status": trade.status,
        "total_amount": yuan(trade.total),
    }
    if trade.buyer_id:
        answer["buyer_logon_id"] = buyer_logon_id(trade.buyer_id)
        answer["buyer_user_id"] = trade.buyer_id
    amount = yuan(trade.total) if paid else "0.00"
    answer |= {
        "receipt_amount": amount,
        "buyer_pay_amount": amount,
        "point_amount": "0.00",
        "invoice_amount": amount,
    }
    if paid and trade.gmt_payment is not None:
        answer["send_pay_date"] = alipay_time(trade.gmt_payment)
        answer["fund_bill_list"] = [{"amount": yuan(trade.total), "fund_channel": FUND_CHANNEL}]
    return answer


def refund_answer(refund: Refund, trade: Trade, *, fund_change: bool) -> dict[str, Any]:
    """The ``alipay.trade.refund`` answer; a replay repeats it with ``fund_change`` N."""
    answer: dict[str, Any] = {"trade_no": refund.trade_no, "out_trade_no": refund.out_trade_no}
    if trade.buyer_id:
        answer["buyer_logon_id"] = buyer_logon_id(trade.buyer_id)
        answer["buyer_user_id"] = trade.buyer_id
    answer |= {
        "fund_change": "Y" if fund_change else "N",
        "refund_fee": yuan(refund.refund_fee),
        "send_back_fee": yuan(refund.amount),
        "gmt_refund_pay": alipay_time(refund.refunded_at),
    }
    return answer


def refund_query(refund: Refund, trade: Trade) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "trade_no": refund.trade_no,
        "out_trade_no": refund.out_trade_no,
        "out_request_no": refund.out_request_no,
        "total_amount": yuan(trade.total),
        "refund_amount": yuan(refund.amount),
        "refund_status": "REFUND_SUCCESS",
        "gmt_refund_pay": alipay_time(refund.refunded_at),
    }
    if refund.reason:
        answer["refund_reason"] = refund.reason
    return answer


def new_notify_id(now: float) -> str:
    """34 digits: the date, ``00222``, the time and fifteen more digits."""
    moment = cst(now)
    return f"{moment:%Y%m%d}00222{moment:%H%M%S}{random_digits(15)}"


def notify_fields(
    app: SandboxApp, trade: Trade, notify_id: str, refund: Refund | None = None
) -> dict[str, str]:
    """The ``trade_status_sync`` fields (notify_time and sign are added per attempt).

    Empty values are left out, as Alipay leaves them out.
    """
    fields: dict[str, str | None] = {
        "notify_type": "trade_status_sync",
        "notify_id": notify_id,
        "app_id": trade.caller_app_id or trade.app_id,  # the app that placed it (开发者的app_id)
        "auth_app_id": trade.app_id,  # the app the trade belongs to (授权方的appid)
        "charset": trade.charset,
        "version": "1.0",
        "sign_type": "RSA2",
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "buyer_id": trade.buyer_id,
        "buyer_logon_id": buyer_logon_id(trade.buyer_id) if trade.buyer_id else None,
        "seller_id": app.pid,
        "seller_email": app.seller_email,
        "trade_status": trade.status,
        "total_amount": yuan(trade.total),
        "subject": trade.subject,
        "body": trade.body,
        "passback_params": trade.passback_params,
        "gmt_create": alipay_time(trade.gmt_create) if trade.gmt_create else None,
    }
    if _paid(trade) and trade.gmt_payment is not None:
        paid = yuan(trade.total)
        fields |= {
            "receipt_amount": paid,
            "invoice_amount": paid,
            "buyer_pay_amount": paid,
            "point_amount": "0.00",
            "gmt_payment": alipay_time(trade.gmt_payment),
            "fund_bill_list": json.dumps(
                [{"amount": paid, "fundChannel": FUND_CHANNEL}], separators=(",", ":")
            ),
        }
    if refund is not None:
        fields |= {
            "out_biz_no": refund.out_request_no,
            "refund_fee": yuan(refund.refund_fee),
            "gmt_refund": alipay_time_ms(refund.refunded_at),
        }
    if trade.gmt_close:  # TRADE_CLOSED (timeout, close, full refund) or TRADE_FINISHED
        fields["gmt_close"] = alipay_time(trade.gmt_close)
    return {key: value for key, value in fields.items() if value}


def page_return_params(app: SandboxApp, trade: Trade, now: float) -> dict[str, str]:
    """What the browser brings back to ``return_url`` after paying (signed like a notify)."""
    return {
        "charset": trade.charset,
        "out_trade_no": trade.out_trade_no,
        "method": f"{trade.method}.return",
        "total_amount": yuan(trade.total),
        "trade_no": trade.trade_no or "",
        "auth_app_id": trade.app_id,
        "version": "1.0",
        "app_id": trade.caller_app_id or trade.app_id,
        "sign_type": "RSA2",
        "seller_id": app.pid,
        "timestamp": alipay_time(now),
    }


def trade_view(trade: Trade, base_url: str) -> dict[str, Any]:
    """A trade as the sandbox shows it: the order, plus the query answer once it exists.

    ``qr_code`` is the full URL the precreate answer gave (None for other products);
    ``trade_status`` is None while a precreated QR order has not been scanned.
    """
    view: dict[str, Any] = {
        "out_trade_no": trade.out_trade_no,
        "total_amount": yuan(trade.total),
        "trade_status": trade.status,
    }
    if trade.exists:
        view |= trade_query(trade)
    view |= {
        "exists": trade.exists,
        "app_id": trade.app_id,
        "method": trade.method,
        "product_code": trade.product_code,
        "subject": trade.subject,
        "body": trade.body,
        "notify_url": trade.notify_url,
        "return_url": trade.return_url,
        "passback_params": trade.passback_params,
        "refunded_amount": yuan(trade.refunded),
        "gmt_create": alipay_time(trade.gmt_create) if trade.gmt_create else None,
        "gmt_payment": alipay_time(trade.gmt_payment) if trade.gmt_payment else None,
        "gmt_close": alipay_time(trade.gmt_close) if trade.gmt_close else None,
        "close_reason": trade.close_reason,
        "expires_at": alipay_time(trade.expires_at),
        "qr_code": f"{base_url}/sandbox/scan?code={trade.qr_code}" if trade.qr_code else None,
        "sandbox_pay_path": sandbox_pay_path(trade),
    }
    return view


def sandbox_pay_path(trade: Trade) -> str:
    if trade.qr_code:
        return f"/sandbox/scan?code={trade.qr_code}"
    return f"/sandbox/cashier?token={trade.cashier_token}"


def refund_view(refund: Refund) -> dict[str, Any]:
    return {
        "app_id": refund.app_id,
        "trade_no": refund.trade_no,
        "out_trade_no": refund.out_trade_no,
        "out_request_no": refund.out_request_no,
        "refund_amount": yuan(refund.amount),
        "refund_fee": yuan(refund.refund_fee),
        "refund_reason": refund.reason,
        "refund_status": "REFUND_SUCCESS",
        "gmt_refund_pay": alipay_time(refund.refunded_at),
        "trade_closed": refund.trade_closed,
    }
