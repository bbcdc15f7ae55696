"""Creating payments; reading, closing and submitting them are in payment_reads,
payment_closing and payment_submission, whose names this module still offers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from paymux.channels.registry import channel_class
from paymux.deps import Deps
from paymux.domain.ids import attempt_out_trade_no, new_payment_id
from paymux.domain.methods import METHODS, REQUIRED_INPUTS
from paymux.domain.payer_codes import GENERIC_METHOD, wallet_method
from paymux.domain.payer_limits import LIMIT_ONLY_KINDS, payer_charge
from paymux.domain.payment import Payment
from paymux.domain.states import PaymentStatus
from paymux.errors import ChannelUnavailable, Conflict, IllegalTransition, ValidationFailed
from paymux.observability import emit_metric
from paymux.services.channel_limits import check_create_limits
from paymux.services.outcomes import transition
from paymux.services.payment_closing import (
    CLOSED_WATCH_GRACE,
    close_open_payment,
    close_payment,
    watch_closed_payment,
)
from paymux.services.payment_reads import find_payment, get_payment, payment_events, refresh_from_channel
from paymux.services.payment_submission import Choice, callback_url, query_context, submit
from paymux.services.routes import route_fields
from paymux.services.routing import rank_merchant_routes
from paymux.services.sweep_ladder import start_ladder
from paymux.services.sweep_schedule import first_check_at
from paymux.services.urls import check_url_syntax
from paymux.store.merchants import MerchantApp
from paymux.store.payments import DuplicateMerchantOrder

if TYPE_CHECKING:  # pydantic is imported only by handlers that validate a body (cold start)
    from paymux.api.models import CreatePaymentRequest


# The names callers import from here; reading, closing and submitting live in their own modules.
__all__ = [
    "CLOSED_WATCH_GRACE",
    "Choice",
    "callback_url",
    "close_open_payment",
    "close_payment",
    "create_payment",
    "find_payment",
    "get_payment",
    "payment_events",
    "query_context",
    "rank_routes",
    "refresh_from_channel",
    "request_hash",
    "submit",
    "watch_closed_payment",
]


def request_hash(request: CreatePaymentRequest) -> str:
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_payment(
    d: Deps, app: MerchantApp, request: CreatePaymentRequest, api_domain: str, payer_appid: str = ""
) -> tuple[int, Payment]:
    """201 with a new payment; 200 with the existing one when the same request is repeated.
    `payer_appid`: the app the payer's id was obtained in (the hosted checkout's OAuth): only
    routes of that app may take it (paymux.services.routing.Route.payer_appid)."""
    request = _with_wallet(request)
    asked = [("method", request.method)] + [("fallback_methods", m) for m in request.fallback_methods]
    for field, method in asked:
        if app.methods and method not in app.methods:
            raise ValidationFailed(
                "method not enabled",
                details=[{"field": field, "message": f"{method} is not enabled for this app"}],
            )
        missing = [path for path in REQUIRED_INPUTS.get(method, ()) if not _given(request, path)]
        if missing:
            raise ValidationFailed(
                f"{method} needs {', '.join(missing)}",
                details=[{"field": path, "message": f"required by {method}"} for path in missing],
            )
    check_create_limits(request, [request.method, *request.fallback_methods])
    if request.amount > app.max_amount:
        raise ValidationFailed(
            "amount too large",
            details=[{"field": "amount", "message": f"must be ≤ {app.max_amount} fen for this app"}],
        )
    check_url_syntax(request.notify_url, "notify_url", d.settings.allow_http_urls)
    if request.return_url:
        check_url_syntax(request.return_url, "return_url", d.settings.allow_http_urls)
    now = d.clock()
    payer = request.payer.model_dump(exclude_none=True)
    limits = app.payer_limits
    charge = payer_charge(limits, app.merchant_id, payer, request.amount, now) if limits else None
    ranked = rank_routes(d, [request.method, *request.fallback_methods], app.merchant_id, now, payer_appid)
    (route, method), fallbacks = ranked[0], ranked[1:]
    payment_id = new_payment_id(now)
    payment = Payment(
        payment_id=payment_id,
        merchant_id=app.merchant_id,
        app_id=app.app_id,
        merchant_order_no=request.merchant_order_no,
        amount=request.amount,
        currency=request.currency,
        method=method,  # a fallback method when no account of the requested one can take it
        subject=request.subject,
        description=request.description,
        notify_url=request.notify_url,
        return_url=request.return_url,
        metadata=request.metadata,
        payer={k: v for k, v in payer.items() if k not in LIMIT_ONLY_KINDS},
        request_hash=request_hash(request),
        created_at=now,
        updated_at=now,
        expires_at=now + (request.expires_in or app.default_expires_in),
        provider=route.account.provider,
        account_id=route.account.account_id,
        binding_id=route.binding.binding_id if route.binding else "",
        sub_mchid=route.binding.sub_mchid if route.binding else "",
        sub_appid=route.binding.sub_appid if route.binding else "",
        out_trade_no=attempt_out_trade_no(payment_id, 1),
        sent_at=now,  # sent right after it is written
        attempt_count=1,
        payer_counter=charge.counter if charge else "",
    )
    attempt = {
        "out_trade_no": payment.out_trade_no,
        "payment_id": payment_id,
        "merchant_id": app.merchant_id,
        **route_fields(route),
        "product": method,
        "created_at": now,
        "sent_at": now,
        "routing": {
            "ranked": [f"{r.key}:{m}" for r, m in ranked],
            "reason": "method order, then priority, weight, breaker",
            **({"fallback_from_method": request.method} if method != request.method else {}),
        },
    }
    try:
        d.payments.create(payment, attempt, first_check_at(payment), charge)
    except DuplicateMerchantOrder as dup:
        if dup.payment_id == payment.payment_id:
            # Our own committed write: the SDK re-sent the transaction after a lost response
            # and the retry met the claim it had just made. This request created the order.
            emit_metric("PaymentCreated", method=payment.method, provider=payment.provider)
            return 201, submit(d, payment, api_domain, fallbacks)
        existing = d.payments.get(dup.payment_id)
        if existing is None or dup.request_hash != payment.request_hash:
            raise Conflict(
                "duplicate_merchant_order_no",
                f"merchant_order_no {request.merchant_order_no} was already used with different parameters",
                details=[{"payment_id": dup.payment_id}],
            ) from None
        return 200, _repeated(d, existing, api_domain)
    start_ladder(d, payment)
    emit_metric("PaymentCreated", method=payment.method, provider=payment.provider)
    return 201, submit(d, payment, api_domain, fallbacks)


def _with_wallet(request: CreatePaymentRequest) -> CreatePaymentRequest:
    """Method `barcode`: the request as one for the wallet its payer.auth_code belongs to
    (domain/payer_codes; a code of no wallet is a 422, nothing written)."""
    if request.method != GENERIC_METHOD:
        return request
    code = request.payer.auth_code
    if not code:
        raise ValidationFailed(
            "barcode needs payer.auth_code",
            details=[{"field": "payer.auth_code", "message": "required by barcode"}],
        )
    return request.model_copy(update={"method": wallet_method(code, set(METHODS))})


def _given(request: CreatePaymentRequest, path: str) -> bool:
    value: Any = request
    for part in path.split("."):
        value = getattr(value, part, None)
    return bool(value)


def rank_routes(
    d: Deps, methods: Sequence[str], merchant_id: str, now: float, payer_appid: str = ""
) -> list[Choice]:
    """Every (route, method) that may take the payment, best first: the requested method's
    routes (the merchant's own accounts and bindings only), then each allowed fallback
    method's; with `payer_appid`, only routes whose payer app it is. Fails only when none has
    a route."""
    routes: list[Choice] = []
    unavailable: ChannelUnavailable | None = None
    accounts, bindings = d.channel_config.accounts(), d.bindings.bindings()
    for method in methods:
        try:
            ranked = rank_merchant_routes(accounts, bindings, method, merchant_id, d.breaker, now)
        except ChannelUnavailable as exc:
            unavailable = unavailable or exc
            continue
        kept = [r for r in ranked if not payer_appid or r.payer_appid == payer_appid]
        if not kept:
            missing = ChannelUnavailable(f"no account of app {payer_appid} offers {method}")
            unavailable = unavailable or missing
        routes += [(route, method) for route in kept]
    if not routes:
        assert unavailable is not None  # narrowing: no route, so one was unavailable  # nosec B101
        raise unavailable
    return routes


def _repeated(d: Deps, existing: Payment, api_domain: str) -> Payment:
    """The answer to a create repeated with the same parameters: the payment as it is, or, when
    its first try never reached the channel or its answer was lost, the payment sent again."""
    if existing.status != PaymentStatus.PENDING or existing.action:
        return existing
    again = _sent_again(d, existing)
    if again.status != PaymentStatus.PENDING or again.action:
        return again  # a concurrent repeat has sent it meanwhile: never twice
    return submit(d, again, api_domain)


def _sent_again(d: Deps, payment: Payment) -> Payment:
    """A create sent again long after its first try (a crash, a lost answer) is sent at the
    channel's present (UnionPay refuses a stale txnTime): its new send time is stored before it
    is sent, so a query names it. A product the create itself charges (a payer's code) is sent
    again as it was, the same message, so the channel can never take it for a second charge."""
    charging = getattr(channel_class(payment.provider), "charging_products", ()) if payment.provider else ()
    if payment.method in charging:
        return payment
    detail = {"out_trade_no": payment.out_trade_no}
    changes = {"sent_at": d.clock()}
    try:
        return transition(d, payment, payment.status, changes, "payment.sent_again", "paymux", detail)
    except IllegalTransition:
        # a concurrent repeat of the create stored its own send time first: send that message
        fresh = d.payments.get(payment.payment_id)
        if fresh is None:
            raise
        return fresh  # sent meanwhile (an action, or an outcome): the caller answers it as it is
