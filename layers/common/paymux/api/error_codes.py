"""Every error code the merchant API answers, as the error that answers it: its status and its
`Paymux-Should-Retry` / `Retry-After` come from the error class itself (paymux.errors), so the
table in docs/errors.md, which this module writes, cannot say other than what is answered.
tests/unit/test_error_codes.py keeps it complete (every code the OpenAPI lists, every literal
code the code raises) and the committed docs/errors.md equal to it.

Regenerate the committed copy:
    PYTHONPATH=layers/common .venv/bin/python -m paymux.api.error_codes > docs/errors.md"""

from __future__ import annotations

from paymux.api.http import RETRY_HEADER, retry_headers
from paymux.console.login import SignInRefused, SignInThrottled, SignInUnavailable, WeakPassword
from paymux.errors import (
    AuthenticationFailed,
    BadRequest,
    Busy,
    ChannelError,
    ChannelUnavailable,
    Conflict,
    InProgress,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    OutcomeNotKnown,
    PayerLimitExceeded,
    PayloadTooLarge,
    PaymuxError,
    UnsupportedMediaType,
    ValidationFailed,
)
from paymux.services.routes import RouteRefused
from paymux.services.routing import NoChannelAccount

# (the error as raised, when it is answered)
CATALOG: tuple[tuple[PaymuxError, str], ...] = (
    (BadRequest("-"), "the body cannot be read, or a method's required payer field is missing"),
    (ValidationFailed("-"), "a field, the body, a query parameter or the Idempotency-Key is invalid"),
    (PayerLimitExceeded("payer_daily_count_exceeded", "-"), "the payer's daily count limit is reached"),
    (PayerLimitExceeded("payer_daily_amount_exceeded", "-"), "the payer's daily amount limit is reached"),
    (AuthenticationFailed("missing_signature", "-"), "no Authorization header, or another scheme"),
    (AuthenticationFailed("malformed_signature", "-"), "the Authorization header is malformed"),
    (AuthenticationFailed("stale_request", "-"), "the timestamp is more than 300 s from paymux's clock"),
    (AuthenticationFailed("invalid_signature", "-"), "unknown app, or the signature does not verify"),
    (AuthenticationFailed("replayed_request", "-"), "this nonce was already used"),
    (NotFound("-"), "no such object, or another merchant's"),
    (MethodNotAllowed("-", allow=("GET",)), "the path is served with other methods (see Allow)"),
    (NotAcceptable("-"), "Accept allows neither JSON nor XML"),
    (PayloadTooLarge("-"), "the body is larger than 64 KiB"),
    (UnsupportedMediaType("-"), "the body is neither JSON nor XML, or not UTF-8"),
    (Conflict("idempotency_key_reused", "-"), "the Idempotency-Key was used with another request"),
    (InProgress("idempotency_key_in_use", "-"), "the first request with this Idempotency-Key still runs"),
    (Conflict("duplicate_merchant_order_no", "-"), "merchant_order_no was used with other parameters"),
    (Conflict("duplicate_merchant_refund_no", "-"), "merchant_refund_no was used with other parameters"),
    (Conflict("payment_not_closable", "-"), "the payment is SUCCESS, FAILED or REFUNDED"),
    (Conflict("payment_already_paid", "-"), "the payer paid before the close: the payment is SUCCESS"),
    (Conflict("payment_under_review", "-"), "the channel's answer disagrees, or a reversal awaits operators"),
    (OutcomeNotKnown("-"), "the channel cannot say yet whether the payer paid: close it later"),
    (Conflict("payment_not_refundable", "-"), "the payment is not SUCCESS"),
    (Conflict("notification_not_failed", "-"), "the notification is pending or delivered"),
    (ChannelError("-"), "the channel refused the request (a payment is then FAILED)"),
    (ChannelUnavailable("-"), "the channel could not be reached: nothing was decided"),
    (NoChannelAccount("-"), "no enabled channel account of yours offers the method"),
    (RouteRefused("-"), "the payment's channel account or binding is no longer configured"),
    (Busy("-"), "another write kept touching the same record: nothing was written"),
    (AuthenticationFailed("invalid_credentials", "-"), "console sign-in: wrong username or password"),
    (AuthenticationFailed("challenge_required", "-"), "console sign-in: Cognito asks for a challenge"),
    (AuthenticationFailed("session_expired", "-"), "console new password: the sign-in session expired"),
    (AuthenticationFailed("password_reset_required", "-"), "console sign-in: an administrator must reset it"),
    (WeakPassword("-"), "console new password: the pool's password policy refuses it"),
    (SignInRefused("-"), "console sign-in: another refusal of Cognito's (e.g. a parameter)"),
    (SignInThrottled("-"), "console sign-in: Cognito's request or failed-attempt limits"),
    (SignInUnavailable("-"), "console sign-in: Cognito itself failed"),
    (PaymuxError("-"), "an unexpected error; nothing about it is revealed"),
)

HEADER = """\
# Errors

Generated from `paymux.api.error_codes` (do not edit; see that module). Every error answer is
`{"error": {"code", "message", "details", "request_id"}}` (or its XML form) with the status
below, and carries `Paymux-Should-Retry`:

- `true`: the same request sent again, with the same `Idempotency-Key`, is safe and can succeed.
  `Retry-After` (seconds), when present, is the least wait.
- `false`: sending it again cannot succeed. Every 4xx an operation answers after claiming its
  `Idempotency-Key` is stored and replayed for that key, so a retry with the same key only gets
  the same answer again (with `Idempotent-Replayed: true`, and `Paymux-Should-Retry: false`).

Where the header is absent (an answer of API Gateway itself: 429 throttling, a 502/503/504 of a
function that timed out) the SDKs retry only connection errors and 502, 503 and 504.

| code | status | Paymux-Should-Retry | Retry-After | when |
|---|---|---|---|---|
"""


def marker(error: PaymuxError) -> tuple[str, str]:
    """(Paymux-Should-Retry, Retry-After or "") as paymux.api.http answers `error`."""
    headers = retry_headers(error)
    return headers[RETRY_HEADER], headers.get("Retry-After", "")


def retry_markers() -> dict[str, dict[str, set[str]]]:
    """code → {Paymux-Should-Retry → the Retry-After values it comes with ("" for none)}."""
    markers: dict[str, dict[str, set[str]]] = {}
    for error, _ in CATALOG:
        retry, after = marker(error)
        markers.setdefault(error.code, {}).setdefault(retry, set()).add(after)
    return markers


def render_table() -> str:
    rows = []
    for error, when in CATALOG:
        retry, after = marker(error)
        rows.append(f"| `{error.code}` | {error.status} | {retry} | {after or '-'} | {when} |")
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(render_table())
