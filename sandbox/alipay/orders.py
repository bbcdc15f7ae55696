"""Turning an order request (precreate, page/wap cashier, app order) into a stored ``Trade``.

Every order API takes the same core fields: ``out_trade_no``, ``total_amount``, ``subject``,
optional ``body``, ``timeout_express``/``time_expire``, ``passback_params``, ``store_id``…
An unpaid trade closes at its ``time_expire``, else ``timeout_express`` after it was
requested, else after the product's default (face-to-face 3 h, page/wap/app 15 d).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sandbox.alipay.envelope import GatewayRequest
from sandbox.alipay.store import WAIT_BUYER_PAY, Trade, new_cashier_token, new_qr_code
from sandbox.alipay.validation import (
    amount_fen,
    expiry,
    notify_url,
    out_trade_no,
    product_code,
    text,
)


@dataclass(frozen=True)
class Product:
    method: str
    product_code: str
    default_timeout: float  # seconds
    code_required: bool  # product_code must be sent (else it defaults)
    precreate: bool = False  # a QR order that exists only once scanned


PRODUCTS = {
    "alipay.trade.precreate": Product(
        "alipay.trade.precreate", "FACE_TO_FACE_PAYMENT", 3 * 3600, False, True
    ),
    "alipay.trade.page.pay": Product("alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY", 15 * 86400, True),
    "alipay.trade.wap.pay": Product("alipay.trade.wap.pay", "QUICK_WAP_WAY", 15 * 86400, True),
    "alipay.trade.app.pay": Product("alipay.trade.app.pay", "QUICK_MSECURITY_PAY", 15 * 86400, False),
    # in-app (JSAPI): the trade exists as soon as it is created (sandbox/alipay/jsapi.py)
    "alipay.trade.create": Product("alipay.trade.create", "JSAPI_PAY", 15 * 86400, False),
    # the payer's code (barcode_api): a trade at once, waiting while the payer confirms
    "alipay.trade.pay": Product("alipay.trade.pay", "FACE_TO_FACE_PAYMENT", 3 * 3600, False),
}


def fingerprint(request: GatewayRequest) -> str:
    """What a repeat of the same ``out_trade_no`` must send again: the method and biz_content."""
    return json.dumps([request.method, request.biz], sort_keys=True, ensure_ascii=False)


def build_trade(request: GatewayRequest, now: float, *, require_https_notify: bool) -> Trade:
    product = PRODUCTS[request.method]
    biz = request.biz
    number = out_trade_no(biz)
    total = amount_fen(biz, "total_amount")
    subject = text(biz, "subject", required=True, maximum=256)
    code = product_code(
        biz, product.product_code, default=None if product.code_required else product.product_code
    )
    return Trade(
        app_id=request.merchant.app_id,
        out_trade_no=number,
        method=request.method,
        product_code=code,
        subject=subject,
        body=text(biz, "body", maximum=128) or None,
        total=total,
        charset=request.charset,
        notify_url=notify_url(request.notify_url, require_https=require_https_notify),
        return_url=request.return_url,
        quit_url=text(biz, "quit_url", maximum=400) or None,
        passback_params=text(biz, "passback_params", maximum=512) or None,
        store_id=text(biz, "store_id", maximum=32) or None,
        operator_id=text(biz, "operator_id", maximum=28) or None,
        terminal_id=text(biz, "terminal_id", maximum=32) or None,
        fingerprint=fingerprint(request),
        requested_at=now,
        expires_at=expiry(biz, now, product.default_timeout),
        qr_code=new_qr_code() if product.precreate else None,
        cashier_token=new_cashier_token(),
        status=None if product.precreate else WAIT_BUYER_PAY,
        caller_app_id=request.app.app_id if request.authorizer else None,
    )
