"""RSA2 as Alipay uses it: RSASSA-PKCS1-v1_5 with SHA-256 over a ``k=v&…`` text, base64.

Two sign-content rules (PROTOCOLS.md §2.2, §2.5):

* requests (merchant → Alipay): every parameter but ``sign``; ``sign_type`` is kept;
* notifications and page returns (Alipay → merchant): every field but ``sign`` and
  ``sign_type``.

Both drop empty values, sort keys in ASCII order and join raw (not URL-encoded) values.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import string
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_ALNUM_LOWER = string.ascii_lowercase + string.digits


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    """PKCS#8 PEM (``BEGIN PRIVATE KEY``), what Alipay's key tool calls the PKCS8 format."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("an Alipay application key must be RSA")
    return key


def sign_content(params: Mapping[str, str], exclude: frozenset[str]) -> str:
    """``k1=v1&k2=v2…``: keys in ASCII order, empty values and ``exclude`` dropped."""
    return "&".join(f"{key}={params[key]}" for key in sorted(params) if key not in exclude and params[key])


REQUEST_EXCLUDED = frozenset({"sign"})
NOTIFY_EXCLUDED = frozenset({"sign", "sign_type"})


def rsa2_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def rsa2_verify(key: rsa.RSAPublicKey, message: bytes, signature_b64: str) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def random_digits(length: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(length))


def random_lower_alnum(length: int) -> str:
    return "".join(secrets.choice(_ALNUM_LOWER) for _ in range(length))
