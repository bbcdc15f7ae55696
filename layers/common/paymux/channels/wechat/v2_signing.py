"""WeChat Pay API v2 signatures (付款码支付 and its reverse): HMAC-SHA256 with the merchant's
API v2 key (32 characters, set in the merchant portal; not the APIv3 key).

The string signed: every field but `sign` whose value is not empty, sorted by name (ASCII),
joined `k=v&…`, then `&key=<API v2 key>`; HMAC-SHA256 keyed with the API v2 key, as upper-case
hex. `sign_type=HMAC-SHA256` is itself a signed field. Answers are signed the same way: an
answer whose sign is missing or wrong is never believed (`verify` raises)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from paymux.errors import CallbackRejected

SIGN_TYPE = "HMAC-SHA256"
KEY_LENGTH = 32


def check_key(key: str) -> bytes:
    """The API v2 key as bytes; ValueError unless it is the portal's 32 ASCII characters."""
    if len(key) != KEY_LENGTH or not key.isascii() or not key.isalnum():
        raise ValueError("the WeChat Pay API v2 key is 32 letters and digits")
    return key.encode("ascii")


def signed_string(fields: Mapping[str, str], key: bytes) -> bytes:
    pairs = sorted((k, v) for k, v in fields.items() if k != "sign" and v != "")
    return ("&".join(f"{k}={v}" for k, v in pairs) + "&key=").encode("utf-8") + key


def sign(fields: Mapping[str, str], key: bytes) -> str:
    return hmac.new(key, signed_string(fields, key), hashlib.sha256).hexdigest().upper()


def signed(fields: Mapping[str, str], key: bytes) -> dict[str, str]:
    """`fields` with sign_type HMAC-SHA256 and their sign."""
    out = {**fields, "sign_type": SIGN_TYPE}
    out["sign"] = sign(out, key)
    return out


def verify(fields: Mapping[str, str], key: bytes) -> None:
    given = fields.get("sign", "")
    if not given:
        raise CallbackRejected("WeChat Pay v2 answer is not signed", reason="signature")
    if not hmac.compare_digest(given.upper(), sign(fields, key)):
        raise CallbackRejected("WeChat Pay v2 answer signature does not verify", reason="signature")
