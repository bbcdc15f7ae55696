"""The API description: the response models match what the code really answers, the route table
matches template.yaml both ways, the document is valid OpenAPI 3.1 and committed up to date,
and the docs handler serves it (JSON and a self-contained HTML page)."""

import base64
import copy
import hashlib
import json
import re
import subprocess
import sys
from types import SimpleNamespace
from typing import Any, get_args

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel, ValidationError

from local.template import load_template
from paymux.api import openapi
from paymux.api.docs_page import render
from paymux.api.http import error_response
from paymux.api.models import CreatePaymentRequest, CreateRefundRequest
from paymux.api.openapi_text import AUTH, WEBHOOKS
from paymux.api.resources import (
    NOTIFICATION_TYPES,
    ErrorResponse,
    EventList,
    NotificationEvent,
    NotificationList,
    NotificationResource,
    PaymentResource,
    RefundResource,
)
from paymux.api.xml_codec import decode_xml
from paymux.domain.ids import new_payment_id, new_refund_id
from paymux.domain.payment import Payment
from paymux.domain.refund import Refund
from paymux.domain.states import NOTIFIED_EVENTS, PaymentStatus, RefundStatus
from paymux.errors import Conflict, NotFound
from paymux.services.notifications import public_notification
from paymux.services.outcomes import notification_for
from paymux.services.payments import payment_events
from paymux.store.dynamo import from_item, to_item
from paymux.store.notifications import payload_of
from paymux.store.payment_keys import event_item
from paymux.store.refunds import refund_event
from tests.support import ROOT, handler_module, load_event

NOW = 1764316800.0
REGENERATE = "PYTHONPATH=layers/common .venv/bin/python -m paymux.api.openapi > docs/openapi.json"
ACTIONS = (
    {"type": "qr_code", "code_url": "weixin://wxpay/bizpayurl?pr=abc"},
    {"type": "redirect", "url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1"},
    {
        "type": "wechat_jsapi",
        "prepay_id": "wx201410272009395522657a690389285100",
        "appId": "wx8888888888888888",
        "timeStamp": "1414561699",
        "nonceStr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        "package": "prepay_id=wx201410272009395522657a690389285100",
        "signType": "RSA",
        "paySign": "oR9d8PuhnIc+YZ8cBHFCwfgpaK9gd7vaRvkYD7rthRAZ",
    },
    {
        "type": "wechat_app",
        "prepay_id": "wx201410272009395522657a690389285100",
        "appid": "wx8888888888888888",
        "partnerid": "1900000109",
        "prepayid": "wx201410272009395522657a690389285100",
        "package": "Sign=WXPay",
        "noncestr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        "timestamp": "1414561699",
        "sign": "oR9d8PuhnIc+YZ8cBHFCwfgpaK9gd7vaRvkYD7rthRAZ",
    },
    {"type": "alipay_app", "order_string": "app_id=2021000000000001&biz_content=%7B%7D&sign=abc"},
    {"type": "unionpay_app", "tn": "201512151321481233778"},
)


def payment(**changes: Any) -> Payment:
    fields: dict[str, Any] = {
        "payment_id": new_payment_id(NOW),
        "merchant_id": "m_1",
        "app_id": "app_1",
        "merchant_order_no": "order-1",
        "amount": 1999,
        "currency": "CNY",
        "method": "wechat.native",
        "subject": "T-shirt",
        "notify_url": "https://merchant.example/notify",
        "request_hash": "h",
        "created_at": NOW,
        "expires_at": NOW + 7200,
    }
    return Payment(**(fields | changes))


def refund(**changes: Any) -> Refund:
    fields: dict[str, Any] = {
        "refund_id": new_refund_id(NOW),
        "payment_id": new_payment_id(NOW),
        "merchant_id": "m_1",
        "app_id": "app_1",
        "merchant_refund_no": "refund-1",
        "amount": 500,
        "currency": "CNY",
        "request_hash": "h",
        "created_at": NOW,
    }
    return Refund(**(fields | changes))


PAYMENTS = [
    payment(),
    payment(status=PaymentStatus.PROCESSING, provider="wechat", action=ACTIONS[0], metadata={"k": "v"}),
    payment(status=PaymentStatus.PROCESSING, provider="wechat", action=ACTIONS[1], description="d"),
    payment(status=PaymentStatus.PROCESSING, provider="wechat", action=ACTIONS[2]),
    payment(status=PaymentStatus.PROCESSING, provider="wechat", action=ACTIONS[3]),
    payment(status=PaymentStatus.PROCESSING, provider="alipay", action=ACTIONS[4]),
    payment(
        status=PaymentStatus.SUCCESS, channel_trade_no="4200001", paid_at=NOW + 60, amount_refund_reserved=500
    ),
    payment(status=PaymentStatus.FAILED, failure_code="NOAUTH", failure_message="no permission"),
    payment(status=PaymentStatus.CLOSED, closed_at=NOW + 7200),
    payment(status=PaymentStatus.REFUNDED, amount_refunded=1999, amount_refund_reserved=1999, version=5),
    payment(status=PaymentStatus.PROCESSING, provider="unionpay", method="unionpay.app", action=ACTIONS[5]),
]
REFUNDS = [
    refund(),
    refund(status=RefundStatus.SUCCESS, channel_refund_no="5030001", succeeded_at=NOW + 5, reason="size"),
    refund(status=RefundStatus.FAILED, failure_code="ABNORMAL", failure_message="card closed"),
]


@pytest.mark.parametrize("subject", PAYMENTS, ids=lambda p: f"{p.status}-{bool(p.action)}")
def test_payment_resource_describes_to_public(subject: Payment) -> None:
    PaymentResource.model_validate(subject.to_public())


@pytest.mark.parametrize("subject", REFUNDS, ids=lambda r: str(r.status))
def test_refund_resource_describes_to_public(subject: Refund) -> None:
    RefundResource.model_validate(subject.to_public())


@pytest.mark.parametrize(
    ("model", "public"),
    [(PaymentResource, PAYMENTS[4].to_public()), (RefundResource, REFUNDS[1].to_public())],
)
def test_a_renamed_missing_added_or_retyped_field_fails(
    model: type[BaseModel], public: dict[str, Any]
) -> None:
    renamed = {("total" if k == "amount" else k): v for k, v in public.items()}
    missing = {k: v for k, v in public.items() if k != "created_at"}
    added = public | {"surprise": 1}
    retyped = public | {"amount": str(public["amount"])}
    for broken in (renamed, missing, added, retyped):
        with pytest.raises(ValidationError):
            model.model_validate(broken)


def test_event_list_describes_the_audit_trail() -> None:
    paid = payment(status=PaymentStatus.SUCCESS, version=3, updated_at=NOW + 60)
    items = [
        event_item(payment(), None, PaymentStatus.PENDING, "payment.created", "merchant", {}),
        event_item(
            paid, PaymentStatus.PROCESSING, PaymentStatus.SUCCESS, "payment.succeeded", "channel", {"x": 1}
        ),
        refund_event(REFUNDS[1], "refund.succeeded", "channel", NOW + 90, {"amount": 500}),
    ]
    store = SimpleNamespace(get=lambda _id: paid, events=lambda _id: items)
    d: Any = SimpleNamespace(payments=store)
    events = payment_events(d, SimpleNamespace(merchant_id="m_1"), paid.payment_id)  # type: ignore[arg-type]
    listing = EventList.model_validate({"object": "list", "data": events})  # as list_payment_events answers
    assert [e.type for e in listing.data] == ["payment.created", "payment.succeeded", "refund.succeeded"]


def test_notification_event_describes_the_outbox_payload() -> None:
    paid = PAYMENTS[4]
    for event_type, subject in (("payment.succeeded", None), ("refund.succeeded", REFUNDS[1])):
        item = notification_for(event_type, NOW, subject)(paid)
        event = NotificationEvent.model_validate(json.loads(payload_of(item)))
        assert event.type == event_type
        assert event.data.object.object == ("refund" if subject else "payment")


def test_notification_resource_describes_the_delivery_log() -> None:
    item = notification_for("payment.succeeded", NOW, None)(PAYMENTS[4])
    results = [
        {
            "at": NOW + 1,
            "status_code": 500,
            "error": "HTTP 500",
            "latency_ms": 12.3,
            "ok": False,
            "retry_in": 1,
        },
        {"at": NOW + 2, "status_code": None, "error": "timed out", "latency_ms": 5000.0, "ok": False},
        {"at": NOW + 4, "status_code": 200, "error": None, "latency_ms": 8.0, "ok": True},
    ]
    log = [
        {"PK": item["PK"], "SK": f"{item['SK']}#ATT#{n:02d}", "attempt": n, **r}
        for n, r in enumerate(results, 1)
    ]
    stored = from_item(to_item({**item, "status": "delivered", "attempts": 3}))  # as DynamoDB returns it
    stored = {**stored, "payload": payload_of(stored)}  # as the store's readers return it
    public = public_notification({**stored, "attempt_log": [from_item(to_item(a)) for a in log]})
    listing = NotificationList.model_validate(
        {"object": "list", "data": [public]}
    )  # as list_notifications answers
    assert [a.status_code for a in listing.data[0].attempts] == [500, None, 200]
    NotificationResource.model_validate(public_notification(stored))  # as resend answers (no log)


def test_notification_types_are_the_ones_sent_and_documented() -> None:
    literal = get_args(NotificationEvent.model_fields["type"].annotation)
    assert NOTIFICATION_TYPES == literal == tuple(WEBHOOKS)
    refund_types = {"refund.succeeded", "refund.failed", "refund.abnormal"}
    assert set(NOTIFIED_EVENTS.values()) | refund_types == set(NOTIFICATION_TYPES)


@pytest.mark.parametrize(
    ("error", "request_id"),
    [
        (NotFound("no payment pay_1"), ""),
        (Conflict("duplicate_merchant_order_no", "used", details=[{"payment_id": "pay_1"}]), "req-1"),
    ],
)
def test_error_response_describes_http_errors(error: Exception, request_id: str) -> None:
    body = json.loads(error_response(error, request_id)["body"])  # type: ignore[arg-type]
    ErrorResponse.model_validate(body)


def template_routes() -> set[tuple[str, str, str]]:
    template = load_template(ROOT / "template.yaml")
    return {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"], name)
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in (resource["Properties"].get("Events") or {}).values()
        if event["Type"] == "HttpApi"
    }


def test_route_table_is_exactly_the_templates_http_api_routes() -> None:
    table = {(r.method, r.path, r.function) for r in openapi.ROUTES}
    assert not table & set(openapi.UNDOCUMENTED)
    assert len(table) == len(openapi.ROUTES)
    assert table | set(openapi.UNDOCUMENTED) == template_routes(), (
        "template.yaml's HttpApi routes and paymux.api.openapi.ROUTES (+ UNDOCUMENTED) differ"
    )


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return openapi.build_spec()


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), path, op) for path, item in spec["paths"].items() for m, op in item.items()]


def test_every_operation_is_described_completely(spec: dict[str, Any]) -> None:
    ops = operations(spec)
    assert len(ops) == len(openapi.ROUTES)
    ids = [op["operationId"] for _, _, op in ops] + [
        op["operationId"] for item in spec["webhooks"].values() for op in item.values()
    ]
    assert len(ids) == len(set(ids))
    for method, path, op in ops:
        params = {(p["in"], p["name"]) for p in op.get("parameters", [])}
        assert {("path", n) for n in re.findall(r"{(\w+)}", path)} <= params, path
        assert (("header", "Idempotency-Key") in params) == (method == "POST"), path
        signed = op.get("security") != []
        if signed:
            assert op["responses"]["401"]["x-paymux-error-codes"] == [code for code, _ in AUTH]
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorResponse"
                }
                assert all(
                    f"`{code}`" in response["description"] for code in response["x-paymux-error-codes"]
                )
        if method == "POST":
            assert {"idempotency_key_reused", "idempotency_key_in_use"} <= set(
                op["responses"]["409"]["x-paymux-error-codes"]
            )
    assert spec["paths"]["/v1/payments/{payment_id}"]["get"]["parameters"][1]["name"] == "sync"
    assert spec["paths"]["/v1/payments"]["get"]["parameters"][0]["name"] == "merchant_order_no"


def test_every_reference_resolves(spec: dict[str, Any]) -> None:
    refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(spec))
    assert refs
    assert set(refs) <= set(spec["components"]["schemas"])


def test_request_schemas_come_from_the_request_models(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for model in (CreatePaymentRequest, CreateRefundRequest):
        assert set(schemas[model.__name__]["properties"]) == set(model.model_fields)
        assert schemas[model.__name__]["additionalProperties"] is False
    assert schemas["CreatePaymentRequest"]["properties"]["amount"]["exclusiveMinimum"] == 0
    body = spec["paths"]["/v1/payments"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CreatePaymentRequest"}


def test_security_scheme_and_webhooks(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["PaymuxHmac"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert "PAYMUX-HMAC-SHA256" in scheme["description"]
    assert "docs/authentication.md" in scheme["description"]
    assert set(spec["webhooks"]) == set(NOTIFICATION_TYPES)
    for item in spec["webhooks"].values():
        headers = {p["name"] for p in item["post"]["parameters"] if p["in"] == "header"}
        assert "Paymux-Signature" in headers


def test_the_committed_copy_is_up_to_date(spec: dict[str, Any]) -> None:
    committed = (ROOT / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert committed == openapi.dumps(spec), f"docs/openapi.json is stale; regenerate it: {REGENERATE}"


def test_the_docs_handler_imports_no_pydantic() -> None:
    """The spec is built on first use, so the cold import stays small."""
    code = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('app', 'functions/api_docs/app.py')\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "assert 'pydantic' not in sys.modules, 'pydantic imported'\n"
    )
    env = {"PYTHONPATH": str(ROOT / "layers" / "common"), "PATH": ""}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def docs_event(route: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    event = copy.deepcopy(load_event("api_docs.json"))
    path = route.split(" ", 1)[1]
    event.update(routeKey=route, rawPath=path)
    event["requestContext"].update(routeKey=route)
    event["requestContext"]["http"]["path"] = path
    event["headers"].update(headers or {})
    return event


def test_handler_serves_the_document(spec: dict[str, Any]) -> None:
    response = handler_module("api_docs").handler(load_event("api_docs.json"), None)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("application/json")
    assert "max-age" in response["headers"]["Cache-Control"]
    assert json.loads(response["body"]) == spec
    again = handler_module("api_docs").handler(
        docs_event("GET /v1/openapi.json", {"if-none-match": response["headers"]["ETag"]}), None
    )
    assert (again["statusCode"], again["body"]) == (304, "")


def test_handler_serves_a_self_contained_html_page(spec: dict[str, Any]) -> None:
    response = handler_module("api_docs").handler(docs_event("GET /v1/docs"), None)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in response["headers"]["Content-Security-Policy"]
    page = response["body"]
    ids = [op["operationId"] for _, _, op in operations(spec)]
    ids += [op["operationId"] for item in spec["webhooks"].values() for op in item.values()]
    for operation_id in ids:
        assert operation_id in page
    assert "PAYMUX-HMAC-SHA256" in page and "Paymux-Signature" in page
    assert not re.search(r"<script|<link|<img|<iframe|src=|@import|url\(", page, re.I)
    (style,) = re.findall(r"<style>(.*?)</style>", page, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in response["headers"]["Content-Security-Policy"]


def test_handler_builds_once_per_container(monkeypatch: pytest.MonkeyPatch) -> None:
    module = handler_module("api_docs")
    calls = []
    monkeypatch.setattr(module, "_pages", {})
    monkeypatch.setattr(module, "build_spec", lambda: calls.append(1) or openapi.build_spec())
    for route in ("GET /v1/docs", "GET /v1/openapi.json", "GET /v1/docs"):
        assert module.handler(docs_event(route), None)["statusCode"] == 200
    assert calls == [1]
    assert module.handler(docs_event("GET /v1/nothing"), None)["statusCode"] == 404


def test_the_page_escapes_everything_from_the_document(spec: dict[str, Any]) -> None:
    hostile = copy.deepcopy(spec)
    hostile["info"]["title"] = "<script>alert(1)</script>"
    hostile["paths"]["/v1/payments"]["post"]["summary"] = '"><img src=x onerror=alert(1)>'
    hostile["components"]["schemas"]["PaymentResource"]["properties"]["id"]["description"] = "<b>`x`</b>"
    page = render(hostile)
    assert "<script>alert" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


XML_MODELS: dict[str, type[BaseModel]] = {
    "CreatePaymentRequest": CreatePaymentRequest,
    "CreateRefundRequest": CreateRefundRequest,
    "PaymentResource": PaymentResource,
    "RefundResource": RefundResource,
    "EventList": EventList,
    "NotificationList": NotificationList,
    "NotificationResource": NotificationResource,
    "ErrorResponse": ErrorResponse,
}


def test_every_body_a_signed_operation_reads_or_answers_is_documented_in_xml_too(
    spec: dict[str, Any],
) -> None:
    for method, path, op in operations(spec):
        if op.get("security") == []:  # the documentation routes: JSON and HTML only
            assert "application/xml" not in json.dumps(op), path
            continue
        if "requestBody" in op:
            content = op["requestBody"]["content"]
            assert content["application/xml"]["schema"] == content["application/json"]["schema"], path
            assert "docs/xml.md" in op["requestBody"]["description"]
        for status, response in op["responses"].items():
            content = response.get("content", {})
            if status == "406":  # Accept allowed no XML: answered in JSON
                assert set(content) == {"application/json"}, path
            elif content:
                assert content["application/xml"]["schema"] == content["application/json"]["schema"], (
                    method,
                    path,
                    status,
                )
        assert op["responses"]["406"]["x-paymux-error-codes"] == ["not_acceptable"]


def test_every_xml_example_is_what_the_codec_reads_and_the_model_accepts(spec: dict[str, Any]) -> None:
    seen = set()
    for _, _path, op in operations(spec):
        bodies = [("request", op["requestBody"])] if "requestBody" in op else []
        bodies += [("response", r) for r in op["responses"].values()]
        for root, body in bodies:
            xml = body.get("content", {}).get("application/xml")
            if not xml or "example" not in xml:
                continue
            name = xml["schema"]["$ref"].rsplit("/", 1)[-1]
            value = decode_xml(xml["example"].encode(), root)
            XML_MODELS[name].model_validate(value)
            seen.add(name)
    assert seen == set(XML_MODELS)
