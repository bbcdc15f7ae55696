"""Request signing, exactly as docs/authentication.md §1 specifies (sdk/testvectors/request_signing.json)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SCHEME = "PAYMUX-HMAC-SHA256"


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Six lines, each ending in \\n: scheme, METHOD, path?query as sent, timestamp, nonce, body hash."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{SCHEME}\n{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{digest}\n"


def signature(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def authorization(
    app_id: str, secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes
) -> str:
    """The Authorization header's value (the pairs in the documented order)."""
    signed = signature(secret, string_to_sign(method, path, timestamp, nonce, body))
    return f'{SCHEME} app_id="{app_id}",timestamp="{timestamp}",nonce="{nonce}",signature="{signed}"'


def new_nonce() -> str:
    """128 random bits in hex: new for every request, every retry included."""
    return secrets.token_hex(16)
