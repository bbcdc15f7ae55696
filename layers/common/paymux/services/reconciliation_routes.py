"""What reconciliation reconciles, route by route: a direct account's statement, or a provider
account's statement of one sub-merchant (binding), never a provider-wide one that would mix
sub-merchants' money; and the route a statement's refund row belongs to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.refund import Refund
from paymux.services.routes import RouteRefused
from paymux.services.routing import Route


def refund_route_or_none(
    d: Deps, refund: Refund | None, payment: Payment | None, attempts: dict[str, dict[str, Any]]
) -> Route | None:
    """The refund's route, its attempt taken from `attempts` (refund_attempts), never read."""
    from paymux.services.refunds import refund_route  # noqa: PLC0415 - refunds imports payments

    if refund is None or payment is None:
        return None
    try:
        return refund_route(d, refund, payment, attempts)
    except RouteRefused:
        return None


def refund_attempts(
    d: Deps, refunds: Iterable[Refund], payments: dict[str, Payment]
) -> dict[str, dict[str, Any]]:
    """The attempts the refunds return other than their payment's current one (an automatic
    refund's own attempt), by out_trade_no: BatchGetItem (PaymentStore.attempts_of), not one
    read a statement row."""
    wanted = [
        r.out_trade_no
        for r in refunds
        if r.out_trade_no
        and (p := payments.get(r.payment_id)) is not None
        and r.out_trade_no != p.out_trade_no
    ]
    return d.payments.attempts_of(wanted) if wanted else {}


def run_key(account_id: str, binding_id: str) -> str:
    return f"{account_id}#{binding_id}" if binding_id else account_id


def reconciled_routes(d: Deps) -> list[Route]:
    """What is reconciled: every enabled direct account (one without an owner too: its
    statement is still money; repairs through it are refused and reported), and every binding
    (enabled or not: a disabled one may still have refunds) of every enabled provider account.
    A provider-wide statement would mix sub-merchants: each has its own."""
    routes: list[Route] = []
    bindings = d.bindings.bindings()
    for account in d.channel_config.accounts():
        if not account.enabled:
            continue
        if account.mode != "provider":
            routes.append(Route(account))
        else:
            routes += [Route(account, b) for b in bindings if b.account_id == account.account_id]
    return routes
