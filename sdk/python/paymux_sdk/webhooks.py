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

from paymux_sdk.errors import SignatureVerificationError
from paymux_sdk.models import Event

DEFAULT_TOLERANCE = 300


def construct_event(
    payload: bytes | str,
    header: str,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Event:
    """The verified event (an Event; `event["type"]` reads the raw JSON too), or
    SignatureVerificationError. Pass the raw body exactly as received (re-serialised JSON will
    not verify)."""
    body = payload.encode() if isinstance(payload, str) else payload
    if not secret:
        raise SignatureVerificationError("an empty secret verifies nothing", header)
    timestamp, signatures = _parse(header)
    current = time.time() if now is None else now
    if tolerance and abs(current - timestamp) > tolerance:
        raise SignatureVerificationError(f"timestamp is outside the {tolerance} s tolerance", header)
    expected = _sign(secret, timestamp, body).encode()
    # bytes, not str: compare_digest raises TypeError on a non-ASCII str
    if not any(hmac.compare_digest(expected, s.encode("utf-8", "replace")) for s in signatures):
        raise SignatureVerificationError("no signature matches the payload and secret", header)
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise SignatureVerificationError("the verified payload is not JSON", header) from exc
    if not isinstance(data, dict):
        raise SignatureVerificationError("the verified payload is not a JSON object", header)
    return Event.from_dict(data)


def generate_test_header(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """A `Paymux-Signature` value for `payload`, as paymux signs it: for your own tests."""
    body = payload.encode() if isinstance(payload, str) else payload
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={stamp},v1={_sign(secret, stamp, body)}"


def _sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def _parse(header: str) -> tuple[int, list[str]]:
    timestamps: list[int] = []
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamps.append(int(value))
        elif key == "v1" and value:
            signatures.append(value)
    if len(timestamps) != 1 or not signatures:
        raise SignatureVerificationError("Paymux-Signature must carry one t=… and at least one v1=…", header)
    return timestamps[0], signatures
