"""WeChat Pay API v3 signatures and callback decryption (PROTOCOLS.md §1.1–1.3). Pure: no I/O.

Everything here raises on anything wrong; nothing returns a "false" to be forgotten."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from paymux.errors import CallbackRejected, ConfigurationError

AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
FRESHNESS_SECONDS = 300
SIGNTEST_PREFIX = "WECHATPAY/SIGNTEST/"


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError("the WeChat Pay merchant key must be an RSA private key")
    return key


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """Accepts a public key or an X.509 certificate (platform certificates come as such)."""
    data = pem.encode()
    key: Any
    if b"BEGIN CERTIFICATE" in data:
        from cryptography import x509  # noqa: PLC0415 - only certificate mode needs it

        key = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigurationError("WeChat Pay keys are RSA keys")
    return key


def request_message(method: str, canonical_url: str, timestamp: str, nonce: str, body: str) -> bytes:
    return f"{method}\n{canonical_url}\n{timestamp}\n{nonce}\n{body}\n".encode()


def sign(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    signature = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def authorization(
    *,
    private_key: rsa.RSAPrivateKey,
    mchid: str,
    serial_no: str,
    method: str,
    canonical_url: str,
    body: str,
    timestamp: str,
    nonce: str,
) -> str:
    signature = sign(private_key, request_message(method, canonical_url, timestamp, nonce, body))
    return (
        f'{AUTH_SCHEME} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def pay_sign(private_key: rsa.RSAPrivateKey, appid: str, timestamp: str, nonce: str, package: str) -> str:
    """The front-end signature for JSAPI/Mini Program (`package`="prepay_id=…") and APP
    (`package`=bare prepay_id) payments."""
    return sign(private_key, f"{appid}\n{timestamp}\n{nonce}\n{package}\n".encode())


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return ""


def verify(
    headers: Mapping[str, str],
    body: bytes,
    keys: Mapping[str, rsa.RSAPublicKey],
    now: float,
) -> None:
    """Verifies a WeChat Pay response or callback: key chosen by Wechatpay-Serial (a platform
    certificate serial or a PUB_KEY_ID), signature over "ts\\nnonce\\nbody\\n", |skew| < 300 s."""
    timestamp = _header(headers, "Wechatpay-Timestamp")
    nonce = _header(headers, "Wechatpay-Nonce")
    signature = _header(headers, "Wechatpay-Signature")
    serial = _header(headers, "Wechatpay-Serial")
    if not (timestamp and nonce and signature and serial):
        raise CallbackRejected("missing Wechatpay-Timestamp, -Nonce, -Signature or -Serial")
    if signature.startswith(SIGNTEST_PREFIX):
        raise CallbackRejected(
            "WeChat Pay signature probe (WECHATPAY/SIGNTEST/) rejected", reason="signature"
        )
    kind = _header(headers, "Wechatpay-Signature-Type")
    if kind and kind != AUTH_SCHEME:
        raise CallbackRejected(f"unsupported signature type {kind}", reason="signature")
    try:
        skew = abs(int(timestamp) - now)
    except ValueError as exc:
        raise CallbackRejected("Wechatpay-Timestamp is not a number") from exc
    if skew >= FRESHNESS_SECONDS:
        raise CallbackRejected(f"Wechatpay-Timestamp is {int(skew)} s away from now", reason="stale")
    key = keys.get(serial)
    if key is None:
        raise CallbackRejected(f"unknown Wechatpay-Serial {serial}", reason="signature")
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
    try:
        key.verify(base64.b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError) as exc:
        raise CallbackRejected("Wechatpay-Signature does not verify", reason="signature") from exc


def decrypt_resource(apiv3_key: bytes, resource: Mapping[str, Any]) -> dict[str, Any]:
    """AES-256-GCM with the APIv3 key; nonce and associated data as UTF-8 bytes."""
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise CallbackRejected(
            f"unsupported resource algorithm {resource.get('algorithm')!r}", reason="decrypt"
        )
    try:
        plaintext = AESGCM(apiv3_key).decrypt(
            str(resource["nonce"]).encode(),
            base64.b64decode(resource["ciphertext"]),
            str(resource.get("associated_data", "")).encode(),
        )
        decoded: dict[str, Any] = json.loads(plaintext)
    except (InvalidTag, KeyError, ValueError) as exc:
        raise CallbackRejected(
            "callback resource does not decrypt with the APIv3 key", reason="decrypt"
        ) from exc
    return decoded


def encrypt_sensitive(public_key: rsa.RSAPublicKey, text: str) -> str:
    """A sensitive field (a card number, a name) for WeChat Pay: RSA-OAEP (SHA-1, MGF1-SHA-1)
    with WeChat Pay's public key or platform certificate, base64."""
    # WeChat Pay's scheme fixes OAEP's hash to SHA-1 (no signature, no collision use).
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)  # noqa: S303  # nosec B303
    cipher = public_key.encrypt(text.encode(), oaep)
    return base64.b64encode(cipher).decode()
