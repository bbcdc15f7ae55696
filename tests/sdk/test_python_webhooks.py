"""The SDK's webhook verification against what paymux's notifier really sends."""

import json

import pytest

from paymux.services.notifications import signature_header
from paymux_sdk import SignatureVerificationError, construct_event

NOW = 1_764_316_800
BODY = json.dumps({"id": "evt_1", "type": "payment.succeeded", "data": {"object": {"id": "pay_1"}}}).encode()


def test_a_genuine_notification_verifies():
    header = signature_header(["whsec_a"], NOW, BODY)
    assert construct_event(BODY, header, "whsec_a", now=NOW)["type"] == "payment.succeeded"
    assert construct_event(BODY.decode(), header, "whsec_a", now=NOW + 300)["id"] == "evt_1"


def test_rotation_sends_one_signature_per_secret():
    header = signature_header(["whsec_new", "whsec_old"], NOW, BODY)
    assert header.count("v1=") == 2
    construct_event(BODY, header, "whsec_new", now=NOW)
    construct_event(BODY, header, "whsec_old", now=NOW)


@pytest.mark.parametrize(
    ("body", "header_secret", "verify_secret", "now", "reason"),
    [
        (BODY, "whsec_a", "whsec_b", NOW, "no signature matches"),
        (BODY.replace(b"pay_1", b"pay_2"), "whsec_a", "whsec_a", NOW, "no signature matches"),
        (BODY, "whsec_a", "whsec_a", NOW + 301, "tolerance"),
        (BODY, "whsec_a", "whsec_a", NOW - 301, "tolerance"),
    ],
)
def test_bad_or_stale_signatures_raise(body, header_secret, verify_secret, now, reason):
    header = signature_header([header_secret], NOW, BODY)
    with pytest.raises(SignatureVerificationError, match=reason):
        construct_event(body, header, verify_secret, now=now)


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", f"t={NOW}", "v1=00", "garbage"])
def test_malformed_headers_raise(header):
    with pytest.raises(SignatureVerificationError):
        construct_event(BODY, header, "whsec_a", now=NOW)


def test_the_tolerance_is_configurable():
    header = signature_header(["whsec_a"], NOW, BODY)
    construct_event(BODY, header, "whsec_a", tolerance=3600, now=NOW + 3000)
    with pytest.raises(SignatureVerificationError):
        construct_event(BODY, header, "whsec_a", tolerance=60, now=NOW + 61)
