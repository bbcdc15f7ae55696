"""An attempt's route (its channel account and, in provider mode, its binding), resolved and
checked in one place: every query, close, refund, callback, sweep and reconciliation of an
attempt goes through `attempt_route`, which refuses a route that is not the payment's
merchant's own (paymux.services.routing.route_problem). A payment can never touch another
merchant's account or binding, whatever is stored on it."""

from __future__ import annotations

import logging
from typing import Any

from paymux.channels.base import Channel, SubMerchant
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.errors import ChannelUnavailable
from paymux.services.routing import Route, route_problem
from paymux.store.bindings import Binding

log = logging.getLogger("paymux")


class RouteRefused(ChannelUnavailable):
    """The attempt's account or binding is missing, or is not the merchant's: nothing is sent
    to the channel and nothing changes (operators fix the configuration; then it works).
    Not `should_retry`: sending it again changes nothing until operators have."""

    code = "route_refused"
    should_retry = False


class ForeignAttempt(RouteRefused):
    """An out_trade_no that is not an attempt of the payment at hand."""

    code = "foreign_attempt"


def attempt_ids(d: Deps, payment: Payment, out_trade_no: str = "") -> tuple[str, str]:
    """(account_id, binding_id) of one of the payment's attempts (default: its current one)."""
    out_trade_no = out_trade_no or payment.out_trade_no
    attempt = None if out_trade_no == payment.out_trade_no else d.payments.get_attempt(out_trade_no)
    return attempt_ids_of(payment, out_trade_no, attempt)


def attempt_route(d: Deps, payment: Payment, out_trade_no: str = "") -> Route:
    """The route of one of the payment's attempts, checked to be its merchant's, or RouteRefused."""
    account_id, binding_id = attempt_ids(d, payment, out_trade_no)
    return checked_route(d, payment, account_id, binding_id)


def attempt_ids_of(payment: Payment, out_trade_no: str, attempt: dict[str, Any] | None) -> tuple[str, str]:
    """attempt_ids with the attempt already read (None: not found), for callers that read many
    attempts at once (PaymentStore.attempts_of: BatchGetItem)."""
    if not out_trade_no or out_trade_no == payment.out_trade_no:
        return payment.account_id, payment.binding_id
    if attempt is None or attempt["payment_id"] != payment.payment_id:
        raise ForeignAttempt(f"{out_trade_no} is not an attempt of payment {payment.payment_id}")
    return str(attempt["account_id"]), str(attempt.get("binding_id") or "")


def checked_route(d: Deps, payment: Payment, account_id: str, binding_id: str) -> Route:
    """The route of an attempt's (account_id, binding_id), checked like attempt_route's."""
    account = d.channel_config.account(account_id)
    if account is None:
        raise RouteRefused(f"channel account {account_id} is no longer configured")
    binding = d.bindings.binding(binding_id) if binding_id else None
    if binding_id and binding is None:
        raise RouteRefused(f"binding {binding_id} of payment {payment.payment_id} is no longer configured")
    route = Route(account, binding)
    problem = route_problem(route, payment.merchant_id)
    if problem is not None:
        log.warning("route of payment %s refused: %s", payment.payment_id, problem)
        raise RouteRefused(problem)
    return route


def sub_merchant(d: Deps, binding: Binding) -> SubMerchant:
    """The binding as its channel client needs it, with its token from Secrets Manager."""
    token = str(d.bindings.secret(binding).get("app_auth_token", ""))
    return SubMerchant(binding.binding_id, binding.merchant_id, binding.sub_mchid, binding.sub_appid, token)


def route_channel(d: Deps, route: Route) -> Channel:
    """The channel client of a route: a provider account's acts for the route's sub-merchant."""
    account, binding = route
    if binding is None:
        return d.channel(account)
    return d.channel(account, sub_merchant=sub_merchant(d, binding))


def route_fields(route: Route) -> dict[str, str]:
    """What an attempt item and the payment record of the route beside its account."""
    binding = route.binding
    return {
        "account_id": route.account.account_id,
        "provider": route.account.provider,
        "binding_id": binding.binding_id if binding else "",
        "sub_mchid": binding.sub_mchid if binding else "",
        "sub_appid": binding.sub_appid if binding else "",
    }
