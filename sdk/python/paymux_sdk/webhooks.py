"""Verifying paymux notifications before trusting them.

    event = paymux_sdk.construct_event(request.body, request.headers["Paymux-Signature"], secret)

The header is `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`; each `v1` is HMAC-SHA256(secret,
"<t>.<raw body>"). During a secret rotation paymux sends one `v1` per valid secret, so any
match is enough. Process each event id once: a retried notification carries the same id."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from paymux_sdk.errors import SignatureVerificationError

DEFAULT_TOLERANCE = 300


def construct_event(
    payload: bytes | str,
    header: str,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> dict[str, Any]:
    """Returns the parsed event, or raises SignatureVerificationError. Pass the raw body exactly
    as received (re-serialised JSON will not verify)."""
    body = payload.encode() if isinstance(payload, str) else payload
    timestamp, signatures = _parse(header)
    current = time.time() if now is None else now
    if tolerance and abs(current - timestamp) > tolerance:
        raise SignatureVerificationError(f"timestamp is outside the {tolerance} s tolerance", header)
    expected = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise SignatureVerificationError("no signature matches the payload and secret", header)
    try:
        event: dict[str, Any] = json.loads(body)
    except ValueError as exc:
        raise SignatureVerificationError("the verified payload is not JSON", header) from exc
    return event


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureVerificationError("Paymux-Signature must carry t=… and at least one v1=…", header)
    return timestamp, signatures
