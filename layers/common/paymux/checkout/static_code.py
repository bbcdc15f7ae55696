"""The static per-merchant code (收款码): one printed code per merchant app, `/pay/{app_id}`,
where the payer types the amount. Posting it makes a checkout session on the fly, with the
limits and settings the merchant configured server-side (MerchantApp.static_code: at most its
`max_amount` and the app's own, its methods, notify_url and return_url), then sends the payer
to that session's page (`?via=qr`: inside a wallet its own method starts at once). The payer
chooses nothing but the amount: a typed 4xx page for anything else, and nothing is written."""

from __future__ import annotations

import re
from decimal import Decimal

from paymux.api.http import Request
from paymux.checkout import page as pages
from paymux.checkout.sessions import sessions
from paymux.checkout.web import Answer, form_values
from paymux.deps import Deps
from paymux.domain.ids import ulid
from paymux.errors import NotFound, RateLimited, ValidationFailed
from paymux.store.checkout_sessions import OPEN
from paymux.store.merchants import MerchantApp, StaticCode
from paymux.store.static_code_limits import StaticCodeLimits

APP_ID = re.compile(r"app_[0-9A-Za-z_]{1,60}")
AMOUNT = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,2})?")
SESSION_SECONDS = 1800  # the shortest a session lives: the payer is at the counter
REUSE_LEFT_SECONDS = 600  # a session offered again still leaves the payer this long


def _code(d: Deps, request: Request) -> tuple[MerchantApp, StaticCode]:
    app = d.merchants.app(request.path_id("app_id", APP_ID))
    if app is None or not app.active or app.static_code is None:
        raise NotFound("no such payment code")
    return app, app.static_code


def amount_fen(text: str, limit: int) -> int:
    """Yuan as typed (`12`, `12.5`, `12.50`) → fen, from 1 to `limit`; ValidationFailed else."""
    cleaned = text.strip().removeprefix("¥").strip()
    if not AMOUNT.fullmatch(cleaned):
        raise ValidationFailed(
            "the amount is not a number of yuan", details=[{"field": "amount", "message": "e.g. 12.50"}]
        )
    fen = int(Decimal(cleaned) * 100)
    if not 1 <= fen <= limit:
        raise ValidationFailed(
            "the amount is out of range",
            details=[{"field": "amount", "message": f"from 0.01 to {limit / 100:.2f} yuan"}],
        )
    return fen


def code_page(d: Deps, request: Request, lang: str) -> Answer:
    """GET /pay/{app_id}: the merchant and a field for the amount."""
    app, _ = _code(d, request)
    frame = pages.Frame(lang, app)
    path = f"/pay/{app.app_id}"
    return pages.render(frame, pages.amount_form(frame, f"{path}?lang={lang}"), path=path)


def pay_amount(d: Deps, request: Request, lang: str) -> Answer:
    """POST /pay/{app_id} (amount=…): a session for that amount (a new one, or the one this
    address was just given), then its page."""
    app, code = _code(d, request)
    fen = amount_fen(form_values(request).get("amount", ""), min(code.max_amount, app.max_amount))
    limits = StaticCodeLimits(d.dynamodb, d.settings.table)
    session_id = _reusable(d, limits, app, fen, request.source_ip) or _new_session(
        d, limits, request, app, code, fen
    )
    # a followed link, not a 303: inside a wallet the session's page goes on to the wallet's
    # authorization, which the form's CSP form-action would block in a redirect chain
    session = sessions(d).get(session_id)
    frame = pages.Frame(lang, app, session)
    link = pages.redirect_view(frame, f"/checkout/{session_id}?via=qr&lang={lang}")
    return pages.render(frame, link, path=f"/checkout/{session_id}")


def _reusable(d: Deps, limits: StaticCodeLimits, app: MerchantApp, fen: int, source_ip: str) -> str:
    """The open session last made for this amount from this address, untouched by any payment."""
    code = app.static_code
    seconds = code.reuse_seconds if code is not None else 0
    session_id = limits.reusable(app.app_id, fen, source_ip, d.clock(), seconds)
    session = sessions(d).get(session_id) if session_id else None
    if session is None or session.status != OPEN or session.payment_id or session.attempt:
        return ""
    return session_id if session.expires_at - d.clock() >= REUSE_LEFT_SECONDS else ""


def _new_session(
    d: Deps, limits: StaticCodeLimits, request: Request, app: MerchantApp, code: StaticCode, fen: int
) -> str:
    """A new session for `fen`, counted in the code's per-minute limit (RateLimited past it)."""
    from paymux.checkout.models import CreateCheckoutSessionRequest  # noqa: PLC0415 - pydantic
    from paymux.checkout.sessions import create_session  # noqa: PLC0415

    if not limits.claim_session(app.app_id, d.clock(), code.sessions_per_minute):
        raise RateLimited("this payment code made too many sessions this minute")
    methods = [m for m in code.methods if not app.methods or m in app.methods]
    body = CreateCheckoutSessionRequest(
        amount=fen,
        currency="CNY",
        subject=code.subject or app.name or app.merchant_id,
        merchant_order_no=f"SC-{ulid(d.clock())}",
        notify_url=code.notify_url,
        return_url=code.return_url,
        methods=methods,
        expires_in=SESSION_SECONDS,
    )
    _, session = create_session(d, app, body, request.domain)
    limits.remember(app.app_id, fen, request.source_ip, session.session_id, d.clock(), code.reuse_seconds)
    return session.session_id
