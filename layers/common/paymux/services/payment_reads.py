"""Reading payments: by id or merchant order number, their events, and a fresh look at the
channel."""

from __future__ import annotations

import json
from typing import Any

from paymux.clock import iso
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.states import OPEN_PAYMENT_STATES
from paymux.errors import NotFound
from paymux.services.outcomes import apply_queried_trade
from paymux.services.payment_submission import query_context
from paymux.services.routes import RouteRefused, attempt_route, route_channel
from paymux.store.merchants import MerchantApp


def get_payment(d: Deps, app: MerchantApp, payment_id: str, sync: bool = False) -> Payment:
    payment = d.payments.get(payment_id)
    if payment is None or payment.merchant_id != app.merchant_id:
        raise NotFound(f"no payment {payment_id}")
    if sync and payment.status in OPEN_PAYMENT_STATES:
        payment = refresh_from_channel(d, payment, actor="merchant_sync")
    return payment


def payment_events(d: Deps, app: MerchantApp, payment_id: str) -> list[dict[str, Any]]:
    """Every change of the payment and its refunds, oldest first (who, what, from, to, when)."""
    get_payment(d, app, payment_id)
    events = sorted(d.payments.events(payment_id), key=lambda e: (e["at"], e["SK"]))
    return [
        {
            "type": e["type"],
            "actor": e["actor"],
            "from_status": e.get("from_status"),
            "to_status": e["to_status"],
            "refund_id": e.get("refund_id"),
            "at": iso(e["at"]),
            "detail": json.loads(e["detail"]),
        }
        for e in events
    ]


def find_payment(d: Deps, app: MerchantApp, merchant_order_no: str) -> Payment:
    payment = d.payments.get_by_merchant_order_no(app.merchant_id, merchant_order_no)
    if payment is None:
        raise NotFound(f"no payment with merchant_order_no {merchant_order_no}")
    return payment


def refresh_from_channel(d: Deps, payment: Payment, actor: str) -> Payment:
    try:
        route = attempt_route(d, payment)
    except RouteRefused:
        return payment  # said in the log; the configuration is for operators to fix
    trade = route_channel(d, route).query(payment.out_trade_no, context=query_context(payment))
    return apply_queried_trade(d, payment, trade, actor)
