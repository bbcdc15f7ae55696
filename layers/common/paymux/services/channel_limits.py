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
