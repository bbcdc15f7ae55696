"""WeChat Pay's own keys and primitives: platform certificate, WeChat Pay public key,
RSA-PKCS1v15-SHA256 signatures and the AEAD_AES_256_GCM resource encryption."""

from __future__ import annotations

import base64
import binascii
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

_ALNUM = string.ascii_letters + string.digits
_PLATFORM_CERT_LIFETIME = timedelta(days=5 * 365)


@dataclass(frozen=True)
class SigningKey:
    """A key WeChat Pay signs with, and the ``Wechatpay-Serial`` it is announced under."""

    serial: str
    private_key: rsa.RSAPrivateKey
    public_key_pem: bytes
    certificate_pem: bytes | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    """PKCS#8, the form of a merchant's ``apiclient_key.pem``."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def self_signed_certificate(
    key: rsa.RSAPrivateKey, common_name: str, organization_unit: str, valid_from: datetime
) -> tuple[x509.Certificate, str]:
    """A self-signed certificate with a 40-hex-digit serial, as WeChat's serials look."""
    serial_number = secrets.randbits(159) | (1 << 156)  # 40 hex digits, positive, < 2**159
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tenpay.com"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, organization_unit),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial_number)
        .not_valid_before(valid_from)
        .not_valid_after(valid_from + _PLATFORM_CERT_LIFETIME)
        .sign(key, hashes.SHA256())
    )
    return certificate, f"{serial_number:040X}"


def new_platform_key(valid_from: datetime) -> SigningKey:
    key = new_rsa_key()
    certificate, serial = self_signed_certificate(
        key, "Tenpay.com Sandbox Platform", "Tenpay.com CA Center", valid_from
    )
    return SigningKey(
        serial=serial,
        private_key=key,
        public_key_pem=public_pem(key),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


def new_wechatpay_public_key(issued_at: datetime) -> SigningKey:
    """The "WeChat Pay public key" (微信支付公钥); it has an id instead of a certificate.

    Real ids look like ``PUB_KEY_ID_0112860886012025062700111588000000``: "01", ten
    digits, the issue date and fourteen more digits (34 digits in all).
    """
    key = new_rsa_key()
    digits = f"01{random_digits(10)}{issued_at:%Y%m%d}{random_digits(14)}"
    return SigningKey(serial=f"PUB_KEY_ID_{digits}", private_key=key, public_key_pem=public_pem(key))


def load_merchant_public_key(pem: bytes) -> rsa.RSAPublicKey:
    """A merchant's API public key, given either as a certificate or as a bare public key."""
    key: object = (
        x509.load_pem_x509_certificate(pem).public_key()
        if b"BEGIN CERTIFICATE" in pem
        else serialization.load_pem_public_key(pem)
    )
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the merchant API key must be RSA")
    return key


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa_verify(key: rsa.RSAPublicKey, message: bytes, signature_b64: str) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def aes_gcm_encrypt(apiv3_key: bytes, nonce: str, associated_data: str, plaintext: bytes) -> str:
    """AEAD_AES_256_GCM as WeChat uses it: base64(ciphertext || 16-byte tag)."""
    sealed = AESGCM(apiv3_key).encrypt(nonce.encode("utf-8"), plaintext, associated_data.encode("utf-8"))
    return base64.b64encode(sealed).decode("ascii")


def random_alnum(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def random_digits(length: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(length))


def random_hex(length: int, *, upper: bool = True) -> str:
    value = secrets.token_hex((length + 1) // 2)[:length]
    return value.upper() if upper else value


def utc_datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
