"""What an answer is rendered in (Accept), errors included; and an XML body is signed as bytes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from paymux.api.auth import authenticate
from paymux.api.http import Request, handle, parse_event
from paymux.api.media import JSON, TEXT_XML, XML, negotiate
from paymux.api.routes import unrouted
from paymux.api.xml_codec import decode_xml, encode_xml
from paymux.errors import AuthenticationFailed, Conflict, NotAcceptable
from paymux.store.merchants import MerchantApp
from tests.support import authorization, load_event

NOW = 1764316800.0


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        ("application/xml", XML),
        ("Application/XML; charset=utf-8", XML),
        ("application/json, application/xml", JSON),  # a tie: JSON, the default
        ("application/xml, */*", XML),  # named exactly beats a wildcard
        ("application/json;q=0.5, application/xml;q=0.9", XML),
        ("application/xml;q=0, */*", JSON),
        ("text/html, application/xml;q=0.1", XML),
        ("text/html, *; q=.2", JSON),  # what old Java clients send
        ("application/xml;q=2, application/json", JSON),  # a q out of range is ignored
        ("text/xml", TEXT_XML),
        ("text/*", TEXT_XML),
        ("Text/XML; q=0.9, application/json;q=0.5", TEXT_XML),
        ("application/xml, text/xml", XML),  # a tie: application/xml
        ("text/xml;q=0, */*", JSON),
    ],
)
def test_the_answer_is_in_the_media_type_accept_prefers(accept: str, media: str) -> None:
    assert negotiate(accept) == media


@pytest.mark.parametrize("accept", ["text/html", "application/json;q=0, application/xml;q=0", "image/*"])
def test_an_accept_that_allows_neither_is_a_406(accept: str) -> None:
    with pytest.raises(NotAcceptable) as err:
        negotiate(accept)
    assert (err.value.status, err.value.code) == (406, "not_acceptable")


def event(accept: str | None = None, **changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(load_event("get_payment.json"))
    if accept is not None:
        raw["headers"]["accept"] = accept
    return {**raw, **changes}


def test_an_answer_and_an_error_come_in_xml_when_asked() -> None:
    ok = handle(
        lambda _r: (200, {"object": "payment", "amount": 1999, "paid_at": None}), event("application/xml")
    )
    assert ok["headers"]["Content-Type"] == "application/xml; charset=utf-8"
    assert ok["headers"]["Vary"] == "Accept"
    assert decode_xml(ok["body"].encode(), "response") == {
        "object": "payment",
        "amount": 1999,
        "paid_at": None,
    }

    def refuse(_r: Request) -> Any:
        raise Conflict("payment_not_closable", "the payment is SUCCESS", details=[{"status": "SUCCESS"}])

    error = handle(refuse, event("application/xml"))
    assert error["statusCode"] == 409
    body = decode_xml(error["body"].encode(), "response")
    as_json = json.loads(handle(refuse, event())["body"])
    assert body == as_json  # the same error, the same code, in the other format
    assert body["error"]["code"] == "payment_not_closable"


def test_a_406_is_answered_before_the_operation_runs() -> None:
    ran: list[Request] = []
    response = handle(lambda r: ran.append(r) or (200, {}), event("text/html"))
    assert (response["statusCode"], ran) == (406, [])
    assert json.loads(response["body"])["error"]["code"] == "not_acceptable"  # in JSON, the default


def test_an_unrouted_request_is_answered_in_xml_when_asked() -> None:
    raw = event("application/xml", rawPath="/v1/nothing")
    response = unrouted(raw)
    assert response["statusCode"] == 404
    assert decode_xml(response["body"].encode(), "response")["error"]["code"] == "not_found"
    assert unrouted(event("text/html", rawPath="/v1/nothing"))["statusCode"] == 404  # never a 406


class Merchants:
    def app(self, app_id: str) -> MerchantApp:
        return MerchantApp(app_id=app_id, merchant_id="m_1")

    def signing_keys(self, _app_id: str) -> list[Any]:
        return [type("Key", (), {"secret": "sk_test_xml"})()]


class Nonces:
    def claim(self, *_: Any) -> bool:
        return True


def test_an_xml_body_is_signed_and_verified_as_the_bytes_sent() -> None:
    body = encode_xml({"amount": 500, "merchant_refund_no": "R-1"}, "request").encode()
    path = "/v1/payments/pay_1/refunds"
    raw = copy.deepcopy(load_event("refund_payment.json"))
    raw["headers"] = {
        "content-type": "application/xml",
        "authorization": authorization("app_1", "sk_test_xml", "POST", path, body, NOW),
    }
    raw.update(rawPath=path, body=body.decode(), isBase64Encoded=False)
    app = authenticate(parse_event(raw), Merchants(), Nonces(), NOW)  # type: ignore[arg-type]
    assert app.app_id == "app_1"
    # The same values in other bytes (an indentation) are another body: the signature fails.
    reformatted = body.replace(b"<amount", b"\n  <amount")
    assert decode_xml(reformatted) == decode_xml(body)
    with pytest.raises(AuthenticationFailed) as err:
        authenticate(parse_event({**raw, "body": reformatted.decode()}), Merchants(), Nonces(), NOW)  # type: ignore[arg-type]
    assert err.value.code == "invalid_signature"
