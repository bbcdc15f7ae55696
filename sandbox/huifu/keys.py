"""RSA keys of the Huifu sandbox and of the merchants (sys_ids) that call it, and the
signature Huifu uses: SHA256withRSA (PKCS#1 v1.5), base64, over the compact JSON of `data`
with its first-level keys in ASCII order (a request's without its empty values, an answer's as
it is), or over the notify's resp_data text as sent. Written here with `cryptography` directly: the sandbox
shares no code with paymux's adapter."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def sorted_json(data: Mapping[str, Any], *, drop_empty: bool = True) -> str:
    """A request's signed text (empty values dropped); an answer's with `drop_empty` False."""
    kept = {k: v for k, v in data.items() if not drop_empty or (v is not None and v != "")}
    return json.dumps({k: kept[k] for k in sorted(kept)}, ensure_ascii=False, separators=(",", ":"))


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign_text(key: rsa.RSAPrivateKey, text: str) -> str:
    return base64.b64encode(key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()


def verifies(key: rsa.RSAPublicKey, text: str, signature: str) -> bool:
    try:
        key.verify(
            base64.b64decode(signature, validate=True), text.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


@dataclass
class GeneratedSysId:
    """A Huifu sys_id (a merchant's own huifu_id, or a service provider's) with its RSA key
    pair and the product number Huifu assigned it."""

    sys_id: str
    product_id: str
    key: rsa.RSAPrivateKey = field(repr=False)

    @property
    def private_key_pem(self) -> bytes:
        return private_pem(self.key)

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.key.public_key()


def generate_sys_id(sys_id: str, product_id: str = "PAYMUX") -> GeneratedSysId:
    return GeneratedSysId(sys_id, product_id, new_key())
