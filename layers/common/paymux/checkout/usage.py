"""The page lists the most used methods first: per merchant and kind of device (mobile or
desktop), the choices of the last USAGE_DAYS Asia/Shanghai days, counted by an atomic ADD on one
small item per day (CHECKOUTUSE#<merchant>#<device>#<day>, kept 9 days by `ttl`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

from paymux.deps import Deps
from paymux.store.checkout_sessions import CheckoutSessionStore

log = logging.getLogger("paymux")
USAGE_DAYS = 7
SHANGHAI = timezone(timedelta(hours=8))


def _store(d: Deps) -> CheckoutSessionStore:
    return CheckoutSessionStore(d.dynamodb, d.settings.table)


def days_back(now: float, count: int = USAGE_DAYS) -> list[str]:
    today = datetime.fromtimestamp(now, UTC).astimezone(SHANGHAI).date()
    return [(today - timedelta(days=n)).isoformat() for n in range(count)]


def record_choice(d: Deps, merchant_id: str, device: str, method: str) -> None:
    """Counting is for the order of a list: a failure is logged, never the payer's problem."""
    now = d.clock()
    try:
        _store(d).count_use(merchant_id, device, method, days_back(now, 1)[0], now)
    except Exception as exc:
        log.warning("checkout usage not counted: %s", type(exc).__name__)


def ordered(d: Deps, merchant_id: str, device: str, methods: Sequence[str]) -> list[str]:
    """`methods` most used first; ties (and all, when nothing is counted) keep their order."""
    try:
        counts = _store(d).recent_use(merchant_id, device, days_back(d.clock()))
    except Exception as exc:
        log.warning("checkout usage not read: %s", type(exc).__name__)
        counts = {}
    position = {m: n for n, m in enumerate(methods)}
    return sorted(methods, key=lambda m: (-counts.get(m, 0), position[m]))
