"""Choosing channel accounts for a payment: eligible for the method and merchant, enabled, by
priority tier, spread by weight within a tier, with accounts whose circuit breaker is open
moved behind the healthy ones. The result is the fallback order."""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

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


def _weighted_order(tier: list[ChannelAccount], rng: random.Random) -> list[ChannelAccount]:
    """Weighted sampling without replacement: the first pick follows the weights exactly."""
    remaining, ordered = list(tier), []
    while remaining:
        pick = rng.choices(remaining, weights=[a.weight for a in remaining], k=1)[0]
        ordered.append(pick)
        remaining.remove(pick)
    return ordered


@dataclass
class CircuitBreaker:
    """Per container and per account: open after `min_calls` calls in `window` seconds of which
    at least `failure_ratio` failed; after `cooldown` seconds one call is let through (half-open)
    and its outcome closes or re-opens the breaker. Each Lambda container learns on its own,
    which costs nothing and converges within a few calls."""

    window: float = 60.0
    min_calls: int = 5
    failure_ratio: float = 0.5
    cooldown: float = 30.0
    _calls: dict[str, deque[tuple[float, bool]]] = field(default_factory=dict)
    _opened_at: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, account_id: str, ok: bool, now: float) -> None:
        with self._lock:
            calls = self._calls.setdefault(account_id, deque())
            calls.append((now, ok))
            while calls and calls[0][0] < now - self.window:
                calls.popleft()
            if ok and account_id in self._opened_at:
                del self._opened_at[account_id]  # the half-open probe succeeded
                calls.clear()
                return
            failures = sum(1 for _, good in calls if not good)
            if not ok and len(calls) >= self.min_calls and failures >= self.failure_ratio * len(calls):
                self._opened_at[account_id] = now
            elif not ok and account_id in self._opened_at:
                self._opened_at[account_id] = now  # the probe failed: stay open

    def allows(self, account_id: str, now: float) -> bool:
        with self._lock:
            opened = self._opened_at.get(account_id)
            return opened is None or now - opened >= self.cooldown


def rank_accounts(
    accounts: Sequence[ChannelAccount],
    method: str,
    merchant_id: str,
    breaker: CircuitBreaker,
    now: float,
    rng: random.Random | None = None,
) -> list[ChannelAccount]:
    """Every usable account, best first. Open-breaker accounts come last rather than never, so
    a total outage still probes instead of refusing everything."""
    candidates = eligible(accounts, method, merchant_id)
    if not candidates:
        raise ChannelUnavailable(f"no enabled channel account offers {method}")
    chooser = rng or random.SystemRandom()
    ordered: list[ChannelAccount] = []
    for priority in sorted({a.priority for a in candidates}):
        ordered += _weighted_order([a for a in candidates if a.priority == priority], chooser)
    return [a for a in ordered if breaker.allows(a.account_id, now)] + [
        a for a in ordered if not breaker.allows(a.account_id, now)
    ]


def choose_account(
    accounts: Sequence[ChannelAccount], method: str, merchant_id: str, rng: random.Random | None = None
) -> ChannelAccount:
    return rank_accounts(accounts, method, merchant_id, CircuitBreaker(), 0.0, rng)[0]
