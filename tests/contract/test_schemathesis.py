"""schemathesis against the OpenAPI document the local stack serves: every operation gets
generated requests (positive and negative), each signed over the exact bytes sent, and every
answer must be no 5xx, a documented status, and match the documented schema. A positive request
(one the schema calls valid) must never be refused by the request model: the schema is as
strict as the server. Bodies are JSON or XML (the media types the document lists) and half of
the answers are asked for in XML, read by paymux's codec and validated against the same schemas.
Bounded: EXAMPLES per operation and mode, plus one seeded run per
operation with real ids so the 2xx shapes are checked too."""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from local.seed import seed_alipay_account, seed_huifu_account, seed_unionpay_account, seed_wechat_account
from local.stack import LocalStack
from paymux.api.media import JSON, XML
from paymux.api.xml_codec import decode_xml, encode_xml
from paymux.deps import Deps, deps, set_deps
from paymux.store.merchants import MerchantApp
from sandbox.alipay import AlipaySandbox, generate_app
from sandbox.huifu import HuifuSandbox, generate_sys_id
from sandbox.unionpay import UnionPaySandbox
from sandbox.unionpay import generate_merchant as generate_unionpay_merchant
from sandbox.wechat import WeChatSandbox, generate_merchant
from tests.support import authorization

EXAMPLES = 20  # per operation and generation mode: ~500 requests, about a minute on 2 busy cores
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# What a request the schema calls valid may still be refused for: rules no JSON schema can say
# (documented on each operation's 422). Anything else is the model refusing what the schema
# allows, i.e. a schema looser than the server.
BUSINESS_RULES = (
    "cannot replace",
    "required by",
    "not enabled",
    "must be ≤",
    "takes at most",
    "refundable",
    "matches no wallet's rule",  # method barcode: the code's digits must be one wallet's
    # GET /v1/stats: periods, ranges and calendar days the schema's pattern cannot express
    "must start a",
    "must be after from",
    "spans at most",
    "ISO 8601 date",
    "with an offset",
)


# paymux's XML (docs/xml.md) is not OpenAPI's XML Object (it carries JSON's types in `type`
# attributes), so schemathesis' own XML serializer would not write it: the values schemathesis
# generates from the schema are written, and XML answers read, by paymux's codec. Half of the
# requests ask for XML answers, which are validated against the same schemas.
XML_USED: Counter[str] = Counter()


@schemathesis.serializer(XML)
def _paymux_xml(_context: Any, value: Any) -> bytes:
    XML_USED["bodies written"] += 1
    return value if isinstance(value, bytes) else encode_xml(value, "request").encode()


@schemathesis.deserializer(XML)
def _read_paymux_xml(_context: Any, response: Any) -> Any:
    XML_USED["answers read"] += 1
    return decode_xml(response.content, "response")


def _answer(response: requests.Response) -> Any:
    if response.headers.get("Content-Type", "").startswith(XML):
        return decode_xml(response.content, "response")
    return response.json()


@dataclass
class Served:
    api_url: str
    app_id: str
    secret: str
    d: Deps
    ids: dict[str, str] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


class PaymuxSigner(requests.auth.AuthBase):
    """PAYMUX-HMAC-SHA256 over the prepared request, i.e. the exact body bytes and query sent;
    a fresh nonce every time. The path is signed decoded, as API Gateway delivers it."""

    def __init__(self, app_id: str, secret: str) -> None:
        self.app_id, self.secret = app_id, secret

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        url = urlsplit(request.url or "")
        target = unquote(url.path) + (f"?{url.query}" if url.query else "")
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else bytes(body)
        request.headers["Authorization"] = authorization(
            self.app_id, self.secret, str(request.method), target, raw, time.time()
        )
        return request


def _signed(served: Served, method: str, path: str, body: Any = None) -> requests.Response:
    raw = json.dumps(body).encode() if body is not None else b""
    headers = {"Authorization": authorization(served.app_id, served.secret, method, path, raw, time.time())}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return requests.request(method, served.api_url + path, data=raw, headers=headers, timeout=30)


def _seed_ids(served: Served, wechat: WeChatSandbox, mchid: str) -> None:
    """A paid payment with a refund and a notification, so generated requests can meet real ids."""
    order = {
        "amount": 1999,
        "currency": "CNY",
        "method": "wechat.native",
        "subject": "Coffee beans",
        "merchant_order_no": "SEED-" + secrets.token_hex(4),
        "notify_url": "https://merchant.example.com/notify",
    }
    created = _signed(served, "POST", "/v1/payments", order).json()
    payment = served.d.payments.get(created["id"])
    assert payment is not None
    wechat.pay(mchid, payment.out_trade_no)
    wechat.wait_for_callbacks(timeout=10)
    refund = _signed(
        served, "POST", f"/v1/payments/{created['id']}/refunds", {"amount": 1, "merchant_refund_no": "R-1"}
    ).json()
    notifications = served.d.notifications.for_payment(created["id"])
    checkout = {k: v for k, v in order.items() if k != "method"} | {
        "merchant_order_no": "SEED-CS-" + secrets.token_hex(4),
        "return_url": "https://merchant.example.com/done",
        "methods": ["wechat.native", "alipay.qr"],
    }
    session = _signed(served, "POST", "/v1/checkout/sessions", checkout).json()
    served.ids = {
        "session_id": session["id"],
        "payment_id": created["id"],
        "refund_id": refund["id"],
        "notification_id": notifications[0]["notification_id"],
        "merchant_order_no": order["merchant_order_no"],
    }


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    # every method the API offers has an account here: no request meets a missing channel
    wechat, alipay, unionpay = WeChatSandbox(key_mode="both"), AlipaySandbox(), UnionPaySandbox()
    huifu = HuifuSandbox()
    identity = generate_merchant(mchid="1900000109", appids=("wx8888888888888888",))
    with LocalStack(api_port=0, moto_port=0, schedules=False, sqs_poll=False) as stack:
        wechat.start()
        alipay.start()
        unionpay.start()
        huifu.start()
        try:
            set_deps(None)  # built from the stack's environment
            d = deps()
            secret = "sk_" + secrets.token_hex(16)
            d.merchants.put_app(MerchantApp(app_id="app_contract", merchant_id="mch_contract"), secret)
            seed_wechat_account(d, wechat, identity, "wx-contract", owner="mch_contract")
            ali = generate_app(app_id="2021000000000009")
            seed_alipay_account(d, alipay, ali, "ali-contract", owner="mch_contract")
            up = generate_unionpay_merchant("777290058110048")
            seed_unionpay_account(d, unionpay, up, "up-contract", owner="mch_contract")
            seed_huifu_account(
                d, huifu, generate_sys_id("6666000108854952"), "hf-contract", owner="mch_contract"
            )
            result = Served(stack.api_url, "app_contract", secret, d)
            _seed_ids(result, wechat, identity.merchant.mchid)
            yield result
        finally:
            wechat.stop()
            alipay.stop()
            unionpay.stop()
            huifu.stop()
            set_deps(None)


def _exercise(
    served: Served, session: requests.Session, operation: Any, mode: GenerationMode, **fixed: Any
) -> None:
    strategy = operation.as_strategy(generation_mode=mode, **fixed)
    if mode == GenerationMode.NEGATIVE and not (
        operation.path_parameters or operation.query or operation.body
    ):
        return  # nothing to make invalid (the documentation routes)

    @given(case=strategy, accept=st.sampled_from([JSON, XML]))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any, accept: str) -> None:
        response = case.call(base_url=served.api_url, session=session, timeout=30, headers={"Accept": accept})
        served.statuses[f"{operation.label} {response.status_code}"] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as exc:  # collected: all failures are reported
            served.failures.append(f"{operation.label} [{mode}]: {str(exc)[:600]}")
            return
        if mode == GenerationMode.POSITIVE and response.status_code == 422:
            error = _answer(response)["error"]
            messages = [d.get("message", "") for d in error.get("details", [])] or [error["message"]]
            if not all(any(rule in m for rule in BUSINESS_RULES) for m in messages):
                sent = response.request.body
                served.failures.append(
                    f"{operation.label}: schema-valid request refused: {error} <- {sent!r}"
                )

    run()


@pytest.mark.timeout(300)  # bounded by EXAMPLES (~1 min); the margin is for a loaded machine
def test_every_operation_conforms_to_the_served_schema(served: Served) -> None:
    schema = schemathesis.openapi.from_url(f"{served.api_url}/v1/openapi.json")
    session = requests.Session()
    session.auth = PaymuxSigner(served.app_id, served.secret)
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    # Every route of the document but /v1/openapi.json itself, which schemathesis leaves out.
    assert len(operations) == 13
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _exercise(served, session, operation, mode)
        names = {p.name for p in operation.path_parameters}
        if names:  # once more with ids that exist, so the success answers are checked too
            ids = {name: served.ids[name] for name in names}
            _exercise(served, session, operation, GenerationMode.POSITIVE, path_parameters=ids)
    elapsed = time.monotonic() - started
    total = sum(served.statuses.values())
    print(
        f"\nschemathesis: {total} requests in {elapsed:.1f} s; by status: {dict(sorted(served.statuses.items()))}"
    )
    assert not served.failures, "\n".join(served.failures)
    assert XML_USED["bodies written"] and XML_USED["answers read"], XML_USED  # the XML half ran
    assert not [key for key in served.statuses if key.split()[-1].startswith("5")]
    assert any(key.endswith(" 200") or key.endswith(" 201") for key in served.statuses)
