"""Choosing routes for a payment. A route is a channel account and, for paymux's
service-provider accounts, the binding it acts for: a merchant's candidates are its own direct
accounts and its enabled bindings, nothing else (funds are never pooled). Eligible for the
method, enabled, by priority tier, spread by weight within a tier, with routes whose circuit
breaker is open moved behind the healthy ones. The result is the fallback order."""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from paymux.channels.base import ChannelAccount
from paymux.errors import ChannelUnavailable
from paymux.store.bindings import Binding


class NoChannelAccount(ChannelUnavailable):
    """No enabled account of the merchant offers the method: a configuration, not an outage, so
    sending the same request again cannot succeed until operators change it."""

    should_retry = False


class Route(NamedTuple):
    """An account, and the binding it acts for when it is a provider-mode account."""

    account: ChannelAccount
    binding: Binding | None = None

    @property
    def key(self) -> str:
        """The circuit breaker's key: a sub-merchant can be refused while the provider works."""
        return self.account.account_id + (f"#{self.binding.binding_id}" if self.binding else "")

    @property
    def weight(self) -> int:
        return min(self.account.weight, 1) * (self.binding.weight if self.binding else self.account.weight)

    @property
    def priority(self) -> int:
        return self.binding.priority if self.binding else self.account.priority

    @property
    def enabled(self) -> bool:
        return self.account.enabled and (self.binding is None or self.binding.enabled)

    @property
    def payer_appid(self) -> str:
        """The app a payer of this route pays in, whose user ids (a WeChat openid, an Alipay
        open_id) the order carries: the binding's sub_appid when it has one, else the account's."""
        return (self.binding.sub_appid if self.binding else "") or self.account.appid

    @property
    def products(self) -> tuple[str, ...]:
        offered = self.account.products
        if self.binding is None or not self.binding.products:
            return offered
        return tuple(p for p in self.binding.products if p in offered)


def account_problem(account: ChannelAccount) -> tuple[str, str] | None:
    """Why an account as configured can take no payment (code, message), or None. An account
    stored before owners existed has none: it would collect every merchant's money."""
    if account.mode == "direct" and not account.owner:
        return (
            "account_owner_required",
            f"direct account {account.account_id} has no owner: set the merchant it belongs to, or "
            "make it a provider account and bind merchants to it (docs/operations.md)",
        )
    if account.mode == "provider" and account.owner:
        return (
            "provider_account_owned",
            f"provider account {account.account_id} has an owner: merchants use it through bindings",
        )
    if account.mode not in ("direct", "provider"):
        return ("account_mode_invalid", f"account {account.account_id} has mode {account.mode!r}")
    return None


def route_problem(route: Route, merchant_id: str) -> str | None:
    """Why `route` is not `merchant_id`'s to use (a message), or None: the one ownership rule,
    for new payments and for every query, close, refund and callback of an attempt."""
    account, binding = route
    problem = account_problem(account)
    if problem is not None:
        return problem[1]
    if binding is None:
        if account.mode != "direct" or account.owner != merchant_id:
            return f"account {account.account_id} is not merchant {merchant_id}'s own account"
        return None
    if account.mode != "provider" or binding.account_id != account.account_id:
        return f"binding {binding.binding_id} is not of provider account {account.account_id}"
    if binding.merchant_id != merchant_id:
        return f"binding {binding.binding_id} is not merchant {merchant_id}'s"
    return None


def candidates(
    accounts: Sequence[ChannelAccount], bindings: Sequence[Binding], merchant_id: str
) -> list[Route]:
    """The merchant's own direct accounts and its bindings (enabled or not), nothing else."""
    by_id = {a.account_id: a for a in accounts}
    routes = [Route(a) for a in accounts if a.mode == "direct"]
    routes += [Route(by_id[b.account_id], b) for b in bindings if b.account_id in by_id]
    return [r for r in routes if route_problem(r, merchant_id) is None]


def eligible(routes: Sequence[Route], method: str) -> list[Route]:
    return [r for r in routes if r.enabled and r.weight > 0 and method in r.products]


def _weighted_order(tier: list[Route], rng: random.Random) -> list[Route]:
    """Weighted sampling without replacement: the first pick follows the weights exactly."""
    remaining, ordered = list(tier), []
    while remaining:
        pick = rng.choices(remaining, weights=[r.weight for r in remaining], k=1)[0]
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


def rank_routes(
    routes: Sequence[Route],
    method: str,
    breaker: CircuitBreaker,
    now: float,
    rng: random.Random | None = None,
) -> list[Route]:
    """Every usable route of `routes` (one merchant's candidates), best first. Open-breaker
    routes come last rather than never, so a total outage still probes instead of refusing."""
    usable = eligible(routes, method)
    if not usable:
        raise NoChannelAccount(f"no enabled channel account offers {method}")
    chooser = rng or random.SystemRandom()
    ordered: list[Route] = []
    for priority in sorted({r.priority for r in usable}):
        ordered += _weighted_order([r for r in usable if r.priority == priority], chooser)
    return [r for r in ordered if breaker.allows(r.key, now)] + [
        r for r in ordered if not breaker.allows(r.key, now)
    ]


def rank_merchant_routes(
    accounts: Sequence[ChannelAccount],
    bindings: Sequence[Binding],
    method: str,
    merchant_id: str,
    breaker: CircuitBreaker,
    now: float,
    rng: random.Random | None = None,
) -> list[Route]:
    return rank_routes(candidates(accounts, bindings, merchant_id), method, breaker, now, rng)


def choose_route(
    accounts: Sequence[ChannelAccount],
    bindings: Sequence[Binding],
    method: str,
    merchant_id: str,
    rng: random.Random | None = None,
) -> Route:
    return rank_merchant_routes(accounts, bindings, method, merchant_id, CircuitBreaker(), 0.0, rng)[0]
