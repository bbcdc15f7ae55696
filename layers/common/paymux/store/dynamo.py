"""Marshalling between Python values and DynamoDB attribute values, and condition helpers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

_ATTR = dict[str, Any]


def to_attr(value: Any) -> _ATTR:  # noqa: PLR0911 - one branch per attribute type
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, float):
        return {"N": repr(value)}
    if isinstance(value, Decimal):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {str(k): to_attr(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attr(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__}")


def from_attr(attr: _ATTR) -> Any:
    ((kind, value),) = attr.items()
    if kind == "S":
        return value
    if kind == "N":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: from_attr(v) for k, v in value.items()}
    if kind == "L":
        return [from_attr(v) for v in value]
    raise TypeError(f"unsupported attribute type {kind}")


def to_item(values: dict[str, Any]) -> dict[str, _ATTR]:
    return {k: to_attr(v) for k, v in values.items() if v is not None}


def from_item(item: dict[str, _ATTR]) -> dict[str, Any]:
    return {k: from_attr(v) for k, v in item.items()}


def cancellation_codes(exc: Exception) -> list[str]:
    """The per-item reasons of a cancelled transaction ("ConditionalCheckFailed", "None" …)."""
    response = getattr(exc, "response", {}) or {}
    reasons = response.get("CancellationReasons") or []
    return [str(r.get("Code", "None")) for r in reasons]


def query_all(client: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item of a Query, following LastEvaluatedKey, as plain Python values."""
    items: list[dict[str, Any]] = []
    while True:
        page = client.query(**kwargs)
        items.extend(from_item(i) for i in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
