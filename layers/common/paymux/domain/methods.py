"""The payment methods merchants ask for, and which of them can stand in for one another.

A method is a channel product. Two methods share a family when the payer experience is the
same kind of thing (a QR code to scan, a mobile web redirect, an app SDK call), so a merchant
that allows it can be given one when the other is down. Methods of different families never
replace one another: a merchant page built to show a QR code cannot follow a redirect."""

from __future__ import annotations

FAMILIES: dict[str, str] = {
    "wechat.native": "qr_code",
    "alipay.qr": "qr_code",
    "wechat.h5": "mobile_web",
    "alipay.wap": "mobile_web",
    "wechat.app": "app",
    "alipay.app": "app",
    "alipay.page": "desktop_web",
    "wechat.jsapi": "wechat_browser",
    "wechat.mini_program": "wechat_mini_program",
    "unionpay.qr": "qr_code",
    "unionpay.gateway": "desktop_web",
    "unionpay.wap": "mobile_web",
    # the payer's own code is one wallet's: it never falls back to another channel's product
    "unionpay.barcode": "unionpay_payer_code",
    # e-CNY (digital RMB) through an acquirer: its QR code is scanned by a wallet app only
    "ecny.qr": "ecny_qr_code",
    "ecny.barcode": "ecny_payer_code",
    "alipay.jsapi": "alipay_browser",  # inside the Alipay app only
    "wechat.barcode": "wechat_payer_code",
    "alipay.barcode": "alipay_payer_code",
    # the app hands the tn to UnionPay's app SDK: an app SDK call like wechat.app, alipay.app
    "unionpay.app": "app",
    # 企业网银: paid from a business bank account only, never replaced by a personal-card product
    "unionpay.b2b": "unionpay_business_bank",
    "alipay.mini_program": "alipay_mini_program",  # inside an Alipay mini program only
}
METHODS: tuple[str, ...] = tuple(FAMILIES)
# What a merchant may ask for besides a product: `barcode`, the wallet read from the payer's
# code (domain/payer_codes), stored as that wallet's product.
REQUESTABLE_METHODS: tuple[str, ...] = (*METHODS, "barcode")
MAX_FALLBACK_METHODS = 3

# What the channel needs from the create request for a method (a dotted path in the request).
REQUIRED_INPUTS: dict[str, tuple[str, ...]] = {
    "wechat.jsapi": ("payer.openid",),
    "wechat.mini_program": ("payer.openid",),
    "wechat.h5": ("payer.client_ip",),
    "alipay.wap": ("return_url",),
    "unionpay.barcode": ("payer.auth_code",),
    "ecny.barcode": ("payer.auth_code",),
    "wechat.barcode": ("payer.auth_code",),
    "alipay.barcode": ("payer.auth_code",),
    "barcode": ("payer.auth_code",),
    "unionpay.gateway": ("return_url",),
    "unionpay.wap": ("return_url",),
    "alipay.jsapi": ("payer.openid",),
    "unionpay.b2b": ("return_url",),
    "alipay.mini_program": ("payer.openid",),
}


def can_replace(method: str, fallback: str) -> bool:
    return fallback != method and FAMILIES.get(fallback) == FAMILIES.get(method) is not None
