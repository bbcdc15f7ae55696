"""The gateway envelope: parse the parameters of a ``/gateway.do`` call and authenticate them.

Parameters may come in the query string, in an ``application/x-www-form-urlencoded`` body, or
both (official SDKs put the common parameters in the query and ``biz_content`` in the body);
they are merged, the body winning a tie. Values are decoded in the request's ``charset``
(utf-8 or GBK), which is looked for in the query string first, as Alipay asks.

Checks, in order (the first failure answers): ``method`` present (else ``error_response``
40001 isv.missing-method); ``app_id`` present and registered (isv.missing-app-id /
isv.invalid-app-id: the only unsigned answers); ``method`` known (``error_response``
isv.invalid-method); charset, format, ``sign``, ``sign_type`` (RSA2 only), ``timestamp``
(format and freshness), ``version``; then the RSA2 signature with the app's public key; then
``app_auth_token``: a third-party application's call acts for the merchant that authorized it
(20001 aop.invalid-app-auth-token / aop.app-auth-token-time-out otherwise); then
``biz_content`` must be a JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from sandbox.alipay.apps import AppRegistry, SandboxApp
from sandbox.alipay.crypto import REQUEST_EXCLUDED, rsa2_verify, sign_content
from sandbox.alipay.errors import (
    ERROR_RESPONSE,
    GatewayError,
    invalid,
    invalid_parameter,
    missing,
)
from sandbox.alipay.times import parse_alipay_time

CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "gbk": "gbk", "gb2312": "gbk"}
DEFAULT_TIMESTAMP_TOLERANCE = 900.0  # ±15 minutes (see README: Alipay's window is undocumented)
INVALID_SIGNATURE = "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为："


def codec(charset: str | None) -> str | None:
    """The Python codec of an Alipay ``charset`` value, or None when Alipay does not take it."""
    return CHARSETS.get((charset or "").strip().lower())


def parse_params(raw_query: str, body: bytes, content_type: str | None) -> tuple[dict[str, str], str]:
    """The merged request parameters and the codec they were decoded with."""
    declared = dict(parse_qsl(raw_query, encoding="latin-1")).get("charset")
    is_form = not content_type or content_type.split(";")[0].strip().lower() in (
        "application/x-www-form-urlencoded",
        "",
    )
    if declared is None and body and is_form:
        declared = dict(parse_qsl(body.decode("latin-1"), encoding="latin-1")).get("charset")
    python_codec = codec(declared) or "utf-8"
    params = dict(parse_qsl(raw_query, keep_blank_values=True, encoding=python_codec, errors="replace"))
    if body and is_form:
        text = body.decode(python_codec, errors="replace")
        params |= dict(parse_qsl(text, keep_blank_values=True, encoding=python_codec, errors="replace"))
    return params, python_codec


def parse_order_string(order_string: str) -> tuple[dict[str, str], str]:
    """An ``alipay.trade.app.pay`` order string (URL-encoded ``k=v&…``) as the Alipay app reads it."""
    return parse_params(order_string.strip(), b"", None)


@dataclass
class GatewayRequest:
    """An authenticated call: its parameters, application, method and business content."""

    params: dict[str, str]
    app: SandboxApp
    method: str
    charset: str  # the Python codec: utf-8 or gbk
    biz: dict[str, Any] = field(default_factory=dict)
    authorizer: SandboxApp | None = None  # the merchant app whose app_auth_token came along

    @property
    def merchant(self) -> SandboxApp:
        """The application the call acts for: the authorizing merchant's, else the caller's."""
        return self.authorizer or self.app

    @property
    def notify_url(self) -> str | None:
        return self.params.get("notify_url") or None

    @property
    def return_url(self) -> str | None:
        return self.params.get("return_url") or None


def response_key(method: str) -> str:
    """``alipay.trade.query`` → ``alipay_trade_query_response``."""
    return method.replace(".", "_") + "_response"


def authenticate(
    params: Mapping[str, str],
    python_codec: str,
    apps: AppRegistry,
    methods: Collection[str],
    now: Callable[[], float],
    timestamp_tolerance: float | None,
    resolve_token: Callable[[str, str], str] | None = None,
) -> GatewayRequest:
    method = params.get("method", "")
    if not method:
        raise missing("isv.missing-method", "缺少方法名参数", response_key=ERROR_RESPONSE)
    app_id = params.get("app_id", "")
    if not app_id:
        raise missing("isv.missing-app-id", "缺少appId参数")
    app, key = apps.get(app_id), apps.public_key(app_id)
    if app is None or key is None:
        raise invalid("isv.invalid-app-id", "无效的AppID参数")
    if method not in methods:
        raise invalid("isv.invalid-method", "不存在的方法名", response_key=ERROR_RESPONSE)
    _check_common(params, now(), timestamp_tolerance)
    content = sign_content(params, REQUEST_EXCLUDED)
    if not rsa2_verify(key, content.encode(python_codec, errors="replace"), params["sign"]):
        raise invalid("isv.invalid-signature", INVALID_SIGNATURE + content)
    authorizer = _authorizer(params.get("app_auth_token", ""), app, apps, resolve_token)
    biz = _biz_content(params.get("biz_content"))
    return GatewayRequest(dict(params), app, method, python_codec, biz, authorizer)


def _authorizer(
    token: str, app: SandboxApp, apps: AppRegistry, resolve: Callable[[str, str], str] | None
) -> SandboxApp | None:
    if not token:
        return None
    if resolve is None:  # a gateway without third-party authorization (the app order page)
        raise GatewayError(
            "20001", "Insufficient Token Permissions", "aop.invalid-app-auth-token", "无效的应用授权令牌"
        )
    owner = apps.get(resolve(app.app_id, token))
    if owner is None:
        raise GatewayError(
            "20001", "Insufficient Token Permissions", "aop.invalid-app-auth-token", "无效的应用授权令牌"
        )
    return owner


def _check_common(params: Mapping[str, str], now: float, tolerance: float | None) -> None:
    if codec(params.get("charset")) is None:
        raise invalid("isv.invalid-charset", "字符集错误")
    if params.get("format", "JSON").upper() != "JSON":
        raise invalid("isv.invalid-format", "无效的数据格式")
    if not params.get("sign"):
        raise missing("isv.missing-signature", "缺少签名参数")
    sign_type = params.get("sign_type", "")
    if not sign_type:
        raise missing("isv.missing-signature-type", "缺少签名类型参数")
    if sign_type == "RSA":  # the key pair is RSA2-only, as for every app created since 2018
        raise invalid("isv.invalid-signature", "验签出错，应用未配置对应签名算法的公钥或者证书")
    if sign_type != "RSA2":
        raise invalid("isv.invalid-signature-type", "无效的签名类型")
    _check_timestamp(params.get("timestamp", ""), now, tolerance)
    version = params.get("version", "")
    if not version:
        raise missing("isv.missing-version", "缺少版本参数")
    if version != "1.0":
        raise invalid_parameter("参数无效：version只支持1.0")


def _check_timestamp(timestamp: str, now: float, tolerance: float | None) -> None:
    if not timestamp:
        raise missing("isv.missing-timestamp", "缺少时间戳参数")
    sent_at = parse_alipay_time(timestamp)
    if sent_at is None or (tolerance is not None and abs(now - sent_at) > tolerance):
        raise invalid("isv.invalid-timestamp", "非法的时间戳参数")


def _biz_content(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        # numbers keep their literal text: an amount sent as 88.8 stays "88.8" (and is refused)
        content = json.loads(raw, parse_float=str, parse_int=str)
    except json.JSONDecodeError as exc:
        raise invalid_parameter("参数无效：biz_content不是合法的JSON") from exc
    if not isinstance(content, dict):
        raise invalid_parameter("参数无效：biz_content必须是JSON对象")
    return content
