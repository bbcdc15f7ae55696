"""The hand-checked signPubKeyCert chain (RESEARCH.md §1.4) with generated certificates shaped
like UnionPay's: what a forger can build is rejected with reason "signature"."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from paymux.channels.unionpay import certificates
from paymux.channels.unionpay.certificates import TrustChain, notify_fields, verify_message
from paymux.errors import CallbackRejected, ConfigurationError
from tests.unionpay_keys import (
    SIGNER_CN,
    issue,
    pem,
    rsa_key,
    sign_as_unionpay,
    unionpay_chain,
)

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
AT = NOW.timestamp()
NOTIFY = {
    "version": "5.1.0",
    "encoding": "UTF-8",
    "signMethod": "01",
    "txnType": "01",
    "txnSubType": "07",
    "bizType": "000000",
    "accessType": "0",
    "merId": "777290058167151",
    "orderId": "PM20260601120000",
    "txnTime": "20260601200000",
    "txnAmt": "100",
    "currencyCode": "156",
    "queryId": "782606012000000000001",
    "respCode": "00",
    "respMsg": "成功[0000000]",
    "settleDate": "0601",
}


def signer_name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "cn"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CFCA OCA1"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def leaf(
    cn: str = SIGNER_CN,
    *,
    ca: bool | None = None,
    not_before: dt.datetime = dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    not_after: dt.datetime | None = None,
    serial: int | None = None,
    algorithm: hashes.HashAlgorithm | None = None,
) -> str:
    """A signer certificate for the chain's signer key, issued by the generated middle (CRLF
    PEM, as UnionPay sends it)."""
    chain = unionpay_chain()
    certificate = issue(
        signer_name(cn),
        chain.signer_key,
        chain.middle.subject,
        rsa_key("unionpay-middle"),
        ca=ca,
        not_before=not_before,
        not_after=not_after,
        serial=serial,
        algorithm=algorithm,
    )
    return pem(certificate, crlf=True)


def notify(certificate_pem: str | None = None, key_name: str = "unionpay-signer") -> dict[str, str]:
    return sign_as_unionpay(NOTIFY, certificate_pem, rsa_key(key_name))


def rejected(fields: dict[str, str], trust: TrustChain, at: float = AT) -> CallbackRejected:
    with pytest.raises(CallbackRejected) as caught:
        verify_message(fields, trust, at)
    return caught.value


@pytest.mark.parametrize("environment", ["test", "production"])
def test_a_notify_signed_by_the_chain_verifies(environment: str) -> None:
    verify_message(notify(), unionpay_chain().trust(environment), AT)


@pytest.mark.parametrize("algorithm", [hashes.SHA256(), None])
def test_sha1_and_sha256_certificates_are_accepted(algorithm: hashes.HashAlgorithm | None) -> None:
    certificate = leaf(algorithm=algorithm)
    expected = "sha256WithRSAEncryption" if algorithm else "sha1WithRSAEncryption"
    assert x509.load_pem_x509_certificate(certificate.encode()).signature_algorithm_oid._name == expected
    verify_message(notify(certificate), unionpay_chain().trust("production"), AT)


def test_a_self_signed_certificate_whose_cn_reads_right_is_rejected() -> None:
    """The forgery two popular peers accept: a fake respCode=00 notify signed by the forger's
    own certificate, with UnionPay's CN."""
    forged = pem(issue(signer_name(SIGNER_CN), rsa_key("forger"), ca=None), crlf=True)
    fields = notify(forged, "forger")
    assert fields["respCode"] == "00"
    for environment in ("test", "production"):
        assert rejected(fields, unionpay_chain().trust(environment)).reason == "signature"


def test_a_leaf_of_another_ca_with_the_same_names_is_rejected() -> None:
    """Right CN, and even the middle's and root's exact names: only the signatures tell."""
    chain = unionpay_chain()
    other_root = issue(chain.root.subject, rsa_key("other-root"), ca=True)
    other_middle = issue(
        chain.middle.subject, rsa_key("other-middle"), other_root.subject, rsa_key("other-root"), ca=True
    )
    certificate = issue(
        signer_name(SIGNER_CN),
        rsa_key("other-signer"),
        other_middle.subject,
        rsa_key("other-middle"),
        ca=None,
    )
    fields = notify(pem(certificate, crlf=True), "other-signer")
    verify_message(fields, TrustChain.from_pem(pem(other_root), pem(other_middle)), AT)  # its own CA: fine
    assert rejected(fields, chain.trust("test")).reason == "signature"


def test_a_certificate_passed_under_one_chain_is_not_trusted_under_another() -> None:
    chain = unionpay_chain()
    verify_message(notify(), chain.trust(), AT)  # now cached
    other_root = issue(chain.root.subject, rsa_key("other-root"), ca=True)
    other_middle = issue(
        chain.middle.subject, rsa_key("other-middle"), other_root.subject, rsa_key("other-root"), ca=True
    )
    other = TrustChain.from_pem(pem(other_root), pem(other_middle), environment="test")
    assert rejected(notify(), other).reason == "signature"


def test_validity_is_checked_at_the_given_time_even_when_cached() -> None:
    fields = notify(leaf(not_after=NOW + dt.timedelta(days=1), serial=7001))
    verify_message(fields, unionpay_chain().trust(), AT)
    assert rejected(fields, unionpay_chain().trust(), AT + 86400 + 1).reason == "signature"
    assert (
        rejected(
            fields, unionpay_chain().trust(), dt.datetime(2019, 12, 31, tzinfo=dt.UTC).timestamp()
        ).reason
        == "signature"
    )


def test_an_expired_leaf_is_rejected() -> None:
    expired = leaf(not_after=NOW - dt.timedelta(seconds=1))
    assert rejected(notify(expired), unionpay_chain().trust("test")).reason == "signature"


def test_a_leaf_not_yet_valid_is_rejected() -> None:
    early = leaf(not_before=NOW + dt.timedelta(seconds=1))
    assert rejected(notify(early), unionpay_chain().trust("test")).reason == "signature"


def test_an_expired_middle_fails_the_message() -> None:
    chain = unionpay_chain()
    middle = issue(
        chain.middle.subject,
        rsa_key("unionpay-middle"),
        chain.root.subject,
        rsa_key("unionpay-root"),
        ca=True,
        not_after=NOW - dt.timedelta(days=1),
    )
    trust = TrustChain.from_pem(pem(chain.root), pem(middle), environment="test")
    assert rejected(notify(), trust).reason == "signature"


def test_a_middle_without_ca_basic_constraints_is_refused() -> None:
    chain = unionpay_chain()
    for ca in (None, False):
        middle = issue(
            chain.middle.subject,
            rsa_key("unionpay-middle"),
            chain.root.subject,
            rsa_key("unionpay-root"),
            ca=ca,
        )
        with pytest.raises(ConfigurationError):
            TrustChain.from_pem(pem(chain.root), pem(middle))
        built = TrustChain(chain.root, middle, "test")  # not through from_pem: still refused
        assert rejected(notify(), built).reason == "signature"


def test_a_signer_issued_by_a_signer_is_rejected() -> None:
    """A leaf is not a CA: a certificate issued by the real signer's key does not chain."""
    chain = unionpay_chain()
    grandchild = issue(
        signer_name(SIGNER_CN), rsa_key("forger"), chain.signer.subject, chain.signer_key, ca=None
    )
    assert rejected(notify(pem(grandchild, crlf=True), "forger"), chain.trust("test")).reason == "signature"


def test_a_ca_as_signer_is_rejected() -> None:
    ca_leaf = leaf(ca=True)
    assert rejected(notify(ca_leaf), unionpay_chain().trust("test")).reason == "signature"


def test_the_test_signer_name_is_accepted_in_test_only() -> None:
    fields = notify(leaf("041@8310000000083040@00040000:SIGN@00016493"))
    verify_message(fields, unionpay_chain().trust("test"), AT)
    assert rejected(fields, unionpay_chain().trust("production")).reason == "signature"


@pytest.mark.parametrize(
    "cn",
    [
        "041@831@中国银联股份有限公司有限@1",
        "041@8310000000083040@某某支付有限公司@00016493",
        "041@中国银联股份有限公司@8310000000083040@00016493",
        "041@中国银联股份有限公司",  # two parts: no third to read (a Go peer indexes past the end)
        "中国银联股份有限公司",
    ],
)
def test_a_wrong_signer_name_is_rejected(cn: str) -> None:
    for environment in ("test", "production"):
        assert rejected(notify(leaf(cn)), unionpay_chain().trust(environment)).reason == "signature"


def test_a_signer_with_two_common_names_is_rejected() -> None:
    chain = unionpay_chain()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "x@y@某公司@1"),
            x509.NameAttribute(NameOID.COMMON_NAME, SIGNER_CN),
        ]
    )
    certificate = issue(
        name, rsa_key("unionpay-signer"), chain.middle.subject, rsa_key("unionpay-middle"), ca=None
    )
    assert rejected(notify(pem(certificate, crlf=True)), chain.trust("test")).reason == "signature"


def test_the_signature_must_be_the_leafs() -> None:
    """A chained certificate with a signature made by another key."""
    fields = notify(unionpay_chain().signer_pem, "forger")
    assert rejected(fields, unionpay_chain().trust("test")).reason == "signature"


def test_a_changed_field_after_signing_is_rejected() -> None:
    fields = notify()
    fields["txnAmt"] = "10000"
    assert rejected(fields, unionpay_chain().trust("test")).reason == "signature"


@pytest.mark.parametrize("missing", ["signature", "signPubKeyCert"])
def test_a_message_without_signature_or_certificate_is_malformed(missing: str) -> None:
    fields = notify()
    del fields[missing]
    assert rejected(fields, unionpay_chain().trust("test")).reason == "malformed"
    fields[missing] = ""
    assert rejected(fields, unionpay_chain().trust("test")).reason == "malformed"


@pytest.mark.parametrize(
    "text",
    [
        "\ud800",
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----",
        "证书",
    ],
)
def test_garbage_in_signpubkeycert_is_rejected(text: str) -> None:
    fields = notify() | {"signPubKeyCert": text}
    assert rejected(fields, unionpay_chain().trust("test")).reason == "signature"


def test_a_non_base64_signature_is_malformed() -> None:
    fields = notify() | {"signature": "***"}
    assert rejected(fields, unionpay_chain().trust("test")).reason == "malformed"


def test_another_sign_method_is_rejected() -> None:
    fields = sign_as_unionpay(NOTIFY | {"signMethod": "11"})
    assert rejected(fields, unionpay_chain().trust("test")).reason == "signature"


def test_notify_fields_drop_empty_values_as_the_official_servlet_does() -> None:
    """UnionPay signs without empty fields; a notify posted with one verifies once it is dropped."""
    received = notify() | {"reqReserved": "", "reserved": ""}
    assert rejected(received, unionpay_chain().trust("test")).reason == "signature"
    kept = notify_fields(received)
    assert "reqReserved" not in kept and kept["txnAmt"] == "100"
    verify_message(kept, unionpay_chain().trust("test"), AT)


def test_trust_chain_accepts_pem_der_and_base64_der() -> None:
    chain = unionpay_chain()
    der_root = chain.root.public_bytes(serialization.Encoding.DER)
    der_middle = chain.middle.public_bytes(serialization.Encoding.DER)
    forms = [
        (chain.root_pem, chain.middle_pem),
        (chain.root_pem.encode(), chain.middle_pem.encode()),
        (der_root, der_middle),
        (base64.b64encode(der_root).decode(), base64.encodebytes(der_middle)),
    ]
    for root, middle in forms:
        trust = TrustChain.from_pem(root, middle, environment="test")
        assert (trust.root, trust.middle) == (chain.root, chain.middle)
        verify_message(notify(), trust, AT)


@pytest.mark.parametrize("environment", ["prod", "", "Production", "sandbox"])
def test_an_unknown_environment_is_a_configuration_error(environment: str) -> None:
    with pytest.raises(ConfigurationError):
        TrustChain.from_pem(unionpay_chain().root_pem, unionpay_chain().middle_pem, environment=environment)


def test_anchors_that_do_not_chain_are_a_configuration_error() -> None:
    chain = unionpay_chain()
    with pytest.raises(ConfigurationError):
        TrustChain.from_pem(chain.middle_pem, chain.root_pem)  # swapped
    with pytest.raises(ConfigurationError):
        TrustChain.from_pem(chain.root_pem, "not a certificate")
    stranger = issue(chain.root.subject, rsa_key("other-root"), ca=True)
    with pytest.raises(ConfigurationError):
        TrustChain.from_pem(pem(stranger), chain.middle_pem)  # same name, other key


def test_the_cache_is_bounded_and_keeps_only_what_passed() -> None:
    certificates._trusted_leaf.cache_clear()
    verify_message(notify(), unionpay_chain().trust("test"), AT)
    rejected(notify(leaf("x@y@某公司@1")), unionpay_chain().trust("test"))
    info = certificates._trusted_leaf.cache_info()
    assert info.currsize == 1 and info.maxsize is not None and info.maxsize <= 256


def test_a_leaf_signed_by_the_middles_key_but_naming_another_issuer_is_rejected() -> None:
    chain = unionpay_chain()
    other_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CFCA OCA2")])
    certificate = issue(
        signer_name(SIGNER_CN), chain.signer_key, other_name, rsa_key("unionpay-middle"), ca=None
    )
    assert rejected(notify(pem(certificate, crlf=True)), chain.trust("test")).reason == "signature"


def test_an_expired_root_fails_the_message() -> None:
    chain = unionpay_chain()
    root = issue(chain.root.subject, rsa_key("unionpay-root"), ca=True, not_after=NOW - dt.timedelta(days=1))
    trust = TrustChain.from_pem(pem(root), chain.middle_pem, environment="test")  # same key: it chains
    assert rejected(notify(), trust).reason == "signature"
    verify_message(notify(), trust, (NOW - dt.timedelta(days=2)).timestamp())


def test_a_root_that_is_not_a_ca_is_refused() -> None:
    chain = unionpay_chain()
    root = issue(chain.root.subject, rsa_key("unionpay-root"), ca=None)
    with pytest.raises(ConfigurationError):
        TrustChain.from_pem(pem(root), chain.middle_pem)
    assert rejected(notify(), TrustChain(root, chain.middle, "test")).reason == "signature"


def key_usage(*, signs_certificates: bool, signs_messages: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signs_messages,
        content_commitment=False,
        key_encipherment=not signs_messages,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def test_key_usages_are_respected() -> None:
    chain = unionpay_chain()
    middle = issue(
        chain.middle.subject,
        rsa_key("unionpay-middle"),
        chain.root.subject,
        rsa_key("unionpay-root"),
        ca=True,
        extensions=[key_usage(signs_certificates=False, signs_messages=True)],
    )
    with pytest.raises(ConfigurationError):
        TrustChain.from_pem(chain.root_pem, pem(middle))
    encipher_only = issue(
        signer_name(SIGNER_CN),
        chain.signer_key,
        chain.middle.subject,
        rsa_key("unionpay-middle"),
        ca=None,
        extensions=[key_usage(signs_certificates=False, signs_messages=False)],
    )
    assert rejected(notify(pem(encipher_only, crlf=True)), chain.trust("test")).reason == "signature"
    signer = issue(
        signer_name(SIGNER_CN),
        chain.signer_key,
        chain.middle.subject,
        rsa_key("unionpay-middle"),
        ca=None,
        extensions=[key_usage(signs_certificates=False, signs_messages=True)],
    )
    verify_message(notify(pem(signer, crlf=True)), chain.trust("test"), AT)


def test_a_root_whose_path_length_forbids_the_middle_is_refused() -> None:
    chain = unionpay_chain()
    root = issue(
        chain.root.subject,
        rsa_key("unionpay-root"),
        ca=None,
        extensions=[x509.BasicConstraints(ca=True, path_length=0)],
    )
    with pytest.raises(ConfigurationError):
        TrustChain.from_pem(pem(root), chain.middle_pem)


@pytest.mark.filterwarnings("ignore:Parsed a serial number")
def test_every_single_byte_change_of_the_signer_certificate_is_a_typed_rejection() -> None:
    """Whatever a corrupted or crafted signPubKeyCert holds, the answer is CallbackRejected,
    never another exception (which would surface as a 5xx)."""
    chain = unionpay_chain()
    der = chain.signer.public_bytes(serialization.Encoding.DER)
    fields = notify()
    for position in range(len(der)):
        changed = bytearray(der)
        changed[position] ^= 0xFF
        body = base64.encodebytes(bytes(changed)).decode().replace("\n", "\r\n")
        text = f"-----BEGIN CERTIFICATE-----\r\n{body}-----END CERTIFICATE-----"
        with pytest.raises(CallbackRejected):
            verify_message(fields | {"signPubKeyCert": text}, chain.trust("test"), AT)


def test_a_chain_with_an_unknown_environment_accepts_no_signer() -> None:
    chain = unionpay_chain()
    assert rejected(notify(), TrustChain(chain.root, chain.middle, "staging")).reason == "signature"


def test_an_md5_signed_signer_is_rejected() -> None:
    certificate = leaf(algorithm=hashes.MD5())
    assert (
        x509.load_pem_x509_certificate(certificate.encode()).signature_algorithm_oid._name
        == "md5WithRSAEncryption"
    )
    assert rejected(notify(certificate), unionpay_chain().trust("test")).reason == "signature"
