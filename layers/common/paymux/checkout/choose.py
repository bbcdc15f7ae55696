"""The payer chooses a method: one payment per session at a time.

The previous attempt is closed at the channel first when the payer was shown how to pay it (a
QR code, a redirect, JSAPI parameters): then choosing another method cannot lead to two
payments. One the payer never saw (its create failed or is unknown: no code reached anyone)
cannot be paid and is left to the sweeper. Every write is conditional on the session's
version: the previous attempt is closed only after a write claiming the session with it as the
current payment, and a new payment is shown only when recording it on the session succeeds, so
two concurrent choices never start two payments, nor show one the other tab closed. The
payment's merchant_order_no is `<session_id>.<attempt>`, so a repeated create of the same
attempt is the same payment (paymux.services.payments)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from paymux.checkout.sessions import PAID, complete, current_payment, refresh, sessions
from paymux.checkout.usage import record_choice
from paymux.deps import Deps
from paymux.domain.methods import REQUIRED_INPUTS
from paymux.domain.payment import Payment
from paymux.domain.states import OPEN_PAYMENT_STATES
from paymux.errors import (
    ChannelError,
    ChannelUnavailable,
    Conflict,
    Gone,
    IllegalTransition,
    NotFound,
    ValidationFailed,
)
from paymux.store.checkout_sessions import OPEN, CheckoutSession

MAX_ATTEMPTS = 20
MIN_SECONDS_LEFT = 60  # a payment's shortest expiry


@dataclass(frozen=True, slots=True)
class PayerContext:
    """What the page knows of the payer: the kind of device and wallet (paymux.checkout.wallet),
    the IP API Gateway saw, and a user id from a wallet's OAuth with the app it belongs to
    (`appid`: the payment is routed to that app only)."""

    device: str  # "mobile" | "desktop"
    wallet: str  # "wechat" | "alipay" | "unionpay" | ""
    client_ip: str = ""
    h5_type: str = "Wap"
    openid: str = ""
    appid: str = ""


def open_session(d: Deps, session_id: str) -> CheckoutSession:
    """The session a payer may act on: NotFound (404) or Gone (410) otherwise."""
    session = sessions(d).get(session_id)
    if session is None:
        raise NotFound("no such checkout session")
    session = refresh(d, session)
    if session.status == OPEN and d.clock() >= session.expires_at:
        raise Gone("checkout_session_expired", "this checkout session has expired")
    if session.status != OPEN:
        raise Gone(f"checkout_session_{session.status}", f"this checkout session is {session.status}")
    return session


def choose(d: Deps, session: CheckoutSession, method: str, payer: PayerContext, api_domain: str) -> Payment:
    """The payment the payer pays with `method`: the current one when it is already that
    method's (nothing new is created), else a new attempt after closing the current one."""
    if method not in session.methods:
        raise ValidationFailed(
            "this method is not offered by the checkout session",
            details=[{"field": "method", "message": f"{method} is not allowed for this session"}],
        )
    if "payer.openid" in REQUIRED_INPUTS.get(method, ()) and not payer.openid:
        raise ValidationFailed(  # before any write: a JSAPI starts from the wallet's authorization
            f"{method} starts from the wallet's authorization",
            details=[{"field": "method", "message": f"{method} needs the payer's id in the app"}],
        )
    payment = current_payment(d, session)
    if payment is not None and payment.status in PAID:
        complete(d, session, payment)
        raise Gone("checkout_session_completed", "this checkout session is already paid")
    if payment is not None and payment.status in OPEN_PAYMENT_STATES and payment.action:
        if payment.method == method and payment.payer.get("openid", "") == payer.openid:
            return payment  # the same choice again (a reload, a double click): the same payment
        previous = payment.payment_id
        session = _claim(d, session, lambda s: sessions(d).set_payment(s, previous))
        payment = _close_previous(d, session, payment)
    if session.attempt >= MAX_ATTEMPTS:
        raise Conflict("checkout_attempts_exhausted", "too many attempts for this checkout session")
    seconds_left = int(session.expires_at - d.clock())
    if seconds_left < MIN_SECONDS_LEFT:
        raise Gone("checkout_session_expired", "this checkout session has expired")
    session = _claim(d, session, lambda s: sessions(d).start_attempt(s, method))
    created = _create(d, session, method, payer, seconds_left, api_domain)
    _claim(d, session, lambda s: sessions(d).set_payment(s, created.payment_id))  # else not shown
    record_choice(d, session.merchant_id, payer.device, method)
    return created


def _claim(
    d: Deps, session: CheckoutSession, write: Callable[[CheckoutSession], CheckoutSession]
) -> CheckoutSession:
    """The session after `write`, conditional on the version read: a choice made meanwhile in
    another tab wins, and this one changes nothing more (409)."""
    try:
        return write(session)
    except IllegalTransition as exc:
        raise Conflict("checkout_session_busy", "another choice is being made; try again") from exc


def _close_previous(d: Deps, session: CheckoutSession, payment: Payment) -> Payment:
    from paymux.services.payments import close_open_payment  # noqa: PLC0415

    try:
        closed = close_open_payment(d, payment, actor="checkout_switch")
    except ChannelUnavailable as exc:  # its channel cannot say it is closed: nothing new starts
        raise Conflict(
            "checkout_switch_pending", "the previous payment is not closed yet; try again"
        ) from exc
    if closed.status in PAID:
        complete(d, session, closed)
        raise Gone("checkout_session_completed", "this checkout session is already paid")
    return closed


def _create(
    d: Deps, session: CheckoutSession, method: str, payer: PayerContext, expires_in: int, api_domain: str
) -> Payment:
    from paymux.api.models import CreatePaymentRequest  # noqa: PLC0415 - pydantic: handlers only
    from paymux.services.payments import create_payment  # noqa: PLC0415

    app = d.merchants.app(session.app_id)
    if app is None or not app.active:
        raise Gone("checkout_session_merchant_inactive", "the merchant no longer takes payments")
    given = {"openid": payer.openid, "client_ip": payer.client_ip}
    request = CreatePaymentRequest(
        amount=session.amount,
        currency=session.currency,
        method=method,
        subject=session.subject,
        merchant_order_no=session.payment_order_no(session.attempt),
        notify_url=session.notify_url,
        return_url=session.url,  # back from a channel's page to the checkout page, which tells
        expires_in=expires_in,
        payer={
            **{k: v for k, v in given.items() if v},
            **({"h5_type": payer.h5_type} if method == "wechat.h5" else {}),
        },
        metadata={"checkout_session": session.session_id, "merchant_order_no": session.merchant_order_no},
    )
    try:
        _, payment = create_payment(d, app, request, api_domain, payer.appid)
    except ChannelError as exc:
        # The payment was written (PENDING with its outcome unknown, or FAILED); the session
        # keeps it as its current attempt, which nobody was shown how to pay.
        failed = next((x["payment_id"] for x in exc.details if "payment_id" in x), "")
        if failed:
            sessions(d).set_payment(session, failed)
        raise
    return payment
