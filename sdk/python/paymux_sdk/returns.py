"""Verifying the checkout's "back to the merchant" redirect before trusting it.

    values = paymux_sdk.verify_return(request.query_string, secret)

paymux adds paymux_session_id, paymux_merchant_order_no, paymux_payment_id, paymux_status and
paymux_timestamp to your return_url, and paymux_signature = hex(HMAC-SHA256(secret, the five
`name=value` pairs in that order joined with "&")). Show "paid" only for a verified, fresh
`paymux_status=paid`; fulfil the order from the checkout.session.completed notification (or
GET /v1/checkout/sessions/{id}), never from the landing page alone (docs/checkout.md)."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import parse_qsl

from paymux_sdk.errors import SignatureVerificationError

FIELDS = (
    "paymux_session_id",
    "paymux_merchant_order_no",
    "paymux_payment_id",
    "paymux_status",
    "paymux_timestamp",
)
DEFAULT_TOLERANCE = 300


def verify_return(
    query: str | dict[str, str], secret: str, tolerance: int = DEFAULT_TOLERANCE, now: float | None = None
) -> dict[str, str]:
    """The five verified values, or SignatureVerificationError (tampered, unsigned or stale, or a
    paymux_ parameter given twice). Pass the raw query string: a framework's dict of it may
    already have dropped a repeated parameter."""
    if not secret:
        raise SignatureVerificationError("an empty secret verifies nothing")
    values = _values(query) if isinstance(query, str) else dict(query)
    signed = "&".join(f"{name}={values.get(name, '')}" for name in FIELDS)
    expected = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
    given = values.get("paymux_signature", "").lower().encode()  # bytes: non-ASCII str is a TypeError
    if not hmac.compare_digest(expected.encode(), given):
        raise SignatureVerificationError("the return signature does not match", signed)
    stamp = values.get("paymux_timestamp", "")
    current = time.time() if now is None else now
    if not stamp.isdigit() or (tolerance and abs(current - int(stamp)) > tolerance):
        raise SignatureVerificationError(
            f"the return timestamp is outside the {tolerance} s tolerance", signed
        )
    return {name: values.get(name, "") for name in FIELDS}


def _values(query: str) -> dict[str, str]:
    """The paymux_ parameters of a query string (the merchant's own are ignored, however odd)."""
    values: dict[str, str] = {}
    for name, value in parse_qsl(query.removeprefix("?"), keep_blank_values=True):
        if not name.startswith("paymux_"):
            continue
        if name in values:
            raise SignatureVerificationError(f"{name} is given more than once")
        values[name] = value
    return values
