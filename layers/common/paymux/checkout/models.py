"""The checkout session's request body, its public shape and its id grammar."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from paymux.api.models import ORDER_NO, TEXT, URL, supported_currency
from paymux.api.resources import IsoTime
from paymux.clock import iso
from paymux.domain.ids import ULID_PATTERN
from paymux.store.checkout_sessions import CheckoutSession

SESSION_ID = re.compile(f"cs_{ULID_PATTERN}")
MIN_EXPIRES_IN = 30 * 60
MAX_EXPIRES_IN = 24 * 3600
DEFAULT_EXPIRES_IN = 3600
# The methods a web page can start: QR codes, redirects and forms, and JSAPI inside WeChat or
# Alipay. An app SDK call, a mini program or the payer's own code (scanned by the merchant)
# cannot be.
PAGE_METHODS: tuple[str, ...] = (
    "wechat.native",
    "alipay.qr",
    "unionpay.qr",
    "wechat.jsapi",
    "alipay.jsapi",
    "wechat.h5",
    "alipay.wap",
    "unionpay.wap",
    "alipay.page",
    "unionpay.gateway",
)


class CreateCheckoutSessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(gt=0, le=10_000_000_000, strict=True, description="integer number of fen")
    currency: str = Field(description="ISO 4217; only CNY is supported")
    subject: str = Field(min_length=1, max_length=127, pattern=TEXT)
    merchant_order_no: str = Field(pattern=ORDER_NO, description="unique per merchant: one session per order")
    notify_url: str = Field(
        min_length=8,
        max_length=256,
        pattern=f"^{URL}$",
        description="receives checkout.session.completed / .expired and the payments' notifications",
    )
    return_url: str = Field(
        min_length=8,
        max_length=512,
        pattern=f"^{URL}$",
        description="where 'back to the merchant' goes, with a signed query (docs/checkout.md)",
    )
    methods: list[str] = Field(
        min_length=1,
        max_length=len(PAGE_METHODS),
        description="the methods the payer may choose from (each also enabled for the app)",
    )
    expires_in: int = Field(
        DEFAULT_EXPIRES_IN, ge=MIN_EXPIRES_IN, le=MAX_EXPIRES_IN, strict=True, description="seconds"
    )

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return supported_currency(value)

    @field_validator("methods")
    @classmethod
    def _methods(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("methods has duplicates")
        unknown = [m for m in value if m not in PAGE_METHODS]
        if unknown:
            raise ValueError(
                f"not a checkout method: {', '.join(unknown)}; supported: {', '.join(PAGE_METHODS)}"
            )
        return value


def session_public(session: CheckoutSession) -> dict[str, Any]:
    return {
        "id": session.session_id,
        "object": "checkout_session",
        "url": session.url,
        "status": session.status,
        "amount": session.amount,
        "currency": session.currency,
        "subject": session.subject,
        "merchant_order_no": session.merchant_order_no,
        "methods": list(session.methods),
        "return_url": session.return_url,
        "payment_id": session.payment_id or None,
        "created_at": iso(session.created_at),
        "expires_at": iso(session.expires_at),
        "completed_at": iso(session.completed_at) if session.completed_at else None,
    }


class CheckoutSessionResource(BaseModel):
    """What POST and GET /v1/checkout/sessions answer (`session_public`), and the data object
    of the checkout.session.completed and checkout.session.expired notifications."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(pattern=f"^{SESSION_ID.pattern}$")
    object: Literal["checkout_session"]
    url: str = Field(description="the hosted page on paymux's domain: send the payer here")
    status: Literal["open", "completed", "expired"]
    amount: int
    currency: str
    subject: str
    merchant_order_no: str
    methods: list[str]
    return_url: str
    payment_id: str | None = Field(
        description="the payment that paid it (completed), else the current attempt"
    )
    created_at: IsoTime
    expires_at: IsoTime
    completed_at: IsoTime | None
