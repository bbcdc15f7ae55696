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
_PARAM = re.compile(r'(\w+)="([^"]*)"')
_NONCE = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")


def string_to_sign(method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()
    return f"{SCHEME}\n{method.upper()}\n{path_with_query}\n{timestamp}\n{nonce}\n{digest}\n"


def sign(secret: str, method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = string_to_sign(method, path_with_query, timestamp, nonce, body)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def authenticate(request: Request, merchants: MerchantStore, nonces: NonceStore, now: float) -> MerchantApp:
    header = request.header("authorization")
    scheme, _, rest = header.partition(" ")
    if scheme != SCHEME:
        raise AuthenticationFailed("missing_signature", f"Authorization must use {SCHEME}")
    params = dict(_PARAM.findall(rest))
    app_id, timestamp, nonce, signature = (
        params.get(k, "") for k in ("app_id", "timestamp", "nonce", "signature")
    )
    if not (app_id and timestamp and nonce and signature):
        raise AuthenticationFailed(
            "malformed_signature", "app_id, timestamp, nonce and signature are required"
        )
    if not timestamp.isdigit() or abs(int(timestamp) - now) > TOLERANCE_SECONDS:
        raise AuthenticationFailed("stale_request", f"timestamp must be within {TOLERANCE_SECONDS} s of now")
    if not _NONCE.match(nonce):
        raise AuthenticationFailed("malformed_signature", "nonce must be 16-64 characters [A-Za-z0-9_-]")
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
