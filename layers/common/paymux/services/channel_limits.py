"""Text a channel would refuse is refused here first, with field details, before anything is
written: a payment must never become FAILED (or a refund be lost) because its subject or
reason is longer than a channel takes. The limits are declared by each channel
(`create_limits`, `refund_limits`, from its transform) and checked for every method the payment
may be routed to, fallbacks included, and, for a refund, for the channel that took the payment."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from paymux.channels.base import TextLimit
from paymux.channels.registry import channel_class, provider_classes
from paymux.errors import ValidationFailed


def check_create_limits(request: Any, methods: Sequence[str]) -> None:
    """`request` is a CreatePaymentRequest; every method in `methods` may receive it."""
    problems: list[dict[str, str]] = []
    for method in methods:
        for cls in provider_classes(method):
            problems += _problems(request, cls.create_limits, f"{method} ({cls.provider})")
    _raise(problems)


def check_refund_limits(request: Any, provider: str) -> None:
    """`request` is a CreateRefundRequest for a payment taken by `provider`."""
    cls = channel_class(provider)
    _raise(_problems(request, cls.refund_limits, cls.provider))


def _problems(request: Any, limits: Iterable[TextLimit], where: str) -> list[dict[str, str]]:
    problems = []
    for limit in limits:
        text = _value(request, limit.field)
        if isinstance(text, str) and limit.size(text) > limit.maximum:
            problems.append(
                {
                    "field": limit.field,
                    "message": f"{where} takes at most {limit.maximum} {limit.unit} in "
                    f"{limit.channel_field}; this is {limit.size(text)} {limit.unit}",
                }
            )
    return problems


def _value(request: Any, path: str) -> Any:
    value = request
    for part in path.split("."):
        value = getattr(value, part, None)
    return value


def _raise(problems: list[dict[str, str]]) -> None:
    if problems:
        unique = list({(p["field"], p["message"]): p for p in problems}.values())
        raise ValidationFailed("text too long for the channel", details=unique)


def check_refund_window(provider: str, paid_at: float | None, now: float) -> None:
    """A channel that refunds only for a while after payment (`refund_window_seconds`, e.g.
    UnionPay's 11 months) is not asked after it: a typed 422 before anything is written."""
    window = getattr(channel_class(provider), "refund_window_seconds", None)
    if window is not None and paid_at is not None and now - paid_at > window:
        days = int(window // 86400)
        raise ValidationFailed(
            "refund period over",
            details=[{"field": "amount", "message": f"{provider} refunds within {days} days of payment"}],
        )
