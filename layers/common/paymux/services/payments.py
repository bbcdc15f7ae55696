"""Creating, reading and closing payments."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from paymux.channels.base import ChannelAccount, CreateRequest, QueryContext, TradeState
from paymux.channels.registry import channel_class
from paymux.clock import iso
from paymux.deps import Deps
from paymux.domain.ids import attempt_out_trade_no, new_payment_id
from paymux.domain.methods import METHODS, REQUIRED_INPUTS
from paymux.domain.payer_codes import GENERIC_METHOD, wallet_method
from paymux.domain.payer_limits import LIMIT_ONLY_KINDS, payer_charge
from paymux.domain.payment import Payment
from paymux.domain.states import OPEN_PAYMENT_STATES, PaymentStatus
from paymux.errors import (
    ChannelError,
    ChannelUnavailable,
    Conflict,
    IllegalTransition,
    NotFound,
    OutcomeNotKnown,
    ValidationFailed,
)
from paymux.observability import emit_metric
from paymux.services.channel_limits import check_create_limits
from paymux.services.outcomes import (
    TradeMismatch,
    apply_queried_trade,
    apply_trade_result,
    queried_key,
    record_unapplied,
    transition,
)
from paymux.services.reversal import is_reversible, reverse_open_payment
from paymux.services.routes import RouteRefused, attempt_route, route_channel, route_fields
from paymux.services.routing import Route, rank_merchant_routes
from paymux.services.sweep_ladder import start_ladder
from paymux.services.sweep_schedule import first_check_at
from paymux.services.urls import check_url_syntax
from paymux.store.merchants import MerchantApp
from paymux.store.payments import DuplicateMerchantOrder

if TYPE_CHECKING:  # pydantic is imported only by handlers that validate a body (cold start)
    from paymux.api.models import CreatePaymentRequest

log = logging.getLogger("paymux")
# How long past its expiry a code closed before the channel knew it is still asked about:
# channels round expiry (Alipay's timeout_express is in minutes) and clocks differ.
CLOSED_WATCH_GRACE = 600.0
Choice = tuple[Route, str]  # a route and the method it would be asked for


def request_hash(request: CreatePaymentRequest) -> str:
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


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


def watch_closed_payment(d: Deps, payment: Payment, actor: str) -> Payment:
    """One look at a closed payment whose code the channel may still take (Payment.watch_until):
    a trade the payer has opened since is closed at the channel, so it cannot be paid; one paid
    is applied (a charge after close, refunded automatically)."""
    try:
        channel = route_channel(d, attempt_route(d, payment))
    except RouteRefused:
        return payment
    trade = channel.query(payment.out_trade_no, context=query_context(payment))
    if trade.state == TradeState.OPEN:
        try:  # a payer code is reversed (a close would not stop a payer entering a password)
            if is_reversible(payment):
                channel.reverse(payment.out_trade_no, context=query_context(payment))  # type: ignore[attr-defined]
            else:
                channel.close(payment.out_trade_no)
        except ChannelError as exc:  # paid meanwhile, or unreachable: the next look tells
            log.info("could not close the scanned code of %s: %s", payment.payment_id, exc.message)
        return payment
    return apply_queried_trade(d, payment, trade, actor)


def close_payment(d: Deps, app: MerchantApp, payment_id: str, actor: str = "merchant") -> Payment:
    """Closes at the channel first, then locally; a payment the channel reports paid becomes
    SUCCESS (and the close answers 409), never CLOSED."""
    payment = get_payment(d, app, payment_id)
    if payment.status == PaymentStatus.CLOSED:
        return payment
    if payment.status not in OPEN_PAYMENT_STATES:
        raise Conflict("payment_not_closable", f"a {payment.status} payment cannot be closed")
    payment = close_open_payment(d, payment, actor)
    if payment.status != PaymentStatus.CLOSED:
        raise Conflict(
            "payment_already_paid",
            f"payment {payment_id} was paid before it could be closed",
            details=[{"payment_id": payment_id, "status": payment.status.value}],
        )
    return payment


def close_open_payment(d: Deps, payment: Payment, actor: str) -> Payment:
    """PENDING payments are closed at the channel too: a create whose answer was lost may
    still have made an order there. A payer's code that can be reversed is reversed instead
    (services/reversal): a close would not stop a payer still entering a password."""
    if is_reversible(payment):
        return reverse_open_payment(d, payment, actor)
    channel = route_channel(d, attempt_route(d, payment))  # RouteRefused: 503, nothing changed
    try:
        channel.close(payment.out_trade_no)
    except ChannelUnavailable:
        raise
    except ChannelError as exc:  # e.g. ORDERPAID: the query below tells what happened
        log.info("channel refused close of %s: %s", payment.payment_id, exc.channel_code)
    # a close answers 204 even for unknown orders
    trade = channel.query(payment.out_trade_no, context=query_context(payment))
    if trade.state == TradeState.OPEN:
        raise OutcomeNotKnown(
            f"the channel does not know yet whether payment {payment.payment_id} is paid "
            f"({trade.raw_state or 'open'}): query it (GET with sync=true) and close it later",
            details=[{"payment_id": payment.payment_id, "status": payment.status.value}],
        )
    try:
        payment = apply_trade_result(d, payment, trade, actor)
    except TradeMismatch as exc:
        record_unapplied(d, trade, exc, actor, key=queried_key(trade, exc))
        raise Conflict(
            "payment_under_review",
            f"the channel's answer about payment {payment.payment_id} disagrees with it; "
            "it stays open while operators look",
            details=[{"payment_id": payment.payment_id, "status": payment.status.value}],
        ) from exc
    if trade.state == TradeState.NOT_FOUND and payment.status in OPEN_PAYMENT_STATES:
        # The channel has no trade to close; where a code makes one when scanned (Alipay's
        # precreate), it can still be paid until it expires at the channel: keep asking.
        changes = {"closed_at": d.clock(), "watch_until": payment.expires_at + CLOSED_WATCH_GRACE}
        payment = transition(
            d, payment, PaymentStatus.CLOSED, changes, "payment.closed", actor, {"reason": actor}
        )
    return payment
