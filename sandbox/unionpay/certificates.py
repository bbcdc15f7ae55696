"""The sandbox's own trust chain (root → middle → signing certificate) and merchant identities.

Shaped like UnionPay's: the root and middle are CA certificates (basicConstraints CA,
keyCertSign), the signing certificate has the CN ``041@8310000000083040@中国银联股份有限公司@<serial>``,
digitalSignature key usage and no subjectAltName. Real UnionPay certificates are sha1WithRSA;
``cryptography`` no longer signs with SHA-1, so these are sha256WithRSA (paymux's hand-made chain
check follows each certificate's own algorithm, so both work).

A merchant (or acquirer) identity is a PKCS#12 with a password, as CFCA issues them; UnionPay
knows its certificate by the certificate's decimal serial number, the ``certId`` of requests.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

UNIONPAY_NAME = "中国银联股份有限公司"
_CA_YEARS = 20
_LEAF_YEARS = 5


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(*parts: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in parts])


def pem_crlf(certificate: x509.Certificate) -> str:
    """The PEM text with CRLF line ends and none after the END line, as UnionPay sends
    ``signPubKeyCert`` (the real sample in ``samples/unionpay`` reads so)."""
    text = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii").rstrip("\n")
    return text.replace("\n", "\r\n")


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _ca(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    valid_from: datetime,
    path_length: int,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_from + timedelta(days=365 * _CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=not cert_sign,
        key_encipherment=not cert_sign,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _leaf(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    serial: int,
    issuer: x509.Certificate,
    issuer_key: rsa.RSAPrivateKey,
    valid_from: datetime,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(valid_from)
        .not_valid_after(valid_from + timedelta(days=365 * _LEAF_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
        .add_extension(_usage(cert_sign=False), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
        .sign(issuer_key, hashes.SHA256())
    )


@dataclass(frozen=True)
class UnionPayChain:
    """UnionPay's side: the trust anchors merchants configure, and the key that signs."""

    root: x509.Certificate
    middle: x509.Certificate
    signing_certificate: x509.Certificate
    signing_key: rsa.RSAPrivateKey

    @property
    def root_pem(self) -> bytes:
        return pem(self.root)

    @property
    def middle_pem(self) -> bytes:
        return pem(self.middle)

    @property
    def sign_pub_key_cert(self) -> str:
        return pem_crlf(self.signing_certificate)


def generate_chain(now: float) -> UnionPayChain:
    """A fresh root → middle → signing certificate, valid from a day before ``now``."""
    valid_from = datetime.fromtimestamp(now, UTC) - timedelta(days=1)
    root_key, middle_key, signing_key = _key(), _key(), _key()
    org = "China Financial Certification Authority"
    root_name = _name((NameOID.COUNTRY_NAME, "CN"), (NameOID.ORGANIZATION_NAME, org),
                      (NameOID.COMMON_NAME, "PAYMUX SANDBOX CS CA"))  # fmt: skip
    middle_name = _name((NameOID.COUNTRY_NAME, "CN"), (NameOID.ORGANIZATION_NAME, org),
                        (NameOID.COMMON_NAME, "PAYMUX SANDBOX OCA1"))  # fmt: skip
    root = _ca(root_name, root_key, root_name, root_key, valid_from, path_length=1)
    middle = _ca(middle_name, middle_key, root_name, root_key, valid_from, path_length=0)
    serial = 16_000_000_000 + secrets.randbelow(1_000_000_000)
    signer_name = _name(
        (NameOID.COUNTRY_NAME, "cn"),
        (NameOID.ORGANIZATION_NAME, "CFCA OCA1"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "Local RA OCA1"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "Enterprises"),
        (NameOID.COMMON_NAME, f"041@8310000000083040@{UNIONPAY_NAME}@{serial % 100_000_000:08d}"),
    )
    signing = _leaf(signer_name, signing_key, serial, middle, middle_key, valid_from)
    return UnionPayChain(root, middle, signing, signing_key)


@dataclass(frozen=True)
class GeneratedMerchant:
    """A merchant's (or an acquirer's) signing identity: its PKCS#12 (with its password) and
    the certificate UnionPay knows it by (``cert_id`` = the decimal serial)."""

    mer_id: str  # the merId, or the acqInsCode for an acquirer
    pkcs12: bytes
    password: str
    cert_id: str
    certificate_pem: bytes
    private_key_pem: bytes

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate_pem)


def generate_merchant(
    mer_id: str, password: str | None = None, *, now: float | None = None
) -> GeneratedMerchant:
    """A fresh key, certificate (CN ``041@Z<mer_id>@<mer_id>@00000001``) and PKCS#12."""
    moment = datetime.now(UTC) if now is None else datetime.fromtimestamp(now, UTC)
    valid_from = moment - timedelta(days=1)
    key = _key()
    serial = 60_000_000_000 + secrets.randbelow(10_000_000_000)  # 11 digits, like CFCA's
    name = _name((NameOID.COUNTRY_NAME, "CN"), (NameOID.ORGANIZATION_NAME, "CFCA TEST OCA1"),
                 (NameOID.COMMON_NAME, f"041@Z{mer_id}@{mer_id}@00000001"))  # fmt: skip
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(valid_from)
        .not_valid_after(valid_from + timedelta(days=365 * _LEAF_YEARS))
        .sign(key, hashes.SHA256())
    )
    password = password or secrets.token_urlsafe(12)
    bundle = pkcs12.serialize_key_and_certificates(
        mer_id.encode(), key, certificate, None, serialization.BestAvailableEncryption(password.encode())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return GeneratedMerchant(mer_id, bundle, password, str(serial), pem(certificate), key_pem)
