"""Identifiers: time-ordered, unguessable, and acceptable to every channel's order-number rules
(WeChat 6–32 [0-9A-Za-z_-*], Alipay ≤ 64, UnionPay 8–40 alphanumeric)."""

from __future__ import annotations

import re
import secrets

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
ULID_PATTERN = "[0-9A-HJKMNP-TV-Z]{26}"
# What an id paymux issued looks like; anything else (an id with a `/` in it, say) names nothing.
PAYMENT_ID = re.compile(f"pay_{ULID_PATTERN}")
REFUND_ID = re.compile(f"re_{ULID_PATTERN}")
EVENT_ID = re.compile(f"evt_{ULID_PATTERN}")
# The merchant's own order and refund numbers.
MERCHANT_ORDER_NO = re.compile(r"[0-9A-Za-z_\-*|@.]{1,64}")


def _base32(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        out.append(_ALPHABET[rem])
    return "".join(reversed(out))


def ulid(now: float) -> str:
    """26 characters: 48 bits of milliseconds then 80 random bits."""
    return _base32(int(now * 1000), 10) + _base32(secrets.randbits(80), 16)


def ulid_time(identifier: str) -> float | None:
    """The time (seconds, to the millisecond) an id paymux issued was made at, from its ULID's
    first 10 characters; None for anything else. A payment id's is its created_at."""
    tail = identifier.rpartition("_")[2]
    if len(tail) != 26 or any(c not in _ALPHABET for c in tail):
        return None
    millis = 0
    for c in tail[:10]:
        millis = millis * 32 + _ALPHABET.index(c)
    return millis / 1000


def new_payment_id(now: float) -> str:
    return "pay_" + ulid(now)


def new_refund_id(now: float) -> str:
    return "re_" + ulid(now)


def new_event_id(now: float) -> str:
    return "evt_" + ulid(now)


def attempt_out_trade_no(payment_id: str, attempt: int) -> str:
    """The order number a channel sees for one attempt: the payment's ULID plus a 2-digit
    attempt number, 28 alphanumeric characters."""
    if not 1 <= attempt <= 99:
        raise ValueError("attempt must be 1..99")
    return payment_id.removeprefix("pay_") + f"{attempt:02d}"
