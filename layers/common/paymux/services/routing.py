"""Choosing the channel account for a payment: eligible for the method and merchant, enabled,
best priority, spread by weight."""

from __future__ import annotations

import random
from collections.abc import Sequence

from paymux.channels.base import ChannelAccount
from paymux.errors import ChannelUnavailable


def eligible(accounts: Sequence[ChannelAccount], method: str, merchant_id: str) -> list[ChannelAccount]:
    return [
        a
        for a in accounts
        if a.enabled
        and a.weight > 0
        and method in a.products
        and (not a.merchants or merchant_id in a.merchants)
    ]


def choose_account(
    accounts: Sequence[ChannelAccount],
    method: str,
    merchant_id: str,
    rng: random.Random | None = None,
) -> ChannelAccount:
    candidates = eligible(accounts, method, merchant_id)
    if not candidates:
        raise ChannelUnavailable(f"no enabled channel account offers {method}")
    best = min(a.priority for a in candidates)
    tier = [a for a in candidates if a.priority == best]
    chooser = rng or random.SystemRandom()
    return chooser.choices(tier, weights=[a.weight for a in tier], k=1)[0]
