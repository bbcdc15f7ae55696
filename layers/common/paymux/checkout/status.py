"""GET /checkout/{id}/status: what the page's script polls (JSON, no merchant signature: the
session id is the payer's capability, and only the state is told)."""

from __future__ import annotations

from typing import Any

from paymux.checkout.sessions import current_payment, refresh, sessions
from paymux.deps import Deps
from paymux.domain.states import PaymentStatus
from paymux.errors import NotFound
from paymux.store.checkout_sessions import COMPLETED, EXPIRED, OPEN

PAYMENT_STATES = {PaymentStatus.FAILED: "failed", PaymentStatus.CLOSED: "closed"}


def session_state(d: Deps, session_id: str) -> dict[str, Any]:
    """`state`: paid, expired, failed (the current payment failed), closed (it was closed, e.g.
    by a switch in another tab) or open. An open session past its expiry is expired."""
    found = sessions(d).get(session_id)
    if found is None:
        raise NotFound("no such checkout session")
    session = refresh(d, found)
    payment = current_payment(d, session) if session.status == OPEN else None
    state = {COMPLETED: "paid", EXPIRED: "expired"}.get(session.status, "open")
    if session.status == OPEN and d.clock() >= session.expires_at:
        state = "expired"
    elif payment is not None and state == "open":
        state = PAYMENT_STATES.get(payment.status, "open")
    return {
        "object": "checkout_session_state",
        "state": state,
        "method": session.method or None,
        "return_path": f"/checkout/{session.session_id}/return",
    }
