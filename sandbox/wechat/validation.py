"""Request body rules (required fields, types, byte lengths, patterns) and WeChat's
``PARAM_ERROR`` messages, e.g. ``输入源“/body/amount/total”映射到值字段“总金额”必填性规则校验失败，
此字段为必填项`` with ``detail: {"location": "body", "value": …}``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sandbox.wechat.errors import ApiError, param_error

OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-*]+")
OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-|*@]+")
BILL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

_KIND_NAMES: dict[type, str] = {
    str: "string",
    int: "integer",
    bool: "boolean",
    dict: "object",
    list: "array",
}


@dataclass(frozen=True)
class Rule:
    """One field: ``path`` is slash-separated (``amount/total``); lengths are UTF-8 bytes for
    strings and values for integers."""

    path: str
    label: str
    kind: type
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None
    pattern: re.Pattern[str] | None = None


def _lookup(body: dict[str, Any], path: str) -> Any:
    node: Any = body
    for part in path.split("/"):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _is_kind(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _check(rule: Rule, value: Any, location: str) -> None:
    source = f"输入源“/{location}/{rule.path}”映射到值字段“{rule.label}”"
    if not _is_kind(value, rule.kind):
        raise param_error(
            f"{source}类型规则校验失败，应为{_KIND_NAMES[rule.kind]}类型",
            location=location,
            value=value,
        )
    if rule.kind is str:
        size, what = len(value.encode("utf-8")), "字符串规则校验失败，字节数"
    elif rule.kind is int:
        size, what = value, "整数规则校验失败，值"
    else:
        return
    if rule.minimum is not None and size < rule.minimum:
        raise param_error(f"{source}{what} {size}，小于最小值 {rule.minimum}", location=location)
    if rule.maximum is not None and size > rule.maximum:
        raise param_error(f"{source}{what} {size}，大于最大值 {rule.maximum}", location=location)
    if rule.pattern is not None and not rule.pattern.fullmatch(value):
        raise param_error(f"{source}字符串规则校验失败，字符串不符合格式要求", location=location, value=value)


def validate(body: dict[str, Any], rules: tuple[Rule, ...], location: str = "body") -> None:
    for rule in rules:
        value = _lookup(body, rule.path)
        if value is None:
            if rule.required:
                raise param_error(
                    f"输入源“/{location}/{rule.path}”映射到值字段“{rule.label}”"
                    "必填性规则校验失败，此字段为必填项",
                    location=location,
                )
            continue
        _check(rule, value, location)


ORDER_RULES: tuple[Rule, ...] = (
    Rule("appid", "应用ID", str, required=True, minimum=1, maximum=32),
    Rule("mchid", "直连商户号", str, required=True, minimum=1, maximum=32),
    Rule("description", "商品描述", str, required=True, minimum=1, maximum=127),
    Rule("out_trade_no", "商户订单号", str, True, 6, 32, OUT_TRADE_NO),
    Rule("time_expire", "交易结束时间", str, maximum=64),
    Rule("attach", "附加数据", str, maximum=128),
    Rule("notify_url", "通知地址", str, required=True, minimum=1, maximum=256),
    Rule("goods_tag", "订单优惠标记", str, maximum=32),
    Rule("support_fapiao", "电子发票入口开放标识", bool),
    Rule("amount", "订单金额", dict, required=True),
    Rule("amount/total", "总金额", int, required=True, minimum=1),
    Rule("amount/currency", "货币类型", str, maximum=16),
    Rule("payer", "支付者", dict),
    Rule("detail", "优惠功能", dict),
    Rule("scene_info", "场景信息", dict),
    Rule("scene_info/device_id", "商户端设备号", str, maximum=32),
    Rule("settle_info", "结算信息", dict),
)

PRODUCT_RULES: dict[str, tuple[Rule, ...]] = {
    "NATIVE": (),
    "APP": (),
    "JSAPI": (
        Rule("payer", "支付者", dict, required=True),
        Rule("payer/openid", "用户标识", str, required=True, minimum=1, maximum=128),
    ),
    "MWEB": (
        Rule("scene_info", "场景信息", dict, required=True),
        Rule("scene_info/payer_client_ip", "用户终端IP", str, True, 1, 45),
        Rule("scene_info/h5_info", "H5场景信息", dict, required=True),
        Rule("scene_info/h5_info/type", "场景类型", str, required=True, minimum=1, maximum=32),
    ),
}

REFUND_RULES: tuple[Rule, ...] = (
    Rule("out_refund_no", "商户退款单号", str, True, 1, 64, OUT_REFUND_NO),
    Rule("transaction_id", "微信支付订单号", str, maximum=32),
    Rule("out_trade_no", "商户订单号", str, False, 6, 32, OUT_TRADE_NO),
    Rule("reason", "退款原因", str, maximum=80),
    Rule("notify_url", "退款结果回调url", str, maximum=256),
    Rule("funds_account", "退款资金来源", str, maximum=32),
    Rule("amount", "金额信息", dict, required=True),
    Rule("amount/refund", "退款金额", int, required=True, minimum=1),
    Rule("amount/total", "原订单金额", int, required=True, minimum=1),
    Rule("amount/currency", "退款币种", str, required=True, minimum=1, maximum=16),
    Rule("goods_detail", "退款商品", list),
)


def check_currency(currency: str, field: str) -> None:
    if currency != "CNY":
        raise param_error(f"{field}取值不合法，只支持CNY", location="body", value=currency)


def check_notify_url(url: str, field: str, *, require_https: bool) -> None:
    parts = urlsplit(url)
    allowed = ("https",) if require_https else ("https", "http")
    if parts.scheme not in allowed or not parts.hostname:
        raise param_error(f"{field}格式不正确，请填写以https开头的完整URL", location="body")
    if parts.query:
        raise param_error(f"{field}不允许携带查询串", location="body", value=url)


def check_time_expire(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise param_error("time_expire时间格式错误，请使用RFC3339格式", location="body") from exc
    if moment.tzinfo is None:
        raise param_error("time_expire时间格式错误，请使用RFC3339格式", location="body")
    return moment


def require_query(query: dict[str, str], name: str, label: str) -> str:
    value = query.get(name, "")
    if not value:
        raise param_error(
            f"输入源“/query/{name}”映射到值字段“{label}”必填性规则校验失败，此字段为必填项",
            location="query",
        )
    return value


def check_mchid_matches(authenticated: str, given: str) -> None:
    if given != authenticated:
        raise ApiError(400, "PARAM_ERROR", "http header中的mchid与post payload中的mchid不匹配")
