"""The payer's HTML endpoints: events in (paymux.api.http.parse_event), pages out, with every
typed error shown as a page in the payer's language (404 unknown, 410 expired or completed,
422 a refused choice) and anything unexpected as a plain error page that reveals nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from paymux.api.http import Request, parse_event
from paymux.checkout.page import Frame, Page, message_page
from paymux.checkout.wallet import language_of
from paymux.errors import BadRequest, Gone, NotFound, PayloadTooLarge, PaymuxError, UnsupportedMediaType

log = logging.getLogger("paymux")
MAX_FORM_BYTES = 2048
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the session id and WeChat's code stay on this page
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True, slots=True)
class WithCookie:
    """A page or a redirect that also sets a cookie (the OAuth nonce, paymux.checkout.oauth_state)."""

    answer: Page | str
    set_cookie: str


# a page, or the Location of a 303 (302 for WeChat's authorize URL), maybe with a cookie
Answer = Page | str | WithCookie


def html_response(page: Page) -> dict[str, Any]:
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": page.csp,
        **SECURITY_HEADERS,
    }
    return {"statusCode": page.status, "headers": headers, "body": page.html, "isBase64Encoded": False}


def redirect_response(location: str, status: int = 303) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Location": location, **SECURITY_HEADERS},
        "body": "",
        "isBase64Encoded": False,
    }


def lang_of(request: Request) -> str:
    return language_of(request.query.get("lang", ""), request.header("accept-language"))


def form_values(request: Request) -> dict[str, str]:
    """A small urlencoded form body (the page's own forms): 415 for another type, 413 over
    MAX_FORM_BYTES, 400 for text that is not UTF-8."""
    kind = request.header("content-type").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("the page posts application/x-www-form-urlencoded")
    if len(request.body) > MAX_FORM_BYTES:
        raise PayloadTooLarge(f"a form over {MAX_FORM_BYTES} bytes")
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("the form is not UTF-8") from exc
    try:
        return dict(parse_qsl(text, keep_blank_values=True, max_num_fields=8))
    except ValueError as exc:  # more fields than any of the page's forms has
        raise BadRequest("the form has more fields than the page sends") from exc


def _error_page(exc: PaymuxError, lang: str, path: str) -> Page:
    frame = Frame(lang, None)
    if isinstance(exc, NotFound):
        return message_page(frame, "not_found_title", "not_found", 404, path)
    if isinstance(exc, Gone):
        text = "completed_page" if exc.code == "checkout_session_completed" else "expired_page"
        return message_page(frame, "gone_title", text, 410, path)
    if exc.status == 429:
        return message_page(frame, "error_title", "too_many", 429, path)
    if exc.status == 422 and any(d.get("field") == "amount" for d in exc.details):
        return message_page(frame, "error_title", "bad_amount", 422, path)
    if 400 <= exc.status < 500:
        return message_page(
            frame, "error_title", "refused" if exc.status == 422 else "error", exc.status, path
        )
    return message_page(frame, "error_title", "error", 503, path)


def handle_page(operation: Callable[[Request, str], Answer], event: dict[str, Any]) -> dict[str, Any]:
    path = str(event.get("rawPath") or "/")
    lang = "zh-CN"
    try:
        request = parse_event(event)
        lang = lang_of(request)
        answer = operation(request, lang)
    except PaymuxError as exc:
        if exc.status >= 500:
            log.warning("checkout page: %s %s", exc.code, exc.message)
        return html_response(_error_page(exc, lang, path))
    except Exception:
        log.exception("unhandled error on the checkout page")
        return html_response(_error_page(PaymuxError("internal error"), lang, path))
    cookies = [answer.set_cookie] if isinstance(answer, WithCookie) else []
    if isinstance(answer, WithCookie):
        answer = answer.answer
    if isinstance(answer, str):
        response = redirect_response(answer, 302 if "#wechat_redirect" in answer else 303)
    else:
        response = html_response(answer)
    return {**response, "cookies": cookies} if cookies else response
