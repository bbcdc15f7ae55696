"""Huifu 斗拱 request signing and answer/notify verification (RSA-SHA256, PKCS#1 v1.5).

What is signed (huifurepo/dg-python-sdk `dg_sdk/core/request_tools.py`, and
huifurepo/dg-payment-skills `references/shared-signing-v2.md`):
- a request: the `data` object with empty values dropped, its first-level keys in ASCII
  order, serialised as compact JSON (`,` and `:`, no spaces) with non-ASCII characters as
  they are (UTF-8); nested values are sent as JSON strings, so nothing below is re-sorted;
- a synchronous answer: its `data` canonicalised the same way, but with its empty values
  kept (the SDK's `verify_sign` sorts the answer as it came; only requests drop them);
- a notify: the `resp_data` string exactly as it arrived (no re-sorting, no re-serialising).
The signature is base64. Verification raises; it never returns "invalid"."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from paymux.errors import CallbackRejected, ConfigurationError


def canonical(data: Mapping[str, Any], *, drop_empty: bool = True) -> str:
    """The signed text of a request's `data` (empty values dropped, as the SDK's
    pop_empty_value does before signing), or of an answer's (`drop_empty` False: the SDK's
    verify_sign sorts the answer's data as it came, empty values included)."""
    kept = {k: v for k, v in data.items() if not drop_empty or (v is not None and v != "")}
    return json.dumps(dict(sorted(kept.items())), ensure_ascii=False, separators=(",", ":"))


def _private_key(pem: str) -> rsa.RSAPrivateKey:
    text = pem.strip()
    if "BEGIN" not in text:  # Huifu's console hands out the bare base64 of a PKCS#8 key
        text = "-----BEGIN PRIVATE KEY-----\n" + text + "\n-----END PRIVATE KEY-----"
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError("the Huifu merchant private key is not an RSA key (PEM/PKCS#8)") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError("the Huifu merchant private key is not an RSA key")
    return key


def _public_key(pem: str) -> rsa.RSAPublicKey:
    text = pem.strip()
    if "BEGIN" not in text:  # the bare base64 of an X.509 SubjectPublicKeyInfo
        text = "-----BEGIN PUBLIC KEY-----\n" + text + "\n-----END PUBLIC KEY-----"
    try:
        key = serialization.load_pem_public_key(text.encode())
    except (ValueError, TypeError) as exc:
        raise ConfigurationError("the Huifu public key is not an RSA public key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigurationError("the Huifu public key is not an RSA public key")
    return key


class SigningKey:
    """The merchant's (or service provider's) private key: signs every request's `data`."""

    def __init__(self, pem: str) -> None:
        self._key = _private_key(pem)

    def sign_text(self, text: str) -> str:
        signature = self._key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")

    def sign(self, data: Mapping[str, Any]) -> str:
        return self.sign_text(canonical(data))


class HuifuPublicKey:
    """Huifu's public key (one per sys_id, from its console): verifies answers and notifies."""

    def __init__(self, pem: str) -> None:
        self._key = _public_key(pem)

    def verify_text(self, text: str, signature: str) -> None:
        """Raises CallbackRejected (reason `signature`) unless `signature` signs `text`."""
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CallbackRejected("Huifu signature is not base64", reason="signature") from exc
        try:
            self._key.verify(raw, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as exc:
            raise CallbackRejected("Huifu signature does not verify", reason="signature") from exc

    def verify_data(self, data: Mapping[str, Any], signature: str) -> None:
        """An answer's `data`, as it came (empty values are part of what Huifu signed)."""
        self.verify_text(canonical(data, drop_empty=False), signature)
