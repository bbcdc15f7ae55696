"""No input reaches a 5xx: what a hostile client can send, against every route, through the real
handlers. Each answer is a 4xx with a typed error body, and nothing is written (the table is
the same before and after, but for the nonce the signature check claims) and nothing queued."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from paymux.domain.ids import new_event_id, new_refund_id
from tests.hostile_xml import HOSTILE_XML
from tests.integration.conftest import World
from tests.support import api_event, authorization, invoke


def table_items(world: World) -> list[dict[str, Any]]:
    """Every item but the signature nonces, in a stable order."""
    items, kwargs = [], {"TableName": world.d.settings.table}
    while True:
        page = world.d.dynamodb.scan(**kwargs)
        items += [i for i in page["Items"] if not i["PK"]["S"].startswith("NONCE#")]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def paid_payment(world: World) -> str:
    status, created = world.create()
    assert status == 201
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    assert world.sandbox.wait_for_callbacks(timeout=10)
    payment = world.d.payments.get(created["id"])
    assert payment is not None and payment.status == "SUCCESS"
    world.queued_messages()  # the payment.succeeded notification: not this test's concern
    return created["id"]


# (events/<template>, path, path parameters) for every route a merchant or operator can call;
# {pay} is a paid payment of this world, the other ids are well formed but unknown.
ROUTES = (
    ("create_payment.json", "/v1/payments", {}),
    ("get_payment.json", "/v1/payments/{pay}", {"payment_id": "{pay}"}),
    ("get_payment_by_merchant_order_no.json", "/v1/payments", {}),
    ("close_payment.json", "/v1/payments/{pay}/close", {"payment_id": "{pay}"}),
    ("refund_payment.json", "/v1/payments/{pay}/refunds", {"payment_id": "{pay}"}),
    ("get_refund.json", "/v1/refunds/{re}", {"refund_id": "{re}"}),
    ("list_payment_events.json", "/v1/payments/{pay}/events", {"payment_id": "{pay}"}),
    ("list_notifications.json", "/v1/payments/{pay}/notifications", {"payment_id": "{pay}"}),
    ("resend_notification.json", "/v1/notifications/{evt}/resend", {"notification_id": "{evt}"}),
    ("get_stats.json", "/v1/stats", {}),
    ("admin_create_channel_account.json", "/v1/admin/channel-accounts", {}),
    ("admin_update_channel_account.json", "/v1/admin/channel-accounts/{acc}", {"account_id": "{acc}"}),
)
BODY_ROUTES = {"create_payment.json", "refund_payment.json", "admin_create_channel_account.json"}
BODY_ROUTES |= {"admin_update_channel_account.json"}
PAYMENT_BODY = {"create_payment.json", "refund_payment.json"}
ADMIN_BODY = BODY_ROUTES - PAYMENT_BODY


def signed_event(
    world: World, template: str, path: str, params: dict[str, str], **hostile: Any
) -> dict[str, Any]:
    """A request signed over exactly the bytes sent (base64 in the event, as API Gateway does
    for bodies that are not text), then spoiled as `hostile` says."""
    body: bytes = hostile.get("body", b"")
    query: str = hostile.get("query", "")
    event = api_event(
        template,
        app_id=world.app_id,
        secret=world.secret,
        now=world.clock(),
        path=path,
        path_params=params,
        query=query,
    )
    method = event["requestContext"]["http"]["method"]
    target = f"{path}?{query}" if query else path
    event["headers"]["authorization"] = authorization(
        world.app_id, world.secret, method, target, body, world.clock()
    )
    event["headers"]["content-type"] = "application/json"
    event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    if "query_params" in hostile:
        event["queryStringParameters"] = hostile["query_params"]
    event["headers"].update(hostile.get("headers", {}))
    if "raw_body" in hostile:
        event["body"] = hostile["raw_body"]
    return event


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def create_body(**changes: Any) -> dict[str, Any]:
    body = {
        "amount": 1999,
        "currency": "CNY",
        "method": "wechat.native",
        "subject": "Coffee",
        "merchant_order_no": "ORD-HOSTILE",
        "notify_url": "https://merchant.example.com/notify",
    }
    return {**body, **changes}


MERCHANT = {template for template, _, _ in ROUTES if not template.startswith("admin_")}
EVERY = {template for template, _, _ in ROUTES}
ID_ROUTES = {template for template, _, params in ROUTES if params and not template.startswith("admin_")}
BY_ID = {"get_payment.json"}
BY_ORDER_NO = {"get_payment_by_merchant_order_no.json"}


def spliced(prefix: dict[str, Any], raw: str) -> bytes:
    """A JSON object with `raw` (JSON text a serializer would never write) appended."""
    return (json.dumps(prefix)[:-1] + ", " + raw + "}").encode()


def without_amount() -> dict[str, Any]:
    return {k: v for k, v in create_body(merchant_refund_no="R").items() if k != "amount"}


# name → (what it does to a request, the status every route it applies to answers, the routes)
HOSTILE: dict[str, tuple[Callable[[], dict[str, Any]], int, set[str]]] = {
    "nested 20 000 deep": (lambda: {"body": deep(20_000)}, 422, BODY_ROUTES),
    "nested 17 deep": (lambda: {"body": deep(17)}, 422, BODY_ROUTES),
    "lone surrogate in a value": (
        lambda: {"body": spliced(create_body(), '"description": "\\ud800"')},
        422,
        BODY_ROUTES,
    ),
    "lone surrogate in a metadata key": (
        lambda: {"body": spliced(create_body(), '"metadata": {"\\udfff": "x"}')},
        422,
        BODY_ROUTES,
    ),
    "lone surrogate in a metadata value": (
        lambda: {"body": spliced(create_body(), '"metadata": {"k": "a\\udc00b"}')},
        422,
        BODY_ROUTES,
    ),
    "invalid UTF-8": (lambda: {"body": b'{"subject": "\xff\xfe"}'}, 422, BODY_ROUTES),
    "UTF-16": (lambda: {"body": json.dumps(create_body()).encode("utf-16")}, 422, BODY_ROUTES),
    "duplicate keys": (lambda: {"body": spliced(create_body(), '"amount": 2')}, 422, BODY_ROUTES),
    "NaN": (lambda: {"body": spliced(without_amount(), '"amount": NaN')}, 422, BODY_ROUTES),
    "amount 1e400": (lambda: {"body": spliced(without_amount(), '"amount": 1e400')}, 422, PAYMENT_BODY),
    "amount 10**30": (
        lambda: {"body": json.dumps({**create_body(), "amount": 10**30, "merchant_refund_no": "R"}).encode()},
        422,
        PAYMENT_BODY,
    ),
    "amount 10**40": (
        lambda: {"body": json.dumps({**create_body(), "amount": 10**40, "merchant_refund_no": "R"}).encode()},
        422,
        PAYMENT_BODY,
    ),
    "amount 1.5": (
        lambda: {"body": json.dumps({**create_body(), "amount": 1.5, "merchant_refund_no": "R"}).encode()},
        422,
        PAYMENT_BODY,
    ),
    "amount true": (
        lambda: {"body": json.dumps({**create_body(), "amount": True, "merchant_refund_no": "R"}).encode()},
        422,
        PAYMENT_BODY,
    ),
    "null byte in subject": (
        lambda: {"body": json.dumps(create_body(subject="a\x00b")).encode()},
        422,
        PAYMENT_BODY,
    ),
    "order number of 10 000": (
        lambda: {"body": json.dumps(create_body(merchant_order_no="A" * 10_000)).encode()},
        422,
        PAYMENT_BODY,
    ),
    "weight 10**40": (
        lambda: {"body": json.dumps({"weight": 10**40, "priority": 10**40}).encode()},
        422,
        ADMIN_BODY,
    ),
    "not an object": (lambda: {"body": b"[1, 2]"}, 422, BODY_ROUTES),
    "body over 64 KiB": (lambda: {"body": b" " * (64 * 1024 + 1)}, 413, EVERY),
    "Accept allowing neither JSON nor XML": (
        lambda: {"body": json.dumps(create_body()).encode(), "headers": {"accept": "text/html"}},
        406,
        EVERY,
    ),
    "text/plain": (lambda: {"body": b"<request/>", "headers": {"content-type": "text/plain"}}, 415, EVERY),
    "text/xml to the operators": (
        lambda: {"body": b"<request/>", "headers": {"content-type": "text/xml"}},
        415,
        ADMIN_BODY,
    ),
    "XML to the operators": (
        lambda: {"body": b"<request/>", "headers": {"content-type": "application/xml"}},
        415,
        ADMIN_BODY,
    ),
    **{
        f"XML: {name}": (
            lambda document=document: {"body": document, "headers": {"content-type": "application/xml"}},
            422,
            PAYMENT_BODY,
        )
        for name, document in HOSTILE_XML.items()
    },
    "form": (
        lambda: {"body": b"a=1", "headers": {"content-type": "application/x-www-form-urlencoded"}},
        415,
        EVERY,
    ),
    "JSON in latin-1": (
        lambda: {"body": b"{}", "headers": {"content-type": "application/json; charset=latin-1"}},
        415,
        EVERY,
    ),
    "invalid base64": (lambda: {"body": b"{}", "raw_body": "!!not base64!!"}, 400, EVERY),
    "Authorization of 1 MB": (
        lambda: {"headers": {"authorization": "PAYMUX-HMAC-SHA256 " + "a" * 1024 * 1024}},
        401,
        MERCHANT,
    ),
    "Authorization with junk after it": (lambda: {"junk_after_auth": True}, 401, MERCHANT),
    "an id with %2F in it": (lambda: {"id_suffix": "/events"}, 404, ID_ROUTES),
    "an id with a null byte": (lambda: {"id_suffix": "\x00"}, 404, ID_ROUTES),
    "sync=maybe": (lambda: {"query": "sync=maybe", "query_params": {"sync": "maybe"}}, 422, BY_ID),
    "sync repeated": (
        lambda: {"query": "sync=true&sync=false", "query_params": {"sync": "true,false"}},
        422,
        BY_ID,
    ),
    "merchant_order_no repeated": (
        lambda: {
            "query": "merchant_order_no=A&merchant_order_no=B",
            "query_params": {"merchant_order_no": "A,B"},
        },
        422,
        BY_ORDER_NO,
    ),
    "merchant_order_no of 10 000": (
        lambda: {
            "query": "merchant_order_no=" + "A" * 10_000,
            "query_params": {"merchant_order_no": "A" * 10_000},
        },
        422,
        BY_ORDER_NO,
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_is_a_typed_4xx_with_nothing_written(world: World, name: str) -> None:
    build, status, templates = HOSTILE[name]
    ids = {
        "{acc}": world.account_id,
        "{pay}": paid_payment(world),
        "{re}": new_refund_id(world.clock()),
        "{evt}": new_event_id(world.clock()),
    }
    before = table_items(world)
    answered = []
    for template, path_template, param_templates in ROUTES:
        if template not in templates:
            continue
        hostile = build()
        path, params = path_template, dict(param_templates)
        for placeholder, value in ids.items():
            path = path.replace(placeholder, value)
            suffix = hostile.get("id_suffix", "")
            params = {k: v.replace(placeholder, value + suffix) for k, v in params.items()}
        event = signed_event(world, template, path, params, **hostile)
        if hostile.get("junk_after_auth"):
            event["headers"]["authorization"] += ',junk="1"'
        response = invoke(template.removesuffix(".json").removesuffix("_by_merchant_order_no"), event)
        error = json.loads(response["body"])["error"]
        assert (response["statusCode"], bool(error["code"]), bool(error["message"])) == (
            status,
            True,
            True,
        ), (
            template,
            response,
        )
        answered.append(template)
    assert answered == [t for t, _, _ in ROUTES if t in templates]
    assert table_items(world) == before
    assert world.queued_messages() == []
