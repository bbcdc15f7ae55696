"""The sweeper's check of an open checkout session at its expiry (due index kind `checkout`)."""

from __future__ import annotations

from typing import Any

from paymux.checkout.sessions import current_payment, expire, sessions
from paymux.deps import Deps
from paymux.services.sweep_checks import release
from paymux.store.checkout_sessions import OPEN, session_from_item
from paymux.store.sweep_queue import SweepMessage


def expire_due(d: Deps, item: dict[str, Any], message: SweepMessage, now: float) -> str:
    """Completes (its payment was paid) or expires the session; the transition takes it off
    the due index. A session not due yet goes back to its expiry. A typed error (the channel
    could not close the payment) raises, and the worker defers it a minute."""
    session = session_from_item(item)
    if session.status != OPEN:
        return "stale"
    if now < session.expires_at:
        release(d, message, session.session_id, session.expires_at)
        return "stale"
    fresh = sessions(d).get(session.session_id) or session
    expire(d, fresh, current_payment(d, fresh))
    return "checkout_expired"
