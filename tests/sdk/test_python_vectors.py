"""The Python SDK against every case of the golden vectors (sdk/testvectors/*.json)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from paymux_sdk import (
    SignatureVerificationError,
    construct_event,
    generate_test_header,
    signing,
    verify_return,
)

VECTORS = Path(__file__).resolve().parents[2] / "sdk" / "testvectors"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text())
    return data


SIGNING = _load("request_signing.json")["cases"]
WEBHOOKS = _load("webhooks.json")
RETURNS = _load("returns.json")["cases"]


def test_every_file_has_cases() -> None:
    assert len(SIGNING) >= 6 and len(WEBHOOKS["verify"]) >= 17 and len(WEBHOOKS["generate"]) >= 2
    assert len(RETURNS) >= 12


@pytest.mark.parametrize("case", SIGNING, ids=[c["name"] for c in SIGNING])
def test_request_signing(case: dict[str, Any]) -> None:
    body = base64.b64decode(case["body_base64"])
    text = signing.string_to_sign(case["method"], case["path"], case["timestamp"], case["nonce"], body)
    assert text == case["string_to_sign"]
    assert signing.signature(case["secret"], text) == case["signature"]
    header = signing.authorization(
        case["app_id"], case["secret"], case["method"], case["path"], case["timestamp"], case["nonce"], body
    )
    assert header == case["authorization"]


@pytest.mark.parametrize("case", WEBHOOKS["verify"], ids=[c["name"] for c in WEBHOOKS["verify"]])
def test_webhook_verification(case: dict[str, Any]) -> None:
    payload = base64.b64decode(case["payload_base64"])
    verify = {"tolerance": case["tolerance"], "now": case["now"]}
    if case["valid"]:
        event = construct_event(payload, case["header"], case["secret"], **verify)
        assert event.id == event["id"] == case["event_id"]
        assert event.raw == json.loads(payload)
    else:
        with pytest.raises(SignatureVerificationError):
            construct_event(payload, case["header"], case["secret"], **verify)


@pytest.mark.parametrize("case", WEBHOOKS["generate"], ids=[c["name"] for c in WEBHOOKS["generate"]])
def test_test_header_generation(case: dict[str, Any]) -> None:
    payload = base64.b64decode(case["payload_base64"])
    header = generate_test_header(payload, case["secret"], case["timestamp"])
    assert header == case["header"]
    assert construct_event(payload, header, case["secret"], now=case["timestamp"]).id.startswith("evt_")


@pytest.mark.parametrize("case", RETURNS, ids=[c["name"] for c in RETURNS])
def test_return_verification(case: dict[str, Any]) -> None:
    if case["valid"]:
        assert (
            verify_return(case["query"], case["secret"], case["tolerance"], now=case["now"]) == case["values"]
        )
    else:
        with pytest.raises(SignatureVerificationError):
            verify_return(case["query"], case["secret"], case["tolerance"], now=case["now"])


def test_a_non_ascii_webhook_signature_fails_verification_and_raises_nothing_else() -> None:
    case = WEBHOOKS["generate"][0]
    payload = base64.b64decode(case["payload_base64"])
    with pytest.raises(SignatureVerificationError):
        construct_event(
            payload, f"t={case['timestamp']},v1={'é' * 64}", case["secret"], now=case["timestamp"]
        )
