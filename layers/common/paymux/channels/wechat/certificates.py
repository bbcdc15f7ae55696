"""WeChat Pay platform certificates (PROTOCOLS.md §1.2): the answer of `GET /v3/certificates`,
decrypted with the APIv3 key and verified. Pure: the request is `WeChatPayChannel.
download_certificates()`'s; storing them is `paymux.services.certificates`'.

Trust: each certificate must decrypt (AEAD_AES_256_GCM, associated data checked by the tag) with
the merchant's APIv3 key, which only WeChat Pay and the merchant hold, and carry the serial it is
listed under. The answer's signature is checked with the key its `Wechatpay-Serial` names: a
key already trusted, or else (first download, or a new certificate signing after a rotation) a
certificate of this very answer, which is only acceptable because it decrypted correctly and is
valid now. One certificate that fails any check rejects the whole answer.

Validity comes from the certificate itself (the listed effective/expire times are not signed by
anything): an expired certificate is dropped; one not yet effective is kept, since WeChat
publishes a new certificate before it starts signing with it."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from paymux.channels.wechat import signing
from paymux.clock import iso
from paymux.errors import CallbackRejected, ChannelUnavailable

ALGORITHM = "AEAD_AES_256_GCM"


class CertificatesRejected(ChannelUnavailable):
    """The certificates answer cannot be trusted: nothing from it may be stored."""


def _decrypt(apiv3_key: bytes, encrypted: Mapping[str, Any]) -> bytes:
    if encrypted.get("algorithm") != ALGORITHM:
        raise CertificatesRejected(f"unsupported certificate algorithm {encrypted.get('algorithm')!r}")
    try:
        return AESGCM(apiv3_key).decrypt(
            str(encrypted["nonce"]).encode(),
            base64.b64decode(str(encrypted["ciphertext"]), validate=True),
            str(encrypted.get("associated_data", "")).encode(),
        )
    except (InvalidTag, KeyError, ValueError) as exc:
        raise CertificatesRejected("a platform certificate does not decrypt with the APIv3 key") from exc


def _certificate(apiv3_key: bytes, entry: Any) -> tuple[str, x509.Certificate, bytes]:
    """(serial_no, certificate, its PEM) of one `data[]` entry, or CertificatesRejected."""
    if not isinstance(entry, dict) or not isinstance(entry.get("encrypt_certificate"), dict):
        raise CertificatesRejected("a certificates entry has no encrypt_certificate")
    serial = str(entry.get("serial_no", ""))
    pem = _decrypt(apiv3_key, entry["encrypt_certificate"])
    try:
        certificate = x509.load_pem_x509_certificate(pem)
        listed = int(serial, 16)
    except ValueError as exc:
        raise CertificatesRejected(f"platform certificate {serial[:64]} is not a PEM certificate") from exc
    if listed != certificate.serial_number:
        raise CertificatesRejected(f"platform certificate listed as {serial} has another serial number")
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise CertificatesRejected(f"platform certificate {serial} has no RSA key")
    return serial, certificate, pem


def _window(certificate: x509.Certificate) -> tuple[float, float]:
    return certificate.not_valid_before_utc.timestamp(), certificate.not_valid_after_utc.timestamp()


def read_answer(
    headers: Mapping[str, str],
    body: bytes,
    apiv3_key: bytes,
    known_keys: Mapping[str, rsa.RSAPublicKey],
    now: float,
) -> list[dict[str, str]]:
    """The unexpired certificates of a 200 answer of `GET /v3/certificates`, each as
    {serial_no, public_key_pem, certificate_pem, effective_time, expire_time} (times ISO 8601
    UTC), oldest expiry first. Raises CertificatesRejected when the answer is not trustworthy."""
    try:
        data = json.loads(body)["data"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CertificatesRejected("the certificates answer has no data") from exc
    if not isinstance(data, list):
        raise CertificatesRejected("the certificates answer's data is not a list")
    decrypted = {serial: (cert, pem) for serial, cert, pem in (_certificate(apiv3_key, e) for e in data)}

    signer = next((v for k, v in headers.items() if k.lower() == "wechatpay-serial"), "")
    keys: Mapping[str, rsa.RSAPublicKey] = known_keys
    if signer not in known_keys:
        if signer not in decrypted:
            raise CertificatesRejected(f"the certificates answer is signed by unknown key {signer[:64]!r}")
        certificate = decrypted[signer][0]
        effective, expires = _window(certificate)
        if not effective <= now < expires:
            raise CertificatesRejected(f"platform certificate {signer} signing the answer is not valid now")
        public_key = certificate.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)  # narrowing: _certificate checked it  # nosec B101
        keys = {signer: public_key}
    try:
        signing.verify(headers, body, keys, now)
    except CallbackRejected as exc:
        raise CertificatesRejected(f"unverifiable WeChat Pay certificates answer: {exc.message}") from exc

    found = []
    for serial, (certificate, pem) in decrypted.items():
        effective, expires = _window(certificate)
        if expires <= now:
            continue  # expired: never trusted again
        public_pem = certificate.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        found.append(
            {
                "serial_no": serial,
                "public_key_pem": public_pem.decode(),
                "certificate_pem": pem.decode(),
                "effective_time": iso(effective),
                "expire_time": iso(expires),
            }
        )
    return sorted(found, key=lambda c: (c["expire_time"], c["serial_no"]))
