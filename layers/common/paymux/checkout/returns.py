""" "Back to the merchant": the session's return_url with a signed query.

    paymux_session_id, paymux_merchant_order_no, paymux_payment_id, paymux_status, paymux_timestamp
    paymux_signature = hex(HMAC-SHA256(app secret, string to sign))
    string to sign   = the five `name=value` pairs above, in that order, joined with "&"

The values are from fixed alphabets (ids, merchant order numbers, status words, digits), so the
string to sign is the query's own text. `paymux_status` is `paid`, `expired` or `open` (the
payer went back without paying). A landing page trusts it only when the signature verifies and
the timestamp is fresh, or else asks GET /v1/checkout/sessions/{id} (docs/checkout.md;
sdk/python `verify_return`)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode, urlsplit, urlunsplit

from paymux.errors import AuthenticationFailed

FIELDS = (
    "paymux_session_id",
    "paymux_merchant_order_no",
    "paymux_payment_id",
    "paymux_status",
    "paymux_timestamp",
)
TOLERANCE_SECONDS = 300


def string_to_sign(values: dict[str, str]) -> str:
    return "&".join(f"{name}={values.get(name, '')}" for name in FIELDS)


def signature(secret: str, values: dict[str, str]) -> str:
    return hmac.new(secret.encode(), string_to_sign(values).encode(), hashlib.sha256).hexdigest()


def signed_return_url(return_url: str, secret: str, values: dict[str, str]) -> str:
    """`return_url` with the signed query added after its own (its fragment kept last)."""
    query = urlencode(
        {**{name: values.get(name, "") for name in FIELDS}, "paymux_signature": signature(secret, values)}
    )
    parts = urlsplit(return_url)
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, joined, parts.fragment))


def verify_return(secrets: list[str], query: dict[str, str], now: float) -> dict[str, str]:
    """The verified values; AuthenticationFailed when the signature does not verify with any
    of the app's keys or the timestamp is not within TOLERANCE_SECONDS of now."""
    given = query.get("paymux_signature", "")
    given_bytes = given.lower().encode()  # bytes: compare_digest refuses non-ASCII str (TypeError)
    if not any(hmac.compare_digest(signature(s, query).encode(), given_bytes) for s in secrets):
        raise AuthenticationFailed("invalid_signature", "the return signature does not verify")
    stamp = query.get("paymux_timestamp", "")
    if not stamp.isdigit() or abs(int(stamp) - now) > TOLERANCE_SECONDS:
        raise AuthenticationFailed("stale_request", "the return timestamp is not fresh")
    return {name: query.get(name, "") for name in FIELDS}
