"""signMethod 01 (PROTOCOLS.md §3.1): the sign string, SHA256withRSA over its SHA-256 hex,
and certId from the merchant's PKCS#12."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.serialization import pkcs12

from paymux.channels.unionpay.signing import SigningKey, digest, sign_string, verify_signature
from paymux.errors import CallbackRejected, ConfigurationError
from tests.unionpay_keys import credentials, issue, rsa_key, sign_fields, unionpay_chain, unionpay_merchant

REQUEST = {
    "version": "5.1.0",
    "encoding": "UTF-8",
    "signMethod": "01",
    "txnType": "01",
    "txnSubType": "07",
    "bizType": "000000",
    "channelType": "08",
    "accessType": "0",
    "merId": "777290058167151",
    "orderId": "PM20260601120000",
    "txnTime": "20260601120000",
    "txnAmt": "100",
    "currencyCode": "156",
    "backUrl": "https://pay.example.com/callbacks/unionpay?x=1&y=2",
    "reqReserved": "",
}


def signing_key() -> SigningKey:
    merchant = unionpay_merchant()
    return SigningKey.from_pkcs12(merchant.pfx, merchant.password)


def test_sign_string_sorts_by_ascii_key_without_signature_and_keeps_raw_values() -> None:
    fields = {
        "txnAmt": "1",
        "Zeta": "z",
        "accessType": "0",
        "signature": "x",
        "backUrl": "a=b&c",
        "empty": "",
    }
    assert sign_string(fields) == "Zeta=z&accessType=0&backUrl=a=b&c&empty=&txnAmt=1"


def test_digest_is_the_lowercase_hex_of_the_utf8_sign_string() -> None:
    """Hand-computed: printf 'a=1&b=中' | sha256sum."""
    assert sign_string({"b": "中", "a": "1"}) == "a=1&b=中"
    expected = "d4e212b1d806482e231b8dcb2756a7e3b4be011a97ad094f48fbfba66371f26c"
    assert digest({"b": "中", "a": "1"}) == expected.encode()


def test_cert_id_is_the_decimal_serial_of_the_pfx_certificate() -> None:
    key = signing_key()
    assert key.cert_id == "2024120100000042"
    assert key.sign(REQUEST)["certId"] == "2024120100000042"


def test_a_real_sized_serial_is_written_in_decimal_not_hex() -> None:
    """The real sample signer's serial 0x1039308534 is certId 69678957876."""
    chain = unionpay_chain()
    certificate = issue(
        "041@Z12@00000002@777290058167152",
        rsa_key("merchant-2"),
        chain.middle.subject,
        rsa_key("unionpay-middle"),
        serial=0x1039308534,
    )
    pfx = pkcs12.serialize_key_and_certificates(
        b"m", rsa_key("merchant-2"), certificate, None, serialization.NoEncryption()
    )
    assert SigningKey.from_pkcs12(pfx, "").cert_id == "69678957876"


def test_sign_drops_empty_values_sets_cert_id_and_signs_the_hex_digest() -> None:
    request = REQUEST | {"signature": "stale"}
    signed = signing_key().sign(request)
    assert "reqReserved" not in signed
    assert request["signature"] == "stale" and request["reqReserved"] == ""  # input untouched
    assert set(signed) == (set(REQUEST) - {"reqReserved"}) | {"certId", "signature"}
    unsigned = {k: v for k, v in signed.items() if k != "signature"}
    assert sign_string(signed) == "&".join(f"{k}={unsigned[k]}" for k in sorted(unsigned))
    public = unionpay_merchant().certificate.public_key()
    raw = base64.b64decode(signed["signature"])
    hexdigest = hashlib.sha256(sign_string(signed).encode()).hexdigest()
    public.verify(raw, hexdigest.encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]
    with pytest.raises(InvalidSignature):  # the string itself is not what is signed
        public.verify(raw, sign_string(signed).encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]


def test_the_signature_agrees_with_an_independent_signer() -> None:
    """PKCS#1 v1.5 is deterministic: the test helper's own write-up gives the same bytes."""
    signed = signing_key().sign(REQUEST)
    assert signed["signature"] == sign_fields(signed, unionpay_merchant().key)


def test_round_trip_and_tampering() -> None:
    signed = signing_key().sign(REQUEST)
    public = unionpay_merchant().certificate.public_key()
    verify_signature(public, signed)  # type: ignore[arg-type]
    for key in ("txnAmt", "certId", "backUrl"):
        with pytest.raises(CallbackRejected) as caught:
            verify_signature(public, signed | {key: signed[key] + "0"})  # type: ignore[arg-type]
        assert caught.value.reason == "signature"
    with pytest.raises(CallbackRejected) as caught:
        verify_signature(rsa_key("forger").public_key(), signed)
    assert caught.value.reason == "signature"


@pytest.mark.parametrize("signature", ["", "not base64!", "YWJj"])
def test_a_missing_or_garbled_signature(signature: str) -> None:
    with pytest.raises(CallbackRejected) as caught:
        verify_signature(rsa_key("forger").public_key(), REQUEST | {"signature": signature})
    assert caught.value.reason == ("signature" if signature == "YWJj" else "malformed")


def test_a_wrong_password_is_a_configuration_error_that_does_not_name_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        SigningKey.from_pkcs12(unionpay_merchant().pfx, "123456")
    assert "123456" not in str(caught.value) and "000000" not in str(caught.value)


@pytest.mark.parametrize("data", [b"", b"not a pfx", base64.b64encode(b"x" * 64)])
def test_a_file_that_is_not_a_pfx_is_a_configuration_error(data: bytes) -> None:
    with pytest.raises(ConfigurationError):
        SigningKey.from_pkcs12(data, "000000")


def test_a_pfx_without_certificate_or_rsa_key_is_a_configuration_error() -> None:
    no_certificate = pkcs12.serialize_key_and_certificates(
        b"m", unionpay_merchant().key, None, None, serialization.NoEncryption()
    )
    with pytest.raises(ConfigurationError):
        SigningKey.from_pkcs12(no_certificate, "")
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_pfx = pkcs12.serialize_key_and_certificates(b"m", ec_key, None, None, serialization.NoEncryption())
    with pytest.raises(ConfigurationError):
        SigningKey.from_pkcs12(ec_pfx, "")


def test_the_key_never_shows_in_its_repr() -> None:
    key = signing_key()
    assert repr(key) == "SigningKey(cert_id='2024120100000042')"
    assert "PRIVATE" not in str(key)


def test_a_field_that_is_not_utf8_text_is_malformed_not_an_exception() -> None:
    signed = signing_key().sign(REQUEST)
    with pytest.raises(CallbackRejected) as caught:
        verify_signature(rsa_key("forger").public_key(), signed | {"respMsg": "\ud800"})
    assert caught.value.reason == "malformed"


def test_the_test_credentials_load_as_an_account_would() -> None:
    """tests.unionpay_keys.credentials() is the Secrets Manager JSON other tests configure."""
    from paymux.channels.unionpay.certificates import TrustChain

    secret = credentials("test")
    key = SigningKey.from_pkcs12(base64.b64decode(secret["signing_pfx"]), secret["signing_pfx_password"])
    assert key.cert_id == unionpay_merchant().cert_id
    trust = TrustChain.from_pem(secret["root_cert"], secret["middle_cert"], environment=secret["environment"])
    assert trust.environment == "test" and trust.middle == unionpay_chain().middle
