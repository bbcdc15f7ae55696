"""Merchant request authentication: HMAC-SHA256, 300 s freshness, one-time nonces.

    Authorization: PAYMUX-HMAC-SHA256 app_id="app_…",timestamp="1700000000",nonce="…",signature="<hex>"

    string to sign = "PAYMUX-HMAC-SHA256\\n" METHOD "\\n" PATH[?QUERY] "\\n" TIMESTAMP "\\n"
                     NONCE "\\n" hex(SHA-256(body)) "\\n"
    signature      = hex(HMAC-SHA256(app secret, string to sign))

docs/authentication.md is the normative description; sdk/ and tests share its test vector."""

from __future__ import annotations

import hashlib
import hmac
import re

from paymux.api.http import Request
from paymux.errors import AuthenticationFailed
from paymux.store.merchants import MerchantApp, MerchantStore
from paymux.store.nonces import NonceStore

SCHEME = "PAYMUX-HMAC-SHA256"
TOLERANCE_SECONDS = 300
MAX_HEADER_LENGTH = 1024  # a valid header is ~200 characters
PARAMS = ("app_id", "timestamp", "nonce", "signature")
# One pair: a name and a quoted value of a fixed alphabet. Every part is anchored and each
# character class is disjoint from what follows it, so matching is linear (no backtracking).
_PAIR = re.compile(r'([a-z_]{1,16})="([A-Za-z0-9_\-]{0,128})"')
_VALUES = {
    "app_id": re.compile(r"[A-Za-z0-9_\-]{1,64}"),
    "timestamp": re.compile(r"[0-9]{1,12}"),
    "nonce": re.compile(r"[A-Za-z0-9_\-]{16,64}"),
    "signature": re.compile(r"[0-9a-fA-F]{64}"),
}


def _malformed(message: str) -> AuthenticationFailed:
    return AuthenticationFailed("malformed_signature", message)


def parse_authorization(header: str) -> dict[str, str]:
    """The four pairs of a PAYMUX-HMAC-SHA256 header, each exactly once, in any order, comma
    separated (a space after a comma is allowed), nothing else. Linear in the header's length,
    which is capped first: anything else is 401 malformed_signature before any lookup."""
    scheme, _, rest = header.partition(" ")
    if scheme != SCHEME:
        raise AuthenticationFailed("missing_signature", f"Authorization must use {SCHEME}")
    if len(header) > MAX_HEADER_LENGTH:
        raise _malformed(f"the Authorization header is longer than {MAX_HEADER_LENGTH} characters")
    parts = rest.split(",")
    if len(parts) != len(PARAMS):
        raise _malformed("app_id, timestamp, nonce and signature are required, each once")
    params: dict[str, str] = {}
    for part in parts:
        found = _PAIR.fullmatch(part.removeprefix(" "))
        if found is None or found.group(1) not in _VALUES or found.group(1) in params:
            raise _malformed("app_id, timestamp, nonce and signature are required, each once")
        params[found.group(1)] = found.group(2)
    for name, grammar in _VALUES.items():
        if not grammar.fullmatch(params[name]):
            raise _malformed(f"{name} has the wrong form (see docs/authentication.md)")
    return params


def string_to_sign(method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()
    return f"{SCHEME}\n{method.upper()}\n{path_with_query}\n{timestamp}\n{nonce}\n{digest}\n"


def sign(secret: str, method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = string_to_sign(method, path_with_query, timestamp, nonce, body)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def authenticate(request: Request, merchants: MerchantStore, nonces: NonceStore, now: float) -> MerchantApp:
    params = parse_authorization(request.header("authorization"))
    app_id, timestamp, nonce, signature = (params[k] for k in PARAMS)
    if abs(int(timestamp) - now) > TOLERANCE_SECONDS:
        raise AuthenticationFailed("stale_request", f"timestamp must be within {TOLERANCE_SECONDS} s of now")
    app = merchants.app(app_id)
    keys = merchants.signing_keys(app_id) if app else []
    if app is None or not app.active or not keys:
        raise AuthenticationFailed("invalid_signature", "signature does not verify")
    expected = [
        sign(k.secret, request.method, request.path_with_query, timestamp, nonce, request.body) for k in keys
    ]
    if not any(hmac.compare_digest(e, signature.lower()) for e in expected):
        raise AuthenticationFailed("invalid_signature", "signature does not verify")
    # Claimed only after the signature verifies, so nobody can burn another merchant's nonces.
    if not nonces.claim(app_id, nonce, now):
        raise AuthenticationFailed("replayed_request", "this nonce was already used")
    return app
