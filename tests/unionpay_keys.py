"""Test-time UnionPay keys: a CA chain shaped like UnionPay's and a merchant PKCS#12, generated
once per session (2048-bit RSA), never stored. Independent of paymux's UnionPay code, so tests
that use it check paymux against it rather than against itself.

    chain = unionpay_chain()        # root → middle → signer, sha1WithRSA like the real ones, no SAN
    chain.root_pem, chain.middle_pem       # the trust anchors, PEM text (LF)
    chain.signer_pem                       # the signer certificate as UnionPay sends it (CRLF PEM)
    chain.trust(environment="test")        # paymux TrustChain of root + middle
    sign_as_unionpay(fields)               # fields + signPubKeyCert + signature, as UnionPay signs
    merchant = unionpay_merchant()  # merchant signing PFX, known serial
    merchant.pfx, merchant.password, merchant.cert_id ("2024120100000042", decimal)
    credentials(environment="test")        # the account's Secrets Manager JSON (a dict)
    issue(...)                             # any other certificate, for rejection tests

Signer CN: `041@8310000000083040@中国银联股份有限公司@00016493` (the 3rd `@`-part is what is
checked). Certificates are valid from 2020-01-01 to ten years after the session starts."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

SIGNER_CN = "041@8310000000083040@中国银联股份有限公司@00016493"
MERCHANT_SERIAL = 2024120100000042
MERCHANT_PASSWORD = "000000"  # the password UnionPay's test PFX files come with
NOT_BEFORE = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@functools.cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """A 2048-bit key per name, generated once per session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn: str, organisation: str = "China Financial Certification Authority") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def issue(
    subject: x509.Name | str,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name | None = None,
    issuer_key: rsa.RSAPrivateKey | None = None,
    *,
    ca: bool | None = False,
    not_before: dt.datetime = NOT_BEFORE,
    not_after: dt.datetime | None = None,
    serial: int | None = None,
    algorithm: hashes.HashAlgorithm | None = None,
    extensions: Sequence[x509.ExtensionType] = (),
) -> x509.Certificate:
    """A certificate for `key` signed by `issuer_key` (self-signed when None). `ca=None` leaves
    basicConstraints out; `extensions` are added (critical); the algorithm defaults to SHA-1, as
    UnionPay's certificates use (hashes.MD5() gives an md5WithRSA certificate)."""
    subject = _name(subject) if isinstance(subject, str) else subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after or dt.datetime.now(dt.UTC) + dt.timedelta(days=3650))
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    for extension in extensions:
        builder = builder.add_extension(extension, critical=True)
    legacy = _LEGACY.get(algorithm.name if algorithm else "sha1")
    if legacy is None:
        return builder.sign(issuer_key or key, algorithm)
    return _resigned(builder.sign(issuer_key or key, hashes.SHA256()), issuer_key or key, *legacy)


_SHA256_RSA = bytes.fromhex("06092a864886f70d01010b")  # DER OID 1.2.840.113549.1.1.11
_LEGACY: dict[str, tuple[bytes, hashes.HashAlgorithm]] = {  # what cryptography no longer signs
    "sha1": (bytes.fromhex("06092a864886f70d010105"), hashes.SHA1()),  # 1.2.840.113549.1.1.5
    "md5": (bytes.fromhex("06092a864886f70d010104"), hashes.MD5()),  # 1.2.840.113549.1.1.4
}


def _resigned(
    certificate: x509.Certificate, issuer_key: rsa.RSAPrivateKey, oid: bytes, algorithm: hashes.HashAlgorithm
) -> x509.Certificate:
    """The certificate re-signed with a legacy algorithm (sha1WithRSA, md5WithRSA): both
    algorithm identifiers are swapped in place (equal lengths, so the DER stays valid) and the
    signature (same size) is replaced by one over the new TBS."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    assert der.count(_SHA256_RSA) == 2 and der.endswith(certificate.signature)
    tbs = certificate.tbs_certificate_bytes.replace(_SHA256_RSA, oid)
    signature = issuer_key.sign(tbs, padding.PKCS1v15(), algorithm)
    body = der[: -len(certificate.signature)].replace(_SHA256_RSA, oid)
    return x509.load_der_x509_certificate(body + signature)


def pem(certificate: x509.Certificate, *, crlf: bool = False) -> str:
    text = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii").strip()
    return text.replace("\n", "\r\n") if crlf else text + "\n"


@dataclass(frozen=True)
class UnionPayChain:
    root: x509.Certificate
    middle: x509.Certificate
    signer: x509.Certificate
    signer_key: rsa.RSAPrivateKey

    @property
    def root_pem(self) -> str:
        return pem(self.root)

    @property
    def middle_pem(self) -> str:
        return pem(self.middle)

    @property
    def signer_pem(self) -> str:
        return pem(self.signer, crlf=True)

    def trust(self, environment: str = "test") -> Any:
        from paymux.channels.unionpay.certificates import TrustChain

        return TrustChain.from_pem(self.root_pem, self.middle_pem, environment=environment)


@functools.cache
def unionpay_chain() -> UnionPayChain:
    root_name, middle_name = _name("PAYMUX TEST CS CA"), _name("PAYMUX TEST OCA1")
    root = issue(root_name, rsa_key("unionpay-root"), ca=True)
    middle = issue(middle_name, rsa_key("unionpay-middle"), root_name, rsa_key("unionpay-root"), ca=True)
    subject = _name(SIGNER_CN, "CFCA OCA1")
    signer = issue(subject, rsa_key("unionpay-signer"), middle_name, rsa_key("unionpay-middle"), ca=None)
    return UnionPayChain(root, middle, signer, rsa_key("unionpay-signer"))


def sign_fields(fields: Mapping[str, str], key: rsa.RSAPrivateKey) -> str:
    """signMethod 01 written out independently: base64(SHA256withRSA(hex(SHA-256(sorted k=v&…))))."""
    text = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "signature")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest().encode("ascii")
    return base64.b64encode(key.sign(digest, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def sign_as_unionpay(
    fields: Mapping[str, str],
    certificate_pem: str | None = None,
    key: rsa.RSAPrivateKey | None = None,
) -> dict[str, str]:
    """`fields` with `signPubKeyCert` (the chain's signer, CRLF PEM, unless given) and the
    `signature` over all of them, as UnionPay signs a notify or an answer. Empty values are
    dropped first (UnionPay sends none)."""
    chain = unionpay_chain()
    signed = {k: v for k, v in fields.items() if v and k != "signature"}
    signed["signPubKeyCert"] = certificate_pem or chain.signer_pem
    signed["signature"] = sign_fields(signed, key or chain.signer_key)
    return signed


@dataclass(frozen=True)
class Merchant:
    pfx: bytes
    password: str
    cert_id: str
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


@functools.cache
def unionpay_merchant() -> Merchant:
    key = rsa_key("unionpay-merchant")
    chain = unionpay_chain()
    certificate = issue(
        _name("041@Z12@00000001@777290058167151", "CFCA OCA1"),
        key,
        chain.middle.subject,
        rsa_key("unionpay-middle"),
        ca=None,
        serial=MERCHANT_SERIAL,
    )
    encryption = serialization.BestAvailableEncryption(MERCHANT_PASSWORD.encode())
    pfx = pkcs12.serialize_key_and_certificates(b"acp_test_sign", key, certificate, None, encryption)
    return Merchant(pfx, MERCHANT_PASSWORD, str(MERCHANT_SERIAL), certificate, key)


def credentials(environment: str = "test") -> dict[str, str]:
    """The account's Secrets Manager JSON, as COMMON.md's contract names its keys."""
    merchant, chain = unionpay_merchant(), unionpay_chain()
    return {
        "signing_pfx": base64.b64encode(merchant.pfx).decode("ascii"),
        "signing_pfx_password": merchant.password,
        "root_cert": chain.root_pem,
        "middle_cert": chain.middle_pem,
        "environment": environment,
    }
