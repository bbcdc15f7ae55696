"""Trust in a UnionPay message (RESEARCH.md §1.4): every notify and every answer carries its
signer's certificate in `signPubKeyCert`; it is trusted only when it chains to the configured
middle and root certificates (the official SDK's CertUtil.verifyCertificate). Pure: no I/O.

Real UnionPay certificates are sha1WithRSA and have no subjectAltName, so `cryptography`'s
verifier (PolicyBuilder, verify_directly_issued_by) refuses them: the chain is checked here by
hand, for leaf → middle → root:
* each certificate's issuer name is its issuer's subject, and its RSA PKCS#1 v1.5 signature
  (SHA-1 or SHA-2; never MD5) verifies with the issuer's key; the root is self-signed;
* middle and root carry basicConstraints CA=true (and keyCertSign when they name key usages);
  the leaf is not a CA;
* all three are valid at the message's own time;
* the 3rd `@`-part of the leaf's subject CN is 中国银联股份有限公司; in the "test" environment
  `00040000:SIGN` is accepted as well (the SDK's ifValidateCNName=false), never in production.
Then the message's signature is checked with the leaf's key (`signing.verify_signature`).

Checking the signature with the certificate a message brings, without the chain, accepts
forgeries: anyone can make a self-signed certificate whose CN reads right."""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from paymux.channels.unionpay import signing
from paymux.errors import CallbackRejected, ConfigurationError

PRODUCTION_SIGNER = "中国银联股份有限公司"
TEST_SIGNER = "00040000:SIGN"
SIGNERS = {"production": frozenset({PRODUCTION_SIGNER}), "test": frozenset({PRODUCTION_SIGNER, TEST_SIGNER})}
CERTIFICATE_FIELD = "signPubKeyCert"

_HASHES: dict[x509.ObjectIdentifier, type[hashes.HashAlgorithm]] = {
    SignatureAlgorithmOID.RSA_WITH_SHA1: hashes.SHA1,
    SignatureAlgorithmOID.RSA_WITH_SHA256: hashes.SHA256,
    SignatureAlgorithmOID.RSA_WITH_SHA384: hashes.SHA384,
    SignatureAlgorithmOID.RSA_WITH_SHA512: hashes.SHA512,
}


def _untrusted(message: str) -> CallbackRejected:
    return CallbackRejected(f"untrusted UnionPay certificate: {message}", reason="signature")


def load_certificate(data: str | bytes) -> x509.Certificate:
    """A certificate given as PEM, DER, or DER in base64 (a `.cer` file in any of UnionPay's
    forms). Raises ValueError when it is none of them."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else data
    if raw.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(raw)
    with contextlib.suppress(binascii.Error, ValueError):  # not base64: DER as it is
        raw = base64.b64decode(b"".join(raw.split()), validate=True)
    return x509.load_der_x509_certificate(raw)


def _name(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string()[:200]


def _check_issued(certificate: x509.Certificate, issuer: x509.Certificate) -> None:
    """`certificate` names `issuer` and carries its RSA PKCS#1 v1.5 signature."""
    if certificate.issuer != issuer.subject:
        raise _untrusted(f"{_name(certificate)} is not issued by {_name(issuer)}")
    algorithm = _HASHES.get(certificate.signature_algorithm_oid)
    issuer_key = issuer.public_key()
    if algorithm is None or not isinstance(issuer_key, rsa.RSAPublicKey):
        raise _untrusted(f"{_name(certificate)} is not signed with RSA and SHA-1/SHA-2")
    try:
        issuer_key.verify(
            certificate.signature, certificate.tbs_certificate_bytes, padding.PKCS1v15(), algorithm()
        )
    except InvalidSignature as exc:
        raise _untrusted(f"{_name(certificate)} is not signed by {_name(issuer)}") from exc


def _extension[T: x509.ExtensionType](certificate: x509.Certificate, kind: type[T]) -> T | None:
    try:
        return certificate.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None
    except ValueError as exc:  # duplicate or undecodable extensions
        raise _untrusted(f"{_name(certificate)} has unreadable extensions") from exc


def _check_authority(certificate: x509.Certificate, below: int) -> None:
    """A CA that may have `below` CA certificates under it."""
    constraints = _extension(certificate, x509.BasicConstraints)
    if constraints is None or not constraints.ca:
        raise _untrusted(f"{_name(certificate)} is not a certificate authority")
    if constraints.path_length is not None and constraints.path_length < below:
        raise _untrusted(f"{_name(certificate)} may not issue a chain this long")
    usage = _extension(certificate, x509.KeyUsage)
    if usage is not None and not usage.key_cert_sign:
        raise _untrusted(f"{_name(certificate)} may not sign certificates")


def _check_anchors(chain: TrustChain) -> None:
    """The root is a self-signed CA and the middle a CA it issued."""
    _check_issued(chain.root, chain.root)
    _check_authority(chain.root, 1)
    _check_issued(chain.middle, chain.root)
    _check_authority(chain.middle, 0)


@dataclass(frozen=True)
class TrustChain:
    """UnionPay's root and middle certificates (acp_*_root.cer, acp_*_middle.cer) and the
    environment whose signer names are accepted."""

    root: x509.Certificate
    middle: x509.Certificate
    environment: str = "production"

    @classmethod
    def from_pem(
        cls, root: str | bytes, middle: str | bytes, *, environment: str = "production"
    ) -> TrustChain:
        """ConfigurationError when a certificate does not load, the environment is neither
        "production" nor "test", or middle and root do not form a CA chain (root self-signed)."""
        if environment not in SIGNERS:
            raise ConfigurationError(f"UnionPay environment must be production or test, not {environment!r}")
        try:
            chain = cls(load_certificate(root), load_certificate(middle), environment)
        except ValueError as exc:
            raise ConfigurationError("a UnionPay root or middle certificate does not load") from exc
        try:
            _check_anchors(chain)
        except CallbackRejected as exc:
            raise ConfigurationError(f"the UnionPay middle and root do not chain: {exc.message}") from exc
        return chain

    @property
    def signers(self) -> frozenset[str]:
        """The accepted 3rd CN parts; none for an environment from_pem would have refused."""
        return SIGNERS.get(self.environment, frozenset())


def _check_signer_name(leaf: x509.Certificate, chain: TrustChain) -> None:
    names = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    parts = str(names[0].value).split("@") if len(names) == 1 else []
    if len(parts) < 3 or parts[2] not in chain.signers:
        raise _untrusted(f"{_name(leaf)} is not a UnionPay signer in {chain.environment}")


def _check_signer(leaf: x509.Certificate, chain: TrustChain) -> None:
    _check_anchors(chain)  # checked by from_pem already; again for a chain built directly
    _check_issued(leaf, chain.middle)
    constraints = _extension(leaf, x509.BasicConstraints)
    if constraints is not None and constraints.ca:
        raise _untrusted(f"{_name(leaf)} is a certificate authority, not a signer")
    usage = _extension(leaf, x509.KeyUsage)
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise _untrusted(f"{_name(leaf)} may not sign messages")
    if not isinstance(leaf.public_key(), rsa.RSAPublicKey):
        raise _untrusted(f"{_name(leaf)} has no RSA key")
    _check_signer_name(leaf, chain)


@functools.lru_cache(maxsize=64)
def _trusted_leaf(pem: str, chain: TrustChain) -> x509.Certificate:
    """The signer certificate of `pem` once everything but validity dates is checked. Cached
    per exact text and chain (a failure raises, so only certificates that passed are kept)."""
    try:
        leaf = x509.load_pem_x509_certificate(pem.encode("utf-8"))
        _check_signer(leaf, chain)
    except (ValueError, UnsupportedAlgorithm) as exc:  # parts cryptography parses only when read
        raise _untrusted("signPubKeyCert is not a readable certificate") from exc
    return leaf


def _check_validity(certificates: Iterable[x509.Certificate], at: float) -> None:
    for certificate in certificates:
        start = certificate.not_valid_before_utc.timestamp()
        end = certificate.not_valid_after_utc.timestamp()
        if not start <= at <= end:
            raise _untrusted(f"{_name(certificate)} is not valid at the message's time")


def notify_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """The fields of a received notify as UnionPay signed them: empty values dropped, as the
    official servlet does before verifying (strip backUrl's own query parameters first)."""
    return {key: value for key, value in fields.items() if value}


def verify_message(
    fields: Mapping[str, str], chain: TrustChain, at: float, signed: bytes | None = None
) -> None:
    """Checks a UnionPay notify or answer. `fields` must be exactly the fields UnionPay signed:
    every one but `signature` enters the signed string, `signPubKeyCert` too, byte for byte (its
    CRLF line ends kept). An answer is passed whole; a notify through `notify_fields` first.
    `at` is the message's own time (epoch seconds, e.g. its txnTime, cross-checked against the
    order by the caller), at which all three certificates must be valid. `signed`: the
    digest of the signed string when the caller computed it (a field too large to hold).

    Raises CallbackRejected: reason="malformed" when `signature` or `signPubKeyCert` is missing,
    reason="signature" when the certificate does not chain to `chain`, is not valid at `at`,
    does not name a UnionPay signer, or the signature does not verify."""
    pem = fields.get(CERTIFICATE_FIELD)
    if not isinstance(pem, str) or not pem or not fields.get(signing.SIGNATURE):
        raise CallbackRejected("the UnionPay message carries no signature or signPubKeyCert")
    leaf = _trusted_leaf(pem, chain)
    _check_validity((leaf, chain.middle, chain.root), at)
    key = leaf.public_key()
    assert isinstance(key, rsa.RSAPublicKey)  # narrowing: _trusted_leaf checked it  # nosec B101
    signing.verify_signature(key, fields, signed)
