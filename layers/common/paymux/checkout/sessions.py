"""Checkout sessions: create, read, complete and expire (docs/checkout.md).

A session is open until its payment succeeds (completed) or its time is up (expired); both are
conditional transitions of the session item written with their event's outbox item, so the
merchant hears `checkout.session.completed` or `checkout.session.expired` exactly once. A
session is completed by whichever notices the paid payment first: the payment's own SUCCESS
transition (paymux.services.outcomes calls `payment_paid`), a read of the session (the page's
status poll, the merchant's GET), or the sweeper at the session's expiry, which looks at the
payment before it expires anything."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from paymux.deps import Deps
from paymux.domain.ids import new_event_id, ulid
from paymux.domain.payment import Payment
from paymux.domain.states import OPEN_PAYMENT_STATES, PaymentStatus
from paymux.errors import Conflict, IllegalTransition, NotFound, PaymuxError, ValidationFailed
from paymux.services.urls import check_url_syntax
from paymux.store.checkout_sessions import (
    COMPLETED,
    EXPIRED,
    OPEN,
    CheckoutSession,
    CheckoutSessionStore,
    DuplicateSession,
)
from paymux.store.merchants import MerchantApp
from paymux.store.notifications import notification_item

if TYPE_CHECKING:
    from paymux.checkout.models import CreateCheckoutSessionRequest

log = logging.getLogger("paymux")
PAID = frozenset({PaymentStatus.SUCCESS, PaymentStatus.REFUNDED})


def sessions(d: Deps) -> CheckoutSessionStore:
    return CheckoutSessionStore(d.dynamodb, d.settings.table)


def page_base(d: Deps, api_domain: str) -> str:
    """paymux's own base URL for the page: the same rule as the channels' callback URLs
    (paymux.services.payments.callback_url): the configured base, else the request's domain."""
    settings = d.settings
    if settings.public_base_url or not api_domain:
        return d.callback_base
    return settings.base_url_for_domain(api_domain, "the request's domainName")


def _request_hash(request: CreateCheckoutSessionRequest) -> str:
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check(d: Deps, app: MerchantApp, request: CreateCheckoutSessionRequest) -> None:
    disabled = [m for m in request.methods if app.methods and m not in app.methods]
    if disabled:
        raise ValidationFailed(
            "method not enabled",
            details=[{"field": "methods", "message": f"{m} is not enabled for this app"} for m in disabled],
        )
    if request.amount > app.max_amount:
        raise ValidationFailed(
            "amount too large",
            details=[{"field": "amount", "message": f"must be ≤ {app.max_amount} fen for this app"}],
        )
    check_url_syntax(request.notify_url, "notify_url", d.settings.allow_http_urls)
    check_url_syntax(request.return_url, "return_url", d.settings.allow_http_urls)


def create_session(
    d: Deps, app: MerchantApp, request: CreateCheckoutSessionRequest, api_domain: str
) -> tuple[int, CheckoutSession]:
    """201 with a new session; 200 with the same one when the same request is repeated; 409
    when its merchant_order_no already has a session made with other parameters."""
    _check(d, app, request)
    now = d.clock()
    session_id = "cs_" + ulid(now)
    session = CheckoutSession(
        session_id=session_id,
        merchant_id=app.merchant_id,
        app_id=app.app_id,
        amount=request.amount,
        currency=request.currency,
        subject=request.subject,
        merchant_order_no=request.merchant_order_no,
        notify_url=request.notify_url,
        return_url=request.return_url,
        methods=tuple(request.methods),
        created_at=now,
        expires_at=now + request.expires_in,
        request_hash=_request_hash(request),
        url=f"{page_base(d, api_domain)}/checkout/{session_id}",
    )
    try:
        sessions(d).create(session)
    except DuplicateSession as dup:
        existing = sessions(d).get(dup.session_id)
        if existing is None or dup.request_hash != session.request_hash:
            raise Conflict(
                "duplicate_merchant_order_no",
                f"merchant_order_no {request.merchant_order_no} already has a checkout session "
                "made with different parameters",
                details=[{"session_id": dup.session_id}],
            ) from None
        return 200, refresh(d, existing)
    return 201, session


def get_session(d: Deps, app: MerchantApp, session_id: str) -> CheckoutSession:
    session = sessions(d).get(session_id)
    if session is None or session.merchant_id != app.merchant_id:
        raise NotFound(f"no checkout session {session_id}")
    return refresh(d, session)


def current_payment(d: Deps, session: CheckoutSession) -> Payment | None:
    """The session's current attempt: by the id it recorded, else by the order number paymux
    gave it (a crash between creating the payment and recording it loses nothing)."""
    if session.payment_id:
        return d.payments.get(session.payment_id)
    if session.attempt:
        return d.payments.get_by_merchant_order_no(
            session.merchant_id, session.payment_order_no(session.attempt)
        )
    return None


def refresh(d: Deps, session: CheckoutSession) -> CheckoutSession:
    """An open session whose payment is paid is completed; one past its expiry is expired
    (closing its payment first). Errors leave it as it is for the next look (or the sweeper)."""
    if session.status != OPEN:
        return session
    try:
        payment = current_payment(d, session)
        if payment is not None and payment.status in PAID:
            return complete(d, session, payment)
        if d.clock() >= session.expires_at:
            return expire(d, session, payment)
    except PaymuxError as exc:
        log.info("checkout session %s left as it is: %s", session.session_id, exc.message)
    return session


def payment_paid(d: Deps, payment: Payment) -> None:
    """Called after a payment's SUCCESS transition committed: completes its session if the
    payment is the session's current attempt. Best effort: a failure is completed later by a
    read of the session or the sweeper."""
    session_id = payment.metadata.get("checkout_session", "")
    try:
        session = sessions(d).get(session_id) if session_id else None
        if session is not None and session.status == OPEN:
            current = current_payment(d, session)
            if current is not None and current.payment_id == payment.payment_id:
                complete(d, session, payment)
    except PaymuxError as exc:
        log.warning("checkout session %s not completed yet: %s", session_id, exc.message)
    except (BotoCoreError, ClientError) as exc:  # the payment is committed and handed off already
        log.warning("checkout session %s not completed yet: %s", session_id, type(exc).__name__)


def complete(d: Deps, session: CheckoutSession, payment: Payment) -> CheckoutSession:
    now = d.clock()
    changes = {"payment_id": payment.payment_id, "method": payment.method, "completed_at": now}
    return _transition(d, session, COMPLETED, changes, "checkout.session.completed")


def expire(d: Deps, session: CheckoutSession, payment: Payment | None) -> CheckoutSession:
    """Closes the open payment at the channel first (paymux.services.payments): one the payer
    paid meanwhile completes the session instead. ChannelUnavailable: nothing changed."""
    if payment is not None and payment.status in OPEN_PAYMENT_STATES:
        from paymux.services.payments import close_open_payment  # noqa: PLC0415 - the heavy path

        payment = close_open_payment(d, payment, actor="checkout_expiry")
        if payment.status in PAID:
            return complete(d, session, payment)
    return _transition(d, session, EXPIRED, {}, "checkout.session.expired")


def _transition(
    d: Deps, session: CheckoutSession, target: str, changes: dict[str, Any], event_type: str
) -> CheckoutSession:
    from paymux.checkout.models import session_public  # noqa: PLC0415 - pydantic: handlers only
    from paymux.services.notifications import hand_off  # noqa: PLC0415

    now = d.clock()
    notification_id = new_event_id(now)
    store = sessions(d)
    updated = replace(session, status=target, version=session.version + 1, **changes)
    payload = {
        "id": notification_id,
        "type": event_type,
        "created": int(now),
        "data": {"object": session_public(updated)},
    }
    outbox = notification_item(
        payment_id=session.session_id,
        notification_id=notification_id,
        merchant_id=session.merchant_id,
        app_id=session.app_id,
        event_type=event_type,
        notify_url=session.notify_url,
        payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        created_at=now,
    )
    try:
        store.transition(session, updated, outbox)
    except IllegalTransition:
        fresh = store.get(session.session_id)
        if fresh is None or fresh.status == OPEN:
            raise
        return fresh  # another writer settled it first: its event is the one sent
    hand_off(d, session.session_id, [notification_id])
    return updated
