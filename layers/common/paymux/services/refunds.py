"""Refunds: partial and multiple, never more than was paid, each settled exactly once whether
the answer comes synchronously, by callback or by active query (services/refund_outcomes)."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from paymux.channels.base import RefundQueryContext, RefundRequest, RefundState
from paymux.deps import Deps
from paymux.domain.ids import new_refund_id
from paymux.domain.payment import Payment
from paymux.domain.refund import Refund, refund_id_from_out_refund_no
from paymux.domain.states import PaymentStatus, RefundStatus
from paymux.errors import ChannelError, Conflict, NotFound, ValidationFailed
from paymux.services.channel_limits import check_refund_limits, check_refund_window
from paymux.services.payments import callback_url, get_payment
from paymux.services.refund_outcomes import (
    ABNORMAL_CHECK_EVERY,
    FIRST_CHECK_AFTER,
    RefundNotPlaced,
    apply_refund_result,
    apply_refusal,
)
from paymux.services.routes import RouteRefused, attempt_ids_of, attempt_route, checked_route, route_channel
from paymux.services.routing import Route
from paymux.store.merchants import MerchantApp
from paymux.store.refunds import DuplicateMerchantRefund, RefundRejected

if TYPE_CHECKING:  # pydantic is imported only by handlers that validate a body (cold start)
    from paymux.api.models import CreateRefundRequest

log = logging.getLogger("paymux")
__all__ = ["apply_refund_result", "create_refund", "place_refund", "refresh_refund", "submit_refund"]


def create_refund(
    d: Deps, app: MerchantApp, payment_id: str, request: CreateRefundRequest, api_domain: str
) -> tuple[int, Refund]:

    payment = get_payment(d, app, payment_id)
    check_refund_limits(request, payment.provider)
    now = d.clock()
    check_refund_window(payment.provider, payment.paid_at, now)
    canonical = json.dumps({"payment_id": payment_id, **request.model_dump()}, sort_keys=True)
    refund = Refund(
        refund_id=new_refund_id(now),
        payment_id=payment_id,
        merchant_id=app.merchant_id,
        app_id=app.app_id,
        merchant_refund_no=request.merchant_refund_no,
        amount=request.amount,
        currency=payment.currency,
        reason=request.reason,
        request_hash=hashlib.sha256(canonical.encode()).hexdigest(),
        created_at=now,
        updated_at=now,
        sent_at=now,  # written with it, before it is first sent
    )
    try:
        d.refunds.create(refund, payment, next_check_at=now + FIRST_CHECK_AFTER)
    except DuplicateMerchantRefund as dup:
        existing = d.refunds.get(dup.refund_id)
        if existing is None or dup.request_hash != refund.request_hash:
            raise Conflict(
                "duplicate_merchant_refund_no",
                f"merchant_refund_no {request.merchant_refund_no} was already used with different parameters",
            ) from None
        return 200, existing
    except RefundRejected:
        raise _rejection(d, payment_id, request.amount) from None
    return 201, submit_refund(d, refund, payment, api_domain)


def _rejection(d: Deps, payment_id: str, amount: int) -> Exception:
    payment = d.payments.get(payment_id)
    if payment is None or payment.status != PaymentStatus.SUCCESS:
        status = payment.status if payment else "missing"
        return Conflict("payment_not_refundable", f"a {status} payment cannot be refunded")
    left = payment.amount - payment.amount_refund_reserved
    return ValidationFailed(
        "refund amount exceeds what is refundable",
        details=[{"field": "amount", "message": f"{amount} > refundable {left} fen"}],
    )


def submit_refund(d: Deps, refund: Refund, payment: Payment, api_domain: str = "") -> Refund:
    """Sends the refund (again: the same out_refund_no never refunds twice). A refusal that is
    not definitive leaves it PROCESSING and reserved, rescheduled with backoff."""
    try:
        return place_refund(d, refund, payment, api_domain)
    except RefundNotPlaced:
        return d.refunds.get(refund.refund_id) or refund


def place_refund(d: Deps, refund: Refund, payment: Payment, api_domain: str = "") -> Refund:
    """As submit_refund, but raises RefundNotPlaced when the channel did not take it."""
    route = refund_route(d, refund, payment)
    account = route.account
    request = RefundRequest(
        out_trade_no=refund.out_trade_no or payment.out_trade_no,
        out_refund_no=refund.out_refund_no,
        amount=refund.amount,
        # an automatic refund returns a whole attempt, whose total is the refund itself
        total=refund.amount if refund.automatic else payment.amount,
        currency=refund.currency,
        reason=refund.reason,
        notify_url=callback_url(d, api_domain, account.provider, account.account_id),
        product=payment.method,
        # an automatic refund returns its own attempt (paid, but not the payment's)
        channel_trade_no=refund.trade_no if refund.automatic else payment.channel_trade_no,
        paid_at=None if refund.automatic else payment.paid_at,
        settle_date="" if refund.automatic else payment.settle_date,
        requested_at=refund.created_at,
        sent_at=refund.sent_at,
    )
    channel = route_channel(d, route)
    try:
        result = channel.refund(request)
    except ChannelError as exc:
        return apply_refusal(d, refund, channel.refund_errors, exc)
    return apply_refund_result(d, refund, result, actor="channel")


def refund_route(
    d: Deps, refund: Refund, payment: Payment, attempts: dict[str, dict[str, Any]] | None = None
) -> Route:
    """The route of the attempt a refund returns (an automatic refund's own attempt, else the
    payment's), checked like every attempt's (RouteRefused: nothing is sent). `attempts`: the
    attempts already read by out_trade_no (PaymentStore.attempts_of), for a caller resolving
    many refunds; without it the attempt is read here."""
    if attempts is None:
        route = attempt_route(d, payment, refund.out_trade_no)
    else:
        ids = attempt_ids_of(payment, refund.out_trade_no, attempts.get(refund.out_trade_no))
        route = checked_route(d, payment, *ids)
    if refund.account_id and refund.account_id != route.account.account_id:
        raise RouteRefused(f"refund {refund.refund_id} names another account than its attempt's")
    return route


def get_refund(d: Deps, app: MerchantApp, refund_id: str) -> Refund:
    refund = d.refunds.get(refund_id)
    if refund is None or refund.merchant_id != app.merchant_id:
        raise NotFound(f"no refund {refund_id}")
    return refund


def refund_for_out_refund_no(d: Deps, out_refund_no: str) -> Refund | None:
    return d.refunds.get(refund_id_from_out_refund_no(out_refund_no))


def refresh_refund(d: Deps, refund: Refund) -> Refund:
    """Active query of an open refund; a PROCESSING one the channel never received is sent
    again (same out_refund_no, so it cannot refund twice)."""
    payment = d.payments.get(refund.payment_id)
    if payment is None:
        return refund
    try:
        channel = route_channel(d, refund_route(d, refund, payment))
    except RouteRefused:
        return refund  # said in the log; the configuration is for operators to fix
    out_trade_no = refund.out_trade_no or payment.out_trade_no
    context = RefundQueryContext(sent_at=refund.sent_at)
    result = channel.query_refund(refund.out_refund_no, out_trade_no, context=context)
    if result.state != RefundState.NOT_FOUND:
        return apply_refund_result(d, refund, result, actor="active_query")
    if refund.status == RefundStatus.PROCESSING:
        return submit_refund(d, refund, payment)
    d.refunds.record_channel_answer(refund, "", d.clock() + ABNORMAL_CHECK_EVERY)
    return refund
