"""What Alipay's gateway answers mean, and how its notify forms are read: pure, no I/O.

A refusal (code other than 10000) becomes a typed error: ChannelUnavailable when the outcome
is unknown (20000, system errors), ChannelAuthorizationInvalid when a third-party call's
app_auth_token was refused (20001: invalid, expired, or not authorized for the method; nothing
was done for the merchant), otherwise ChannelError with the sub_code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from paymux.errors import CallbackRejected, ChannelAuthorizationInvalid, ChannelError, ChannelUnavailable

SUCCESS = "10000"
# Refusals of this account's configuration or permissions: Alipay created no trade, so another
# account may be tried.
SAFE_TO_RETRY_ELSEWHERE = frozenset(
    {
        "isv.invalid-signature",
        "isv.invalid-app-id",
        "isv.invalid-app-auth-token",
        "isv.insufficient-isv-permissions",
        "isv.insufficient-user-permissions",
        "isv.invalid-sign-type",
        "ACQ.ACCESS_FORBIDDEN",
        "ACQ.PARTNER_ERROR",
        "ACQ.SELLER_BALANCE_NOT_ENOUGH",
    }
)
UNKNOWN_OUTCOME = frozenset({"ACQ.SYSTEM_ERROR", "isp.unknow-error", "aop.ACQ.SYSTEM_ERROR"})
# 20001 Insufficient Token Permissions (Alipay's public error codes): the app_auth_token is
# wrong or revoked, has expired (a refresh helps), or does not cover the method.
AUTHORIZATION_INVALID = "aop.invalid-app-auth-token"
AUTHORIZATION_EXPIRED = "aop.app-auth-token-time-out"
AUTHORIZATION_NO_API = "aop.invalid-app-auth-token-no-api"
AUTHORIZATION_REFUSALS = frozenset({AUTHORIZATION_INVALID, AUTHORIZATION_EXPIRED, AUTHORIZATION_NO_API})


def response_key(method: str) -> str:
    return method.replace(".", "_") + "_response"


def error(answer: Mapping[str, Any]) -> ChannelError:
    code = str(answer.get("code", ""))
    sub_code = str(answer.get("sub_code") or code)
    message = f"Alipay {sub_code}: {answer.get('sub_msg') or answer.get('msg') or ''}"
    if code == "20000" or sub_code in UNKNOWN_OUTCOME:
        return ChannelUnavailable(message, channel_code=sub_code)
    if sub_code in AUTHORIZATION_REFUSALS:
        return ChannelAuthorizationInvalid(
            message, channel_code=sub_code, refreshable=sub_code == AUTHORIZATION_EXPIRED
        )
    safe = sub_code in SAFE_TO_RETRY_ELSEWHERE
    return ChannelError(message, channel_code=sub_code, retryable_elsewhere=safe)


def notify_form(body: bytes) -> dict[str, str]:
    """A notify's form fields, decoded in the charset it declares (utf-8 unless it says GBK)."""
    try:
        text = body.decode("ascii")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CallbackRejected("Alipay notify body is not a URL-encoded form") from exc
    charset = dict(pairs).get("charset", "utf-8").lower()
    if charset not in ("utf-8", "gbk", "gb2312"):
        raise CallbackRejected(f"Alipay notify charset {charset} is not supported")
    try:
        form = dict(parse_qsl(text, keep_blank_values=True, encoding=charset, errors="strict"))
    except UnicodeDecodeError as exc:
        raise CallbackRejected(f"Alipay notify is not valid {charset}") from exc
    return form
