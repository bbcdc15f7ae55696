"""The console's day search of one merchant (console.payments, store.merchant_days) on moto: it
reads that merchant's index partition and payments only (every DynamoDB call inspected), pages
newest first through `next` giving every payment once (also under a status filter), refuses a
cursor of another search or a tampered one with a 422, keeps merchants to their own payments,
and the migration indexes payments created before the index entry existed, once."""

from __future__ import annotations

import argparse
import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest

from paymux.clock import CHINA
from paymux.console import payments as console_payments
from paymux.domain.payment import Payment
from paymux.domain.states import PaymentStatus
from paymux.store.payments import Outcome
from tests.console_browser.world import seed_payment
from tests.integration.test_console_api import ALICE, OPERATOR, call


@contextmanager
def dynamodb_calls(world: Any) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB call made through the world's client, as (operation, parameters)."""
    client = world.d.dynamodb
    assert client is world.d.dynamodb  # one client: what is hooked is what the search uses
    seen: list[tuple[str, dict[str, Any]]] = []

    def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.name, json.loads(json.dumps(params, default=str))))

    client.meta.events.register("provide-client-params.dynamodb", hook)
    try:
        yield seen
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb", hook)


def seeded(world: Any, merchant_id: str, count: int, start: float) -> list[Payment]:
    return [
        seed_payment(world.d, merchant_id, f"{merchant_id}-{n}", 100 + n, start + n * 0.5)
        for n in range(count)
    ]


def closed(world: Any, payment: Payment) -> Payment:
    now = payment.created_at + 60
    changes = {"closed_at": now, "updated_at": now}
    return world.d.payments.transition(
        payment, PaymentStatus.CLOSED, changes, Outcome("payment.closed", "merchant", {})
    )


def today(world: Any) -> str:
    return datetime.fromtimestamp(world.clock(), CHINA).date().isoformat()


def pages(world: Any, claims: dict[str, str], query: str) -> list[list[str]]:
    """Every page's payment ids, following `next` to the end."""
    found: list[list[str]] = []
    cursor = ""
    while True:
        status, body = call(world, "GET", "/console/api/payments", claims, query + cursor)
        assert status == 200, body
        found.append([p["id"] for p in body["data"]])
        if body["next"] is None:
            return found
        cursor = "&next=" + body["next"]
        assert len(found) < 50


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_payments, "MAX_RESULTS", 4)
    monkeypatch.setattr(console_payments, "MAX_READ", 8)


def test_a_merchants_day_search_reads_nothing_of_another_merchant(world) -> None:
    now = world.clock()
    mine = seeded(world, "mch_a", 3, now)
    theirs = seeded(world, "mch_b", 5, now + 0.25)
    with dynamodb_calls(world) as seen:
        status, body = call(world, "GET", "/console/api/payments", ALICE, f"day={today(world)}")
    assert status == 200
    assert [p["id"] for p in body["data"]] == [p.payment_id for p in reversed(mine)]  # newest first
    assert body["next"] is None
    assert {op for op, _ in seen} == {"Query", "BatchGetItem"}
    (query,) = [params for op, params in seen if op == "Query"]
    assert query["IndexName"] == "GSI3"
    assert query["ExpressionAttributeValues"] == {":pk": {"S": f"MDAY#mch_a#{today(world)}"}}
    read = [
        k["PK"]["S"]
        for op, p in seen
        if op == "BatchGetItem"
        for r in p["RequestItems"].values()
        for k in r["Keys"]
    ]
    assert sorted(read) == sorted(f"PAY#{p.payment_id}" for p in mine)
    assert not {f"PAY#{p.payment_id}" for p in theirs} & set(read)


def test_paging_gives_every_payment_once_newest_first(world, small_pages) -> None:
    mine = seeded(world, "mch_a", 11, world.clock())
    seeded(world, "mch_b", 3, world.clock() + 0.1)
    found = pages(world, ALICE, f"day={today(world)}")
    assert [len(p) for p in found] == [4, 4, 3]
    assert [i for p in found for i in p] == [p.payment_id for p in reversed(mine)]
    # an operator naming the merchant pages the same way
    assert pages(world, OPERATOR, f"day={today(world)}&merchant_id=mch_a") == found


def test_a_status_filter_pages_every_match_once_reading_a_bounded_share(world, small_pages) -> None:
    mine = seeded(world, "mch_a", 21, world.clock())
    shut = [closed(world, p) for p in mine[::5]]  # 5 of 21: rare
    found = pages(world, ALICE, f"day={today(world)}&status=CLOSED")
    ids = [i for p in found for i in p]
    assert ids == [p.payment_id for p in reversed(shut)]
    assert all(len(p) <= 4 for p in found) and len(found) >= 3  # 8 payments read per request at most
    assert pages(world, ALICE, f"day={today(world)}&status=SUCCESS") == [[], [], []]


def test_a_cursor_of_another_search_or_tampered_is_a_422(world, small_pages) -> None:
    seeded(world, "mch_a", 6, world.clock())
    seeded(world, "mch_b", 6, world.clock() + 0.1)
    day = today(world)
    _, theirs = call(world, "GET", "/console/api/payments", OPERATOR, f"day={day}&merchant_id=mch_b")
    _, mine = call(world, "GET", "/console/api/payments", ALICE, f"day={day}")
    forged = base64.urlsafe_b64encode(json.dumps(["mch_a", day, "", "pay_x"]).encode()).decode()
    for claims, query in (
        (ALICE, f"day={day}&next={theirs['next']}"),  # another merchant's cursor
        (ALICE, f"day={day}&status=CLOSED&next={mine['next']}"),  # another status's
        (ALICE, f"day={day}&next={mine['next'][:-3]}"),  # cut
        (ALICE, f"day={day}&next={forged}"),  # not a payment id
        (ALICE, f"day={day}&next=%00%FF"),
        (OPERATOR, f"day={day}&next={mine['next']}"),  # every merchant's search has no pages
    ):
        status, body = call(world, "GET", "/console/api/payments", claims, query)
        assert (status, body["error"]["code"]) == (422, "validation_failed"), query


def test_merchants_see_only_their_own_payments(world) -> None:
    mine = seeded(world, "mch_a", 2, world.clock())
    theirs = seeded(world, "mch_b", 2, world.clock() + 0.1)
    day = today(world)
    _, asked_for_theirs = call(world, "GET", "/console/api/payments", ALICE, f"day={day}&merchant_id=mch_b")
    assert {p["id"] for p in asked_for_theirs["data"]} == {p.payment_id for p in mine}
    status, missing = call(world, "GET", f"/console/api/payments/{theirs[0].payment_id}", ALICE)
    assert (status, missing["error"]["code"]) == (404, "not_found")
    _, everyone = call(world, "GET", "/console/api/payments", OPERATOR, f"day={day}")
    assert len(everyone["data"]) == 4 and everyone["next"] is None


def unindexed(world: Any, payments: list[Payment]) -> None:
    """The claim items as written before the entry existed."""
    for payment in payments:
        world.d.dynamodb.update_item(
            TableName=world.d.settings.table,
            Key={
                "PK": {"S": f"MORDER#{payment.merchant_id}#{payment.merchant_order_no}"},
                "SK": {"S": "MORDER"},
            },
            UpdateExpression="REMOVE GSI3PK, GSI3SK",
        )


def test_the_migration_indexes_older_payments_once(world, tmp_path) -> None:
    from local.state import write_state
    from ops.payments import index_days
    from tests.integration.test_ops_cli import ops

    mine = seeded(world, "mch_a", 3, world.clock())
    unindexed(world, mine)
    day = today(world)
    assert call(world, "GET", "/console/api/payments", ALICE, f"day={day}")[1]["data"] == []
    args = argparse.Namespace(segments=3)
    assert index_days(world.d, args) == {"claims": 3, "indexed": 3, "skipped": 0}
    assert index_days(world.d, args) == {"claims": 0, "indexed": 0, "skipped": 0}
    _, body = call(world, "GET", "/console/api/payments", ALICE, f"day={day}")
    assert [p["id"] for p in body["data"]] == [p.payment_id for p in reversed(mine)]

    unindexed(world, mine[:2])  # the documented command, against the local stack
    state = tmp_path / "stack.json"
    write_state(state, world.stack.state())
    ran = ops(state, "payments", "index-days", "--segments", "2")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == {"claims": 2, "indexed": 2, "skipped": 0}
    assert ops(state, "payments", "index-days", "--segments", "0").returncode == 2
    _, body = call(world, "GET", "/console/api/payments", ALICE, f"day={day}")
    assert [p["id"] for p in body["data"]] == [p.payment_id for p in reversed(mine)]
