"""Per-payer daily limits, a merchant app's risk setting: how many payments, and how much money,
one payer may start with the app's merchant per Asia/Shanghai day. The payer is known by the
first configured identifier the create request carries (openid, buyer id, card token or client
IP); only a digest of it is ever stored. Pure: the counter itself lives in `store.payer_limits`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from paymux.clock import CHINA
from paymux.errors import PayerLimitExceeded, ValidationFailed

PAYER_KEY_KINDS = ("openid", "buyer_id", "card_token", "client_ip")
# Identifiers that only key the limits: no channel needs them, so the payment never keeps them.
LIMIT_ONLY_KINDS = frozenset({"buyer_id", "card_token"})
DAYS_KEPT = 2  # a counter expires this many days after its day ends
COUNTER_PREFIX = "PAYERDAY#"


@dataclass(frozen=True, slots=True)
class PayerLimits:
    keys: tuple[str, ...]  # identifier kinds, in order: the first one a request carries counts
    daily_count: int | None = None
    daily_amount: int | None = None  # fen

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> PayerLimits:
        """From the app's configuration, `{"key": "openid" | [kinds…], "daily_count": n,
        "daily_amount": fen}`; raises ValueError naming the problem."""
        unknown = set(raw) - {"key", "daily_count", "daily_amount"}
        if unknown:
            raise ValueError(f"unknown payer_limits fields: {', '.join(sorted(unknown))}")
        key = raw.get("key")
        keys = (key,) if isinstance(key, str) else tuple(key or ())
        if not keys or any(k not in PAYER_KEY_KINDS for k in keys) or len(set(keys)) != len(keys):
            raise ValueError(f"payer_limits.key: one or more distinct of {', '.join(PAYER_KEY_KINDS)}")
        limits = {name: raw.get(name) for name in ("daily_count", "daily_amount")}
        for name, value in limits.items():
            if value is not None and (type(value) is not int or value < 1):
                raise ValueError(f"payer_limits.{name} must be a positive integer")
        if all(v is None for v in limits.values()):
            raise ValueError("payer_limits needs daily_count, daily_amount or both")
        return cls(keys, limits["daily_count"], limits["daily_amount"])

    def to_config(self) -> dict[str, Any]:
        return {"key": list(self.keys), "daily_count": self.daily_count, "daily_amount": self.daily_amount}


@dataclass(frozen=True, slots=True)
class PayerCharge:
    """What one create takes from its payer's counter of the day."""

    counter: str  # the counter item's PK: PAYERDAY#<merchant>#<kind>#<sha256>#<day>
    amount: int
    daily_count: int | None
    daily_amount: int | None
    expires_at: int  # the counter's TTL (unix seconds)


def counter_key(merchant_id: str, kind: str, identifier: str, day: str) -> str:
    digest = hashlib.sha256(f"{merchant_id}\n{kind}\n{identifier}".encode()).hexdigest()
    return f"{COUNTER_PREFIX}{merchant_id}#{kind}#{digest}#{day}"


def counter_expiry(counter: str) -> int:
    """The TTL of a counter: DAYS_KEPT days after the end of its day (the key's last part)."""
    day = datetime.fromisoformat(counter.rsplit("#", 1)[1]).replace(tzinfo=CHINA)
    return int((day + timedelta(days=1 + DAYS_KEPT)).timestamp())


def payer_charge(
    limits: PayerLimits, merchant_id: str, payer: Mapping[str, str], amount: int, now: float
) -> PayerCharge:
    """The charge of one create; refuses at once what no counter could admit. A request without
    any configured identifier is refused (422): skipping the limit would let a payer bypass it
    by leaving the identifier out."""
    kind = next((k for k in limits.keys if payer.get(k)), None)
    if kind is None:
        raise ValidationFailed(
            "this app's payer limits need a payer identifier",
            details=[{"field": f"payer.{k}", "message": "one of these is required"} for k in limits.keys],
        )
    if limits.daily_amount is not None and amount > limits.daily_amount:
        raise amount_exceeded(limits.daily_amount)
    day = datetime.fromtimestamp(now, CHINA).date().isoformat()
    counter = counter_key(merchant_id, kind, payer[kind], day)
    return PayerCharge(counter, amount, limits.daily_count, limits.daily_amount, counter_expiry(counter))


def count_exceeded(limit: int | None) -> PayerLimitExceeded:
    return PayerLimitExceeded(
        "payer_daily_count_exceeded",
        f"this payer has reached today's limit of {limit} payments with this merchant",
    )


def amount_exceeded(limit: int | None) -> PayerLimitExceeded:
    return PayerLimitExceeded(
        "payer_daily_amount_exceeded",
        f"this payment would take this payer over today's limit of {limit} fen with this merchant",
    )
