"""The whole lifecycle over XML, against the local API (template.yaml's routes and handlers over
HTTP, moto, the WeChat Pay sandbox): create → the payer pays in the sandbox → query → refund →
close another payment → the audit trail and the notifications, every request an XML body signed
over its bytes and every answer XML that validates against the documented model. The merchant's
notifications stay JSON (docs/xml.md says why) and verify."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from pydantic import BaseModel

from local.demo_merchant import DemoMerchant
from local.seed import seed_wechat_account
from local.stack import LocalStack
from paymux.api.resources import (
    ErrorResponse,
    EventList,
    NotificationList,
    PaymentResource,
    RefundResource,
)
from paymux.api.xml_codec import decode_xml, encode_xml
from paymux.deps import Deps, deps, set_deps
from paymux.store.merchants import MerchantApp
from sandbox.wechat import WeChatSandbox, generate_merchant
from tests.support import authorization, wait_until

XML = "application/xml"


@dataclass
class Merchant:
    api_url: str
    app_id: str
    secret: str
    d: Deps
    wechat: WeChatSandbox
    mchid: str
    receiver: DemoMerchant

    def call(
        self, method: str, path: str, body: Any = None, accept: str = XML, content_type: str = XML
    ) -> requests.Response:
        raw = encode_xml(body, "request").encode() if body is not None else b""
        headers = {
            "Authorization": authorization(self.app_id, self.secret, method, path, raw, time.time()),
            "Accept": accept,
        }
        if body is not None:
            headers["Content-Type"] = content_type
        return requests.request(method, self.api_url + path, data=raw, headers=headers, timeout=30)


def answer[M: BaseModel](
    response: requests.Response, status: int, model: type[M], media: str = XML
) -> tuple[dict[str, Any], M]:
    """The XML answer: its status, media type, plain values and the model they validate as."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == f"{media}; charset=utf-8"
    assert response.headers["Vary"] == "Accept"
    value = decode_xml(response.content, "response")
    return value, model.model_validate(value)


@pytest.fixture(scope="module")
def merchant() -> Iterator[Merchant]:
    wechat = WeChatSandbox(key_mode="both")
    identity = generate_merchant(mchid="1900000109", appids=("wx8888888888888888",))
    secret = "sk_" + secrets.token_hex(16)
    receiver = DemoMerchant(secret)
    with LocalStack(api_port=0, moto_port=0, schedules=False) as stack:
        wechat.start()
        receiver.start()
        try:
            set_deps(None)  # built from the stack's environment
            d = deps()
            d.merchants.put_app(MerchantApp(app_id="app_xml", merchant_id="mch_xml"), secret)
            seed_wechat_account(d, wechat, identity, "wx-xml", owner="mch_xml")
            yield Merchant(stack.api_url, "app_xml", secret, d, wechat, identity.merchant.mchid, receiver)
        finally:
            receiver.stop()
            wechat.stop()
            set_deps(None)


def order(merchant: Merchant, **changes: Any) -> dict[str, Any]:
    return {
        "amount": 1999,
        "currency": "CNY",
        "method": "wechat.native",
        "subject": "咖啡豆 & <beans>",
        "merchant_order_no": "XML-" + secrets.token_hex(4),
        "notify_url": merchant.receiver.url + "/notify",
        "expires_in": 1800,
        "payer": {"client_ip": "203.0.113.7"},
        "metadata": {"order_ref": "A-1", "门店 编号": "SH-01"},
        **changes,
    }


def test_the_whole_lifecycle_over_xml(merchant: Merchant) -> None:
    body = order(merchant)
    created, payment = answer(merchant.call("POST", "/v1/payments", body), 201, PaymentResource)
    assert (payment.status, payment.amount, payment.subject) == ("PROCESSING", 1999, body["subject"])
    assert created["metadata"] == body["metadata"] and created["action"]["type"] == "qr_code"
    assert created["paid_at"] is None  # type="null", not absent

    stored = merchant.d.payments.get(payment.id)
    assert stored is not None
    merchant.wechat.pay(merchant.mchid, stored.out_trade_no)
    assert merchant.wechat.wait_for_callbacks(timeout=10)

    _, paid = answer(merchant.call("GET", f"/v1/payments/{payment.id}"), 200, PaymentResource)
    assert (paid.status, paid.amount_refundable) == ("SUCCESS", 1999)
    path = f"/v1/payments?merchant_order_no={body['merchant_order_no']}"
    _, found = answer(merchant.call("GET", path), 200, PaymentResource)
    assert found.id == payment.id

    refund_body = {"amount": 500, "merchant_refund_no": "R-" + secrets.token_hex(4), "reason": "一袋退货"}
    _, refund = answer(
        merchant.call("POST", f"/v1/payments/{payment.id}/refunds", refund_body), 201, RefundResource
    )
    assert (refund.payment_id, refund.amount, refund.reason) == (payment.id, 500, "一袋退货")
    _, again = answer(merchant.call("GET", f"/v1/refunds/{refund.id}"), 200, RefundResource)
    assert again.id == refund.id
    _, after = answer(merchant.call("GET", f"/v1/payments/{payment.id}"), 200, PaymentResource)
    assert after.amount_refundable == 1499

    _, other = answer(merchant.call("POST", "/v1/payments", order(merchant)), 201, PaymentResource)
    _, closed = answer(merchant.call("POST", f"/v1/payments/{other.id}/close"), 200, PaymentResource)
    assert (closed.id, closed.status) == (other.id, "CLOSED")

    _, events = answer(merchant.call("GET", f"/v1/payments/{payment.id}/events"), 200, EventList)
    types = [e.type for e in events.data]
    assert types[0] == "payment.created" and "payment.succeeded" in types
    assert any(e.refund_id == refund.id for e in events.data)

    assert wait_until(lambda: any(r["verified"] for r in merchant.receiver.received), timeout=20)
    _, notifications = answer(
        merchant.call("GET", f"/v1/payments/{payment.id}/notifications"), 200, NotificationList
    )
    succeeded = [n for n in notifications.data if n.type == "payment.succeeded"]
    assert len(succeeded) == 1 and succeeded[0].event.data.object.id == payment.id
    # The notification itself went out as JSON, signed over its bytes, as before.
    delivered = [r for r in merchant.receiver.received if r["event"].get("type") == "payment.succeeded"]
    assert delivered and delivered[0]["verified"]
    assert delivered[0]["event"]["data"]["object"]["id"] == payment.id


def test_errors_come_in_xml_with_the_same_codes(merchant: Merchant) -> None:
    body = order(merchant)
    answer(merchant.call("POST", "/v1/payments", body), 201, PaymentResource)
    value, error = answer(merchant.call("POST", "/v1/payments", {**body, "amount": 2000}), 409, ErrorResponse)
    assert error.error.code == "duplicate_merchant_order_no" and value["error"]["request_id"]
    _, invalid = answer(merchant.call("POST", "/v1/payments", {**body, "amount": "1999"}), 422, ErrorResponse)
    assert (invalid.error.code, invalid.error.details[0]["field"]) == ("validation_failed", "amount")
    hostile = b'<!DOCTYPE request [<!ENTITY x "y">]><request/>'
    raw = requests.post(
        merchant.api_url + "/v1/payments",
        data=hostile,
        headers={
            "Authorization": authorization(
                merchant.app_id, merchant.secret, "POST", "/v1/payments", hostile, time.time()
            ),
            "Content-Type": XML,
            "Accept": XML,
        },
        timeout=30,
    )
    _, refused = answer(raw, 422, ErrorResponse)
    assert "DOCTYPE" in refused.error.details[0]["message"]
    _, missing = answer(
        merchant.call("GET", "/v1/payments/pay_01KB0000000000000000000000"), 404, ErrorResponse
    )
    assert missing.error.code == "not_found"
    _, unrouted = answer(merchant.call("DELETE", "/v1/payments"), 405, ErrorResponse)
    assert unrouted.error.code == "method_not_allowed"


def test_json_and_xml_are_one_api(merchant: Merchant) -> None:
    """The same create in JSON and in XML is the same request (idempotent on merchant_order_no);
    Accept alone decides the answer's format; an Accept that allows neither is a typed 406."""
    body = order(merchant)
    created, _ = answer(merchant.call("POST", "/v1/payments", body), 201, PaymentResource)
    raw = requests.post(
        merchant.api_url + "/v1/payments",
        json=body,
        headers={"Authorization": "", "Accept": "*/*"},
        timeout=30,
    )
    assert raw.status_code == 401 and raw.headers["Content-Type"].startswith("application/json")  # */*
    data = json.dumps(body).encode()
    headers = {
        "Authorization": authorization(
            merchant.app_id, merchant.secret, "POST", "/v1/payments", data, time.time()
        ),
        "Content-Type": "application/json",
    }
    same = requests.post(merchant.api_url + "/v1/payments", data=data, headers=headers, timeout=30)
    assert same.status_code == 200 and same.json() == created  # the same payment, now in JSON
    refused = merchant.call("GET", f"/v1/payments/{created['id']}", accept="text/html")
    assert refused.status_code == 406
    assert refused.json()["error"]["code"] == "not_acceptable"


TEXT_XML = "text/xml"


def test_text_xml_is_read_and_answered_like_application_xml(merchant: Merchant) -> None:
    """text/xml (RFC 7303's synonym, what older clients send) is the same XML: a body in it is
    read, and an Accept preferring it is answered in it, errors included; the same create in
    application/xml is the same request."""
    body = order(merchant)
    sent = merchant.call("POST", "/v1/payments", body, accept=TEXT_XML, content_type=TEXT_XML)
    created, payment = answer(sent, 201, PaymentResource, TEXT_XML)
    assert (payment.status, created["metadata"]) == ("PROCESSING", body["metadata"])
    again = merchant.call("POST", "/v1/payments", body, content_type="text/xml; charset=utf-8")
    _, same = answer(again, 200, PaymentResource)
    assert same.id == payment.id
    _, read = answer(
        merchant.call("GET", f"/v1/payments/{payment.id}", accept="text/*"), 200, PaymentResource, TEXT_XML
    )
    assert read.id == payment.id
    _, refused = answer(
        merchant.call(
            "POST", "/v1/payments", {**body, "amount": 2000}, accept=TEXT_XML, content_type=TEXT_XML
        ),
        409,
        ErrorResponse,
        TEXT_XML,
    )
    assert refused.error.code == "duplicate_merchant_order_no"
    latin = merchant.call(
        "POST", "/v1/payments", order(merchant), content_type="text/xml; charset=iso-8859-1"
    )
    _, charset = answer(latin, 415, ErrorResponse)
    assert charset.error.code == "unsupported_media_type"
