"""Typed models of paymux's resources (docs/openapi.json). Unknown fields are tolerated: a field
a newer paymux adds is kept in `extra`, and `raw` is the object exactly as answered; `model[name]`
reads `raw` too, so code written against plain dicts keeps working."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

M = TypeVar("M", bound="Model")


@dataclass
class Model:
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    NESTED: ClassVar[dict[str, Any]] = {}

    @classmethod
    def from_dict(cls: type[M], data: dict[str, Any]) -> M:
        known = {f.name for f in dataclasses.fields(cls)} - {"extra", "raw"}
        values = {name: _nested(cls.NESTED.get(name), data[name]) for name in known if name in data}
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**values, extra=extra, raw=data)

    def __getitem__(self, name: str) -> Any:
        return self.raw[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.raw.get(name, default)


def _nested(kind: Any, value: Any) -> Any:
    if kind is None or value is None:
        return value
    if isinstance(value, list):
        return [_nested(kind, item) for item in value]
    if callable(kind) and not isinstance(kind, type):
        return kind(value)
    return kind.from_dict(value) if isinstance(value, dict) else value


@dataclass
class Payment(Model):
    id: str = ""
    object: str = "payment"
    merchant_order_no: str = ""
    amount: int = 0
    currency: str = ""
    method: str = ""
    status: str = ""
    subject: str = ""
    description: str | None = None
    amount_refunded: int = 0
    amount_refundable: int = 0
    created_at: str = ""
    expires_at: str | None = None
    paid_at: str | None = None
    closed_at: str | None = None
    channel: dict[str, Any] | None = None
    action: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    automatic_refunds: list[Any] = field(default_factory=list)
    version: int | None = None


@dataclass
class Refund(Model):
    id: str = ""
    object: str = "refund"
    payment_id: str = ""
    merchant_refund_no: str = ""
    amount: int = 0
    currency: str = ""
    reason: str | None = None
    status: str = ""
    channel_refund_no: str | None = None
    created_at: str = ""
    succeeded_at: str | None = None
    reissued_to: str | None = None
    failure: dict[str, Any] | None = None


@dataclass
class CheckoutSession(Model):
    id: str = ""
    object: str = "checkout.session"
    url: str = ""
    status: str = ""
    amount: int = 0
    currency: str = ""
    subject: str = ""
    merchant_order_no: str = ""
    methods: list[str] = field(default_factory=list)
    return_url: str = ""
    payment_id: str | None = None
    created_at: str = ""
    expires_at: str = ""
    completed_at: str | None = None


def _object(value: dict[str, Any]) -> Any:
    kinds: dict[str, type[Model]] = {
        "payment": Payment,
        "refund": Refund,
        "checkout.session": CheckoutSession,
    }
    kind = kinds.get(str(value.get("object", "")))
    return kind.from_dict(value) if kind else value


@dataclass
class EventData(Model):
    object: Any = None
    NESTED: ClassVar[dict[str, Any]] = {"object": _object}


@dataclass
class Event(Model):
    """A notification's body (what construct_event returns): process each id once."""

    id: str = ""
    type: str = ""
    created: int = 0
    data: EventData | None = None
    NESTED: ClassVar[dict[str, Any]] = {"data": EventData}


@dataclass
class PaymentEvent(Model):
    """One entry of a payment's audit trail (payments.events)."""

    id: str = ""
    object: str = ""
    type: str = ""
    actor: str = ""
    from_status: str | None = None
    to_status: str = ""
    refund_id: str | None = None
    at: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class NotificationAttempt(Model):
    attempt: int = 0
    at: str = ""
    status_code: int | None = None
    latency_ms: float | None = None
    error: str | None = None
    retry_in: int | None = None


@dataclass
class Notification(Model):
    id: str = ""
    object: str = "notification"
    type: str = ""
    payment_id: str = ""
    notify_url: str = ""
    status: str = ""
    created_at: str = ""
    attempts: list[NotificationAttempt] = field(default_factory=list)
    event: Event | None = None
    NESTED: ClassVar[dict[str, Any]] = {"attempts": NotificationAttempt, "event": Event}
