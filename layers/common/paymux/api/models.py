"""Request bodies of the merchant API (pydantic at the boundary); errors become 422 with
field-level details."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from paymux.api.media import decode_body
from paymux.domain.ids import MERCHANT_ORDER_NO
from paymux.domain.methods import MAX_FALLBACK_METHODS, METHODS, REQUESTABLE_METHODS, can_replace
from paymux.errors import ValidationFailed

if TYPE_CHECKING:
    from paymux.api.http import Request

MAX_EXPIRES_IN = 7 * 24 * 3600
# 100,000,000 yuan: Alipay's largest total_amount, far above WeChat's and any app's max_amount.
MAX_AMOUNT = 10_000_000_000
ORDER_NO = f"^{MERCHANT_ORDER_NO.pattern}$"
# Text sent on to a channel: no control characters (no channel takes them in a description).
TEXT = r"^[^\x00-\x1f\x7f]*$"
METADATA_KEY = r"^[^\x00-\x1f\x7f]{1,40}$"
# An absolute URL: scheme, host name, optional port and the rest (printable ASCII). This is the
# syntax only: outside the local stack paymux.services.urls also wants https and a public host
# (422 "not allowed" otherwise).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
URL = rf"https?://{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?(?:[/?#][\x21-\x7e]*)?"
_METADATA_KEY = re.compile(METADATA_KEY)


def _ip_address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError("must be an IPv4 or IPv6 address") from None


IpAddress = Annotated[
    str,
    AfterValidator(_ip_address),
    WithJsonSchema({"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}], "maxLength": 45}),
]


def supported_currency(value: str) -> str:
    """The currency field's check, shared by every request that names one (CNY only today)."""
    if value != "CNY":
        raise ValueError(f"unsupported currency {value!r}; supported: CNY")
    return value


class Payer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    openid: str | None = Field(
        None,
        pattern=r"^[0-9A-Za-z_\-]{1,128}$",
        description=(
            "WeChat Pay JSAPI / mini program: the payer's openid in the app the payment runs in. "
            "At the merchant's own account that is its appid; through a service-provider binding "
            "it is the sub-merchant's sub_appid when the binding has one (sent as sub_openid), "
            "else the provider's sp_appid (sent as sp_openid). Alipay JSAPI (alipay.jsapi): the "
            "payer's open_id in the app (sent as buyer_open_id), or for an app made before open_id "
            "its user_id, 2088 and 12 digits (sent as buyer_id); the same for an Alipay mini program "
            "(alipay.mini_program), its id from my.getAuthCode and alipay.system.oauth.token"
        ),
    )
    client_ip: IpAddress | None = None
    buyer_id: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="the payer's id at the merchant or the channel; keys per-payer limits only",
    )
    card_token: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="a token of the payer's card (never the card number); keys per-payer limits only",
    )
    h5_type: Literal["iOS", "Android", "Wap"] | None = None
    auth_code: str | None = Field(
        None,
        pattern=r"^[0-9]{10,32}$",
        description="barcode, wechat.barcode, alipay.barcode, unionpay.barcode, ecny.barcode: the "
        "payment code the payer shows (付款码; sent as WeChat's and Alipay's auth_code, UnionPay's "
        "qrNo, Huifu's auth_code), read by the merchant's scanner (single use: kept with the payment "
        "only to send it, never shown). With method `barcode` its digits pick the wallet: WeChat Pay "
        "18 digits starting 10-15, Alipay 16-24 digits starting 25-30, UnionPay 19 digits starting "
        "62, e-CNY 19 digits starting 01; any other is a 422 payer_code_unrecognized",
    )


class CreatePaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(gt=0, le=MAX_AMOUNT, strict=True, description="integer number of fen")
    currency: str = Field(description="ISO 4217; only CNY is supported")
    method: str = Field(
        description="channel product, e.g. wechat.native; or `barcode`: the wallet of payer.auth_code "
        "(the payment records the product it picked)"
    )
    fallback_methods: list[str] = Field(
        default_factory=list,
        max_length=MAX_FALLBACK_METHODS,
        description="methods of the same family (e.g. alipay.qr for wechat.native) that may be used, "
        "in this order, when no account of `method` can take the payment",
    )
    subject: str = Field(
        min_length=1,
        max_length=127,
        pattern=TEXT,
        description="at most 127 characters, and within the routed channels' limits "
        "(WeChat Pay: 127 UTF-8 bytes, e.g. 42 Chinese characters); see docs/channels.md",
    )
    merchant_order_no: str = Field(pattern=ORDER_NO)
    notify_url: str = Field(min_length=8, max_length=256, pattern=f"^{URL}$")
    return_url: str = Field("", max_length=512, pattern=f"^(?:{URL})?$")
    description: str = Field("", max_length=255, pattern=TEXT)
    expires_in: int | None = Field(None, ge=60, le=MAX_EXPIRES_IN, strict=True)
    payer: Payer = Field(default_factory=Payer)
    metadata: dict[str, str] = Field(default_factory=dict)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return supported_currency(value)

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value not in REQUESTABLE_METHODS:
            raise ValueError(f"unsupported method {value!r}; supported: {', '.join(REQUESTABLE_METHODS)}")
        return value

    @field_validator("fallback_methods")
    @classmethod
    def _fallbacks(cls, value: list[str], info: ValidationInfo) -> list[str]:
        method = info.data.get("method")
        if method is None:
            return value  # `method` itself is invalid and reported
        if len(set(value)) != len(value):
            raise ValueError("fallback_methods has duplicates")
        for fallback in value:
            if not can_replace(method, fallback):
                same = [m for m in METHODS if can_replace(method, m)]
                raise ValueError(
                    f"{fallback!r} cannot replace {method!r} "
                    f"(same-family alternatives: {', '.join(same) or 'none'})"
                )
        return value

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, value: dict[str, str]) -> dict[str, str]:
        keys_ok = all(_METADATA_KEY.fullmatch(k) for k in value)
        if len(value) > 20 or not keys_ok or any(len(v) > 500 for v in value.values()):
            raise ValueError(
                "metadata takes at most 20 keys of 1-40 characters (no control characters), values ≤ 500"
            )
        return value


class CreateRefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(gt=0, le=MAX_AMOUNT, strict=True, description="integer number of fen")
    merchant_refund_no: str = Field(pattern=ORDER_NO)
    reason: str = Field(
        "",
        max_length=80,
        pattern=TEXT,
        description="at most 80 characters, and within the payment's channel's limits "
        "(WeChat Pay: 80 UTF-8 bytes); see docs/channels.md",
    )


def parse_body[M: BaseModel](model: type[M], request: Request) -> M:
    """The request's body as `model`: 422 with one {field, message} per problem."""
    raw: Any = decode_body(request.header("content-type"), request.body, {})
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]}
            for err in exc.errors()
        ]
        raise ValidationFailed("the request body is invalid", details=details) from exc
