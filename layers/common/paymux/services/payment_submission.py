"""Sending a payment's attempt to its channel: the create, the fallback to the next route,
and what the answer does to the payment."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from paymux.channels.base import ChannelAccount, CreateRequest, QueryContext
from paymux.channels.registry import channel_class
from paymux.deps import Deps
from paymux.domain.ids import attempt_out_trade_no
from paymux.domain.payment import Payment
from paymux.domain.states import PaymentStatus
from paymux.errors import ChannelError, ChannelUnavailable, IllegalTransition
from paymux.services.outcomes import apply_queried_trade, transition
from paymux.services.routes import attempt_route, route_channel, route_fields
from paymux.services.routing import Route

log = logging.getLogger("paymux")
Choice = tuple[Route, str]  # a route and the method it would be asked for


def callback_url(d: Deps, api_domain: str, provider: str, account_id: str) -> str:
    """The absolute URL a channel calls back for this account, the same on every path (create,
    refund, the sweeper's resubmission, automatic refunds). The base: the settings' when set
    (PublicBaseUrl, or the local stack's own domain); else `api_domain`, the domain the API
    request being served came in on (API Gateway's requestContext.domainName: the custom
    domain, whose execute-api endpoint the template disables, or else the execute-api domain,
    which is what the SSM parameter holds), so an API function reads no parameter; else, with
    no request to serve (the sweeper, callbacks), the API's domain from SSM (Deps.callback_base)."""
    settings = d.settings
    if settings.public_base_url or not api_domain:
        base = d.callback_base
    else:
        base = settings.base_url_for_domain(api_domain, "the request's domainName")
    return f"{base}/v1/callbacks/{provider}/{account_id}"


def submit(d: Deps, payment: Payment, api_domain: str, fallbacks: Sequence[Choice] = ()) -> Payment:
    """Creates the order at the channel and records what the payer needs. A failure that is
    safe to retry elsewhere (the channel was unreachable or refused this account's
    configuration: no payer has a QR code or prepay id yet, so nobody can have paid; never an
    unknown answer for a product the create itself charges, a payer's code) moves to the next
    account as a new attempt; an unknown outcome with no fallback left leaves the
    payment PENDING for the sweeper; a business refusal fails it."""
    remaining = list(fallbacks)
    while True:
        route = attempt_route(d, payment)
        try:
            result = route_channel(d, route).create(_create_request(d, payment, route.account, api_domain))
        except ChannelError as exc:
            # a product charged by the create itself (a payer's code) may have been paid
            # although the answer was lost: only a refusal that says so is safe elsewhere
            charging = payment.method in getattr(
                channel_class(route.account.provider), "charging_products", ()
            )
            unknown_is_safe = isinstance(exc, ChannelUnavailable) and not charging
            safe_elsewhere = unknown_is_safe or exc.retryable_elsewhere
            d.breaker.record(route.key, not safe_elsewhere, d.clock())
            if safe_elsewhere and remaining:
                _close_orphan(d, route, payment.out_trade_no)
                payment = _next_attempt(d, payment, *remaining.pop(0), exc)
                continue
            raise _unsubmitted(d, payment, exc) from None
        d.breaker.record(route.key, True, d.clock())
        submitted = _submitted(d, payment, result.action)
        if result.trade is None:
            return submitted
        # The answer already says the outcome (a payer's code is paid or refused at once): it
        # is applied exactly like a query answer, its checks included.
        return apply_queried_trade(d, submitted, result.trade, actor="channel")


def query_context(payment: Payment) -> QueryContext:
    """What a channel's query of the payment's attempt needs beside its number."""
    return QueryContext(sent_at=payment.sent_at, product=payment.method, expires_at=payment.expires_at)


def _create_request(d: Deps, payment: Payment, account: ChannelAccount, api_domain: str) -> CreateRequest:
    return CreateRequest(
        out_trade_no=payment.out_trade_no,
        product=payment.method,
        amount=payment.amount,
        currency=payment.currency,
        subject=payment.subject,
        notify_url=callback_url(d, api_domain, account.provider, account.account_id),
        expires_at=payment.expires_at,
        return_url=payment.return_url,
        payer=payment.payer,
        sent_at=payment.sent_at,
    )


def _close_orphan(d: Deps, route: Route, out_trade_no: str) -> None:
    """Best effort: the abandoned attempt may exist at the channel; it also expires there at
    the payment's time_expire, and nobody holds its QR code or prepay id."""
    try:
        route_channel(d, route).close(out_trade_no)
    except ChannelError as exc:
        log.info("could not close abandoned attempt %s: %s", out_trade_no, exc.message)


def _next_attempt(d: Deps, payment: Payment, route: Route, method: str, cause: ChannelError) -> Payment:
    number = payment.attempt_count + 1
    out_trade_no = attempt_out_trade_no(payment.payment_id, number)
    reason = {"fallback_from": payment.account_id, "cause": cause.channel_code or cause.code}
    if method != payment.method:
        reason["fallback_from_method"] = payment.method
    now = d.clock()
    attempt = {
        "out_trade_no": out_trade_no,
        "payment_id": payment.payment_id,
        "merchant_id": payment.merchant_id,
        **route_fields(route),
        "product": method,
        "created_at": now,
        "sent_at": now,
        "routing": reason,
    }
    log.warning(
        "payment %s falls back from %s to %s: %s",
        payment.payment_id,
        payment.account_id,
        route.key,
        reason["cause"],
    )
    changes = {
        **route_fields(route),
        "method": method,
        "out_trade_no": out_trade_no,
        "sent_at": now,
        "attempt_count": number,
        "updated_at": now,
    }
    return d.payments.add_attempt(payment, attempt, changes)


def _unsubmitted(d: Deps, payment: Payment, exc: ChannelError) -> ChannelError:
    if isinstance(exc, ChannelUnavailable):
        log.warning("channel create outcome unknown for %s: %s", payment.payment_id, exc.message)
        exc.details = [{"payment_id": payment.payment_id, "status": payment.status.value}]
        return exc
    changes = {"failure_code": exc.channel_code or exc.code, "failure_message": exc.message}
    detail = {"channel_code": exc.channel_code}
    transition(d, payment, PaymentStatus.FAILED, changes, "payment.failed", "channel", detail)
    exc.details = [{"payment_id": payment.payment_id, "status": PaymentStatus.FAILED.value}]
    return exc


def _submitted(d: Deps, payment: Payment, action: dict[str, Any]) -> Payment:
    detail = {"out_trade_no": payment.out_trade_no}
    try:
        return transition(
            d, payment, PaymentStatus.PROCESSING, {"action": action}, "payment.submitted", "paymux", detail
        )
    except IllegalTransition:
        # A concurrent identical create submitted the same out_trade_no (the channel answers
        # it idempotently) and recorded the result first.
        fresh = d.payments.get(payment.payment_id)
        if fresh is None:
            raise
        return fresh
