"""Request bodies of the merchant API (pydantic at the boundary); errors become 422 with
field-level details."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from paymux.domain.methods import MAX_FALLBACK_METHODS, METHODS, can_replace
from paymux.errors import ValidationFailed

MAX_EXPIRES_IN = 7 * 24 * 3600


class Payer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    openid: str | None = Field(None, min_length=1, max_length=128)
    client_ip: str | None = Field(None, min_length=3, max_length=45)
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


class CreatePaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(gt=0, strict=True, description="integer number of fen")
    currency: str = Field(description="ISO 4217; only CNY is supported")
    method: str = Field(description="channel product, e.g. wechat.native")
    fallback_methods: list[str] = Field(
        default_factory=list,
        max_length=MAX_FALLBACK_METHODS,
        description="methods of the same family (e.g. alipay.qr for wechat.native) that may be used, "
        "in this order, when no account of `method` can take the payment",
    )
    subject: str = Field(min_length=1, max_length=127)
    merchant_order_no: str = Field(pattern=r"^[0-9A-Za-z_\-*|@.]{1,64}$")
    notify_url: str = Field(min_length=8, max_length=256)
    return_url: str = Field("", max_length=512)
    description: str = Field("", max_length=255)
    expires_in: int | None = Field(None, ge=60, le=MAX_EXPIRES_IN, strict=True)
    payer: Payer = Field(default_factory=Payer)
    metadata: dict[str, str] = Field(default_factory=dict)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value != "CNY":
            raise ValueError(f"unsupported currency {value!r}; supported: CNY")
        return value

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value not in METHODS:
            raise ValueError(f"unsupported method {value!r}; supported: {', '.join(METHODS)}")
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
        if len(value) > 20 or any(len(k) > 40 or len(v) > 500 for k, v in value.items()):
            raise ValueError("metadata takes at most 20 keys of ≤ 40 characters, values ≤ 500")
        return value


class CreateRefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(gt=0, strict=True, description="integer number of fen")
    merchant_refund_no: str = Field(pattern=r"^[0-9A-Za-z_\-*|@.]{1,64}$")
    reason: str = Field("", max_length=80)


def parse_body[M: BaseModel](model: type[M], body: bytes) -> M:
    try:
        raw: Any = json.loads(body or b"{}")
    except ValueError as exc:
        raise ValidationFailed("the body is not valid JSON") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]}
            for err in exc.errors()
        ]
        raise ValidationFailed("the request body is invalid", details=details) from exc
