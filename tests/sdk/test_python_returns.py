"""The SDK's return verification against what paymux's checkout really signs."""

from urllib.parse import urlsplit

import pytest

from paymux.checkout.returns import signed_return_url, verify_return
from paymux.errors import AuthenticationFailed
from paymux_sdk import SignatureVerificationError
from paymux_sdk import verify_return as sdk_verify

NOW = 1_764_316_800
VALUES = {
    "paymux_session_id": "cs_01KB0000000000000000000000",
    "paymux_merchant_order_no": "ORD-1",
    "paymux_payment_id": "pay_01KB0000000000000000000000",
    "paymux_status": "paid",
    "paymux_timestamp": str(NOW),
}


def test_a_genuine_return_verifies_in_the_sdk_and_keeps_the_merchants_own_query():
    url = signed_return_url("https://shop.example.com/done?order=ORD-1#top", "sk_a", VALUES)
    parts = urlsplit(url)
    assert parts.fragment == "top" and parts.query.startswith("order=ORD-1&paymux_session_id=")
    assert sdk_verify(parts.query, "sk_a", now=NOW + 299) == VALUES


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("paymux_status", "paid "),
        ("paymux_status", "expired"),
        ("paymux_payment_id", "pay_X"),
        ("paymux_timestamp", str(NOW + 1)),
    ],
)
def test_a_tampered_return_fails_in_the_sdk_and_in_paymux(name: str, value: str):
    query = dict(
        p.split("=", 1)
        for p in urlsplit(signed_return_url("https://s.example/r", "sk_a", VALUES)).query.split("&")
    )
    query[name] = value
    with pytest.raises(SignatureVerificationError):
        sdk_verify(query, "sk_a", now=NOW)
    with pytest.raises(AuthenticationFailed):
        verify_return(["sk_a"], query, NOW)


def test_another_secret_an_unsigned_or_a_stale_return_fails():
    query = urlsplit(signed_return_url("https://s.example/r", "sk_a", VALUES)).query
    for secret, now in (("sk_b", NOW), ("sk_a", NOW + 301)):
        with pytest.raises(SignatureVerificationError):
            sdk_verify(query, secret, now=now)
    with pytest.raises(SignatureVerificationError):
        sdk_verify("paymux_status=paid", "sk_a", now=NOW)
    assert (
        verify_return(["sk_old", "sk_a"], dict(p.split("=", 1) for p in query.split("&")), NOW)[
            "paymux_status"
        ]
        == "paid"
    )


@pytest.mark.parametrize("given", ["%C3%A9", "\u00e9" * 64])
def test_a_signature_that_is_not_ascii_fails_verification_and_raises_nothing_else(given: str):
    """compare_digest raises TypeError on a non-ASCII str: a payer could turn the merchant's
    landing page into a 500 (found by review). Both verifiers compare bytes."""
    url = signed_return_url("https://shop.example.com/done", "sk_a", VALUES)
    query = urlsplit(url).query.rsplit("&paymux_signature=", 1)[0] + "&paymux_signature=" + given
    with pytest.raises(SignatureVerificationError):
        sdk_verify(query, "sk_a", now=NOW)
    values = dict(p.split("=", 1) for p in query.split("&"))
    values["paymux_signature"] = "\u00e9" * 64
    with pytest.raises(AuthenticationFailed):
        verify_return(["sk_a"], values, NOW)


def test_a_leading_question_mark_is_stripped_and_an_empty_secret_verifies_nothing():
    query = urlsplit(signed_return_url("https://s.example/r", "sk_a", VALUES)).query
    assert sdk_verify("?" + query, "sk_a", now=NOW) == VALUES
    with pytest.raises(SignatureVerificationError):
        sdk_verify(urlsplit(signed_return_url("https://s.example/r", "", VALUES)).query, "", now=NOW)
