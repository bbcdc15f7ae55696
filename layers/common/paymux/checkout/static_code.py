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
from paymux.checkout.web import Answer, form_values
from paymux.deps import Deps
from paymux.domain.ids import ulid
from paymux.errors import NotFound, ValidationFailed
from paymux.store.merchants import MerchantApp, StaticCode

APP_ID = re.compile(r"app_[0-9A-Za-z_]{1,60}")
AMOUNT = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,2})?")
SESSION_SECONDS = 1800  # the shortest a session lives: the payer is at the counter


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
    """POST /pay/{app_id} (amount=…): a new session for that amount, then its page."""
    from paymux.checkout.models import CreateCheckoutSessionRequest  # noqa: PLC0415 - pydantic
    from paymux.checkout.sessions import create_session  # noqa: PLC0415

    app, code = _code(d, request)
    fen = amount_fen(form_values(request).get("amount", ""), min(code.max_amount, app.max_amount))
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
    # a followed link, not a 303: inside a wallet the session's page goes on to the wallet's
    # authorization, which the form's CSP form-action would block in a redirect chain
    frame = pages.Frame(lang, app, session)
    link = pages.redirect_view(frame, f"/checkout/{session.session_id}?via=qr&lang={lang}")
    return pages.render(frame, link, path=f"/checkout/{session.session_id}")
