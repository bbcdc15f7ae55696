"""UnionPay ACP 5.1.0 signMethod 01 (PROTOCOLS.md §3.1, RESEARCH.md §1.4). Pure: no I/O.

1. The sign string: every field except `signature`, sorted by key (the SDK's TreeMap: ASCII
   order), joined `k=v&…` with raw values (not url-encoded).
2. h = the lowercase hex SHA-256 of that string's UTF-8 bytes: 64 ASCII characters.
3. signature = base64(RSASSA-PKCS1-v1_5 with SHA-256 over h's ASCII bytes): the RSA step hashes
   the hex text again; it does not sign the string itself.

A request drops its empty values first (the SDK's filterBlank) and carries `certId`, the DECIMAL
serial number of the merchant's signing certificate from its PKCS#12. A received message is
verified over every field it carries but `signature` (see `certificates.verify_message`)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import Certificate

from paymux.errors import CallbackRejected, ConfigurationError

SIGN_METHOD = "01"
SIGNATURE = "signature"


def sign_string(fields: Mapping[str, str]) -> str:
    """`k=v&…` of every field but `signature`, sorted by key, values raw. Empty values are kept:
    the caller decides which fields are signed (`SigningKey.sign` drops empty ones)."""
    return "&".join(f"{key}={fields[key]}" for key in sorted(fields) if key != SIGNATURE)


def digest(fields: Mapping[str, str]) -> bytes:
    """h's ASCII bytes: the lowercase hex SHA-256 of the UTF-8 sign string, the data RSA signs."""
    return hashlib.sha256(sign_string(fields).encode("utf-8")).hexdigest().encode("ascii")


def verify_signature(
    public_key: rsa.RSAPublicKey, fields: Mapping[str, str], signed: bytes | None = None
) -> None:
    """Checks `fields["signature"]` over the other fields with `public_key` (`signed`: their
    `digest`, computed by the caller when a field is too large to hold, file_answer); raises
    CallbackRejected(reason="signature") when it does not verify, reason="malformed" when the
    signature is missing or not base64. A `signMethod` other than 01 is refused."""
    method = fields.get("signMethod", SIGN_METHOD)
    if method != SIGN_METHOD:
        raise CallbackRejected(f"unsupported UnionPay signMethod {method[:8]!r}", reason="signature")
    try:
        signature = base64.b64decode(fields.get(SIGNATURE, ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CallbackRejected("the UnionPay signature is not base64", reason="malformed") from exc
    if not signature:
        raise CallbackRejected("the UnionPay message carries no signature", reason="malformed")
    try:
        signed = digest(fields) if signed is None else signed
    except UnicodeEncodeError as exc:  # a lone surrogate: no UTF-8 text UnionPay could have signed
        raise CallbackRejected("a UnionPay field is not text", reason="malformed") from exc
    try:
        public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise CallbackRejected("the UnionPay signature does not verify", reason="signature") from exc


@dataclass(frozen=True, repr=False)
class SigningKey:
    """The merchant's signing key and its certificate's decimal serial (`cert_id`). The repr
    names only the certId: the key is a secret."""

    private_key: rsa.RSAPrivateKey
    certificate: Certificate
    cert_id: str

    def __repr__(self) -> str:
        return f"SigningKey(cert_id={self.cert_id!r})"

    @classmethod
    def from_pkcs12(cls, data: bytes, password: str) -> SigningKey:
        """Loads the merchant's `.pfx`. ConfigurationError when it does not open with `password`,
        holds no RSA key or certificate, or the certificate is not the key's."""
        try:
            key, certificate, _ = pkcs12.load_key_and_certificates(
                data, password.encode("utf-8") if password else None
            )
        except (ValueError, TypeError) as exc:
            raise ConfigurationError("the UnionPay signing PFX does not open with its password") from exc
        if not isinstance(key, rsa.RSAPrivateKey) or certificate is None:
            raise ConfigurationError("the UnionPay signing PFX holds no RSA key with its certificate")
        if certificate.public_key() != key.public_key():
            raise ConfigurationError("the UnionPay signing PFX's certificate is not its key's")
        return cls(key, certificate, str(certificate.serial_number))

    def sign(self, fields: Mapping[str, str]) -> dict[str, str]:
        """The request's fields without empty values, with `certId` and `signature` set. The
        caller sets version, encoding, signMethod=01 and the business fields."""
        signed = {k: v for k, v in fields.items() if v and k != SIGNATURE}
        signed["certId"] = self.cert_id
        raw = self.private_key.sign(digest(signed), padding.PKCS1v15(), hashes.SHA256())
        signed[SIGNATURE] = base64.b64encode(raw).decode("ascii")
        return signed
