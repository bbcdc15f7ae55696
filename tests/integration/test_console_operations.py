"""Each console operation, run as its own function would run it (paymux.console.api's
operation_handler, the event API Gateway passes with its path parameters), against moto with
every AWS call recorded: an operation makes no call outside the actions it declares (which is
all its IAM policy grants: tests/unit/test_console_catalogue.py), and makes every write it
declares, so no policy grants a write the operation never makes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest

from local.seed import seed_wechat_partner
from paymux.clock import CHINA
from paymux.console.api import BY_NAME, OPERATIONS, operation_handler
from paymux.console.audit import record_action
from paymux.console.identity import ConsoleUser
from paymux.store.exceptions import record_exception
from sandbox.wechat import generate_merchant
from tests.console_browser.world import seed_payment
from tests.integration.test_console_api import OPERATOR

WRITES = ("Put", "Update", "Delete", "BatchWrite", "TransactWrite")
# The IAM action an API call needs where the names differ.
IAM_ACTION = {"s3:ListObjectsV2": "s3:ListBucket", "s3:HeadObject": "s3:GetObject"}
TRANSACT_ACTION = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


@contextmanager
def recording(*clients: Any) -> Iterator[set[str]]:
    """The `service:Operation` of every call the clients make inside the block."""
    made: set[str] = set()

    def seen(model: Any, **_: Any) -> None:
        call = f"{model.service_model.endpoint_prefix}:{model.name}"
        made.add(IAM_ACTION.get(call, call))

    def transacted(params: dict[str, Any], **_: Any) -> None:
        # IAM governs a transaction's items by their own actions (PutItem, UpdateItem, ...):
        # AWS's "Using IAM with DynamoDB transactions"; the role must grant those too
        for item in params.get("TransactItems", []):
            made.update(f"dynamodb:{TRANSACT_ACTION[kind]}" for kind in item)

    for client in clients:
        client.meta.events.register("before-call", seen)
        client.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", transacted)
    try:
        yield made
    finally:
        for client in clients:
            client.meta.events.unregister("before-call", seen)
            client.meta.events.unregister("before-parameter-build.dynamodb.TransactWriteItems", transacted)


def _event(method: str, path: str, params: dict[str, str], query: str, body: Any) -> dict[str, Any]:
    context = {
        "http": {"method": method, "path": path},
        "requestId": "req-ops",
        "authorizer": {"jwt": {"claims": OPERATOR, "scopes": None}},
    }
    return {
        "rawPath": path,
        "rawQueryString": query,
        "queryStringParameters": dict(parse_qsl(query)) or None,
        "pathParameters": params or None,
        "headers": {"content-type": "application/json"} if body is not None else {},
        "body": json.dumps(body) if body is not None else None,
        "requestContext": context,
    }


Call = tuple[dict[str, str], str, Any]  # (path parameters, query, body)


def _calls(world) -> dict[str, list[Call]]:
    """Successful requests of each operation, one for each way it reads."""
    record_exception(world.d, "unknown_order", "wx-1/T-9", {"amount": 1}, key="ops-1", metric=None)
    queue = operation_handler("exceptions")(world.d, _event("GET", "/", {}, "", None))
    exception_id = json.loads(queue["body"])["data"][0]["id"]
    provider = generate_merchant(mchid="1230000109", appids=("wx7777777777777777",), service_provider=True)
    binding = seed_wechat_partner(world.d, world.sandbox, provider, "wx-sp-ops", "mch_a", "1900000201")
    payment = seed_payment(world.d, "mch_a", "OPS-1", 100, world.clock())
    record_action(world.d, ConsoleUser("sub-op", "op", "operator"), "binding.updated", "b-1", {"weight": 1})
    stuck = seed_payment(world.d, "mch_a", "OPS-2", 100, world.clock())  # a reversal left unconfirmed
    detail = {"payment_id": stuck.payment_id, "out_trade_no": stuck.payment_id + "_1"}
    record_exception(world.d, "reversal_unconfirmed", stuck.payment_id, detail, key="ops-2", metric=None)
    stuck_id = next(
        e["id"]
        for e in json.loads(
            operation_handler("exceptions")(world.d, _event("GET", "/", {}, "", None))["body"]
        )["data"]
        if e["kind"] == "reversal_unconfirmed"
    )
    today = datetime.fromtimestamp(world.clock(), CHINA).date().isoformat()
    return {
        "me": [({}, "", None)],
        "dashboard": [({}, f"day={today}", None), ({}, f"day={today}&granularity=15m", None)],
        "payments": [
            ({}, f"id={payment.payment_id}", None),
            ({}, "merchant_order_no=OPS-1&merchant_id=mch_a", None),
            ({}, f"day={today}", None),
            ({}, f"day={today}&status=SUCCESS", None),
        ],
        "payment": [({"payment_id": payment.payment_id}, "", None)],
        "exceptions": [({}, "", None)],
        "resolve_exception": [
            ({"exception_id": exception_id}, "", {"note": "by hand"}),
            ({"exception_id": stuck_id}, "", {"note": "revoked at the channel", "outcome": "closed"}),
        ],
        "reconciliation": [({}, "from=2026-11-01&to=2026-11-02", None)],
        "export": [({"day": "2026-11-01", "format": "csv"}, "", None)],
        "accounts": [({}, "", None)],
        "change_account": [({"account_id": world.account_id}, "", {"weight": 4})],
        "change_binding": [({"binding_id": binding["binding_id"]}, "", {"weight": 2})],
        "audit": [({}, "", None), ({}, "actor=op", None), ({}, "target=b-1&limit=1", None)],
    }


def test_the_calls_cover_the_catalogue(world) -> None:
    assert set(_calls(world)) == set(BY_NAME)


@pytest.mark.parametrize("name", [op.name for op in OPERATIONS])
def test_an_operation_makes_only_the_calls_it_declares_and_every_write(world, name: str) -> None:
    op, calls = BY_NAME[name], _calls(world)[name]  # the seeding before the recording
    with recording(world.d.dynamodb, world.d.s3, world.d.sqs) as made:
        for params, query, body in calls:
            answer = operation_handler(name)(world.d, _event(op.method, op.path, params, query, body))
            assert answer["statusCode"] in (200, 404), answer["body"]  # 404: an unreconciled day's export
    assert made <= set(op.actions), f"{name} called {sorted(made - set(op.actions))} it does not declare"
    declared_writes = {a for a in op.actions if a.split(":")[1].startswith(WRITES)}
    assert declared_writes <= made, f"{name} declares writes it never makes: {declared_writes - made}"
