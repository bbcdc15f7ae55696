"""Which of a session's methods the page offers, for the wallet it is open in and the kind of
device: a payer cannot scan a code on the screen they scan with, WeChat's browser blocks
Alipay's pages (the page says how to proceed instead), WeChat's JSAPI exists only inside WeChat,
Alipay's only inside Alipay (which also opens its WAP pages in place), and H5 only outside them."""

from __future__ import annotations

from collections.abc import Sequence

QR = ("wechat.native", "alipay.qr", "unionpay.qr")
DESKTOP = (*QR, "alipay.page", "unionpay.gateway")
MOBILE = ("wechat.h5", "alipay.wap", "unionpay.wap")
IN_WALLET = {
    "wechat": ("wechat.jsapi", "unionpay.wap", "alipay.wap"),  # alipay.wap: shown as guidance
    "alipay": ("alipay.jsapi", "alipay.wap", "unionpay.wap"),
    "unionpay": ("unionpay.wap",),
}
IN_WALLET_ONLY = ("wechat.jsapi", "alipay.jsapi")
# The methods a wallet's own browser pays with, best first.
WALLET_METHODS = {
    "wechat": ("wechat.jsapi",),
    "alipay": ("alipay.jsapi", "alipay.wap"),
    "unionpay": ("unionpay.wap",),
}


def wallet_method(wallet: str, methods: Sequence[str]) -> str:
    """The best of `methods` a wallet's own browser pays with ("" outside a wallet or if none)."""
    return next((m for m in WALLET_METHODS.get(wallet, ()) if m in methods), "")


def offered(methods: Sequence[str], wallet: str, device: str) -> list[str]:
    """The session's methods this payer can use here, in the session's order; when none fits
    (a mobile payer and only QR methods), all of them: a code can be scanned from another phone."""
    fitting = IN_WALLET.get(wallet) or (MOBILE if device == "mobile" else DESKTOP)
    chosen = [m for m in methods if m in fitting]
    return chosen or [m for m in methods if m not in IN_WALLET_ONLY]
