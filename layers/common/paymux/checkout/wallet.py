"""Who is paying, from the request: the wallet app the page is open in (from its user agent,
as the wallets identify themselves), the kind of device, and the payer's language."""

from __future__ import annotations

import re

# The wallets' own user-agent tokens: WeChat's in-app browser says MicroMessenger, Alipay's
# AlipayClient, UnionPay's app (云闪付) UnionPay/<version> or CloudPay.
_WALLETS = (("wechat", re.compile(r"MicroMessenger/")), ("alipay", re.compile(r"AlipayClient/")))
_UNIONPAY = re.compile(r"UnionPay/|CloudPay")
_MOBILE = re.compile(r"Mobi|Android|iPhone|iPad|iPod|HarmonyOS")
LANGUAGES = ("zh-CN", "en")
_RANGE = re.compile(
    r"\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([01](?:\.[0-9]{0,3})?))?\s*"
)


def wallet_of(user_agent: str) -> str:
    for name, token in _WALLETS:
        if token.search(user_agent):
            return name
    return "unionpay" if _UNIONPAY.search(user_agent) else ""


def device_of(user_agent: str) -> str:
    return "mobile" if _MOBILE.search(user_agent) or wallet_of(user_agent) else "desktop"


def h5_type_of(user_agent: str) -> str:
    """WeChat Pay H5's scene_info.h5_info.type."""
    if re.search(r"iPhone|iPad|iPod", user_agent):
        return "iOS"
    return "Android" if "Android" in user_agent else "Wap"


def language_of(asked: str, accept_language: str) -> str:
    """`?lang=` when it names a supported language, else the best of Accept-Language (zh-* is
    zh-CN, en-* is en), else zh-CN. Malformed ranges are skipped, never an error."""
    if asked in LANGUAGES:
        return asked
    best, best_q = "zh-CN", -1.0
    for part in accept_language[:512].split(","):
        found = _RANGE.fullmatch(part)
        if not found:
            continue
        tag, q = found.group(1).lower(), float(found.group(2) or 1)
        language = "zh-CN" if tag.startswith("zh") else "en" if tag.startswith("en") else ""
        if language and q > best_q:
            best, best_q = language, q
    return best
