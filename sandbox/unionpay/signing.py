"""signMethod 01 for version 5.1.0, written for the sandbox (it shares no code with paymux).

The sign string is every field but ``signature``, sorted by key, joined ``k=v&…`` with raw
values. The RSA signature (PKCS#1 v1.5, SHA-256) is over the *lowercase hex text* of the
SHA-256 of that string, not over the string itself; base64 on the wire.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def sign_string(fields: Mapping[str, str]) -> str:
    return "&".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "signature")


def _digest_hex(fields: Mapping[str, str]) -> bytes:
    return hashlib.sha256(sign_string(fields).encode("utf-8")).hexdigest().encode("ascii")


def sign(fields: Mapping[str, str], key: rsa.RSAPrivateKey) -> str:
    raw = key.sign(_digest_hex(fields), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def verifies(fields: Mapping[str, str], key: rsa.RSAPublicKey) -> bool:
    try:
        raw = base64.b64decode(fields.get("signature", ""), validate=True)
        key.verify(raw, _digest_hex(fields), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
