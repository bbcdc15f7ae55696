"""DynamoDB cancels a transaction that meets another one in progress on one of its items
(CancellationReasons code TransactionConflict; botocore does not retry it). The payer's day
counter is one item shared by every create and every close of a payer, so under a burst this is
ordinary. moto serialises transactions and never produces it: a botocore hook answers chosen
transactions with the cancellation DynamoDB would send."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from paymux.domain.payer_limits import PayerLimits
from tests.integration.conftest import World
from tests.support import run_sweeper


def conflict(world: World, marker: str, times: int) -> list[bool]:
    """The next `times` transactions whose request mentions `marker` and the payer counter are
    cancelled with TransactionConflict on their last item (the counter)."""
    fired: list[bool] = []

    def hook(params: dict[str, Any], **_: Any) -> Any:
        raw = params["body"]
        body = raw.decode() if isinstance(raw, bytes) else raw
        if len(fired) >= times or "PAYERDAY#" not in body or marker not in body:
            return None
        fired.append(True)
        count = len(json.loads(body)["TransactItems"])
        reasons = [{"Code": "None"}] * (count - 1) + [{"Code": "TransactionConflict", "Message": "busy"}]
        parsed = {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": reasons,
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return SimpleNamespace(status_code=400, headers={}), parsed

    events = world.d.dynamodb.meta.events
    events.register_first("before-call.dynamodb.TransactWriteItems", hook)
    world.stop_conflicts = lambda: events.unregister("before-call.dynamodb.TransactWriteItems", hook)  # type: ignore[attr-defined]
    return fired


def limited(world: World) -> None:
    world.d.merchants.set_payer_limits(world.app_id, PayerLimits(("openid",), daily_count=5))


def test_a_create_that_meets_a_conflict_is_retried_and_created_once(world: World):
    limited(world)
    fired = conflict(world, "MORDER#", times=2)
    status, created = world.create(payer={"openid": "o-burst"})
    assert (status, len(fired)) == (201, 2)
    assert world.d.payments.get(created["id"]).status == "PROCESSING"


def test_a_create_that_keeps_conflicting_is_a_503_busy_with_nothing_written(world: World):
    limited(world)
    fired = conflict(world, "MORDER#", times=100)
    status, body = world.create(payer={"openid": "o-burst"}, merchant_order_no="ORD-BUSY-1")
    assert len(fired) == 5  # the first try and four retries
    assert (status, body["error"]["code"]) == (503, "busy")
    assert (
        world.d.payments.get_by_merchant_order_no(
            world.d.merchants.app(world.app_id).merchant_id, "ORD-BUSY-1"
        )
        is None
    )
    world.stop_conflicts()  # type: ignore[attr-defined]
    status, _ = world.create(payer={"openid": "o-burst"}, merchant_order_no="ORD-BUSY-1")
    assert status == 201  # the same request, sent again, goes through


def test_a_close_that_meets_a_conflict_is_retried(world: World):
    limited(world)
    status, created = world.create(payer={"openid": "o-close"})
    assert status == 201
    fired = conflict(world, "payment.closed", times=1)
    status, body = world.close(created["id"])
    assert (status, body["status"], len(fired)) == (200, "CLOSED", 1)


def test_one_payment_that_keeps_conflicting_does_not_stop_the_sweep(world: World):
    limited(world)
    ids = [world.create(payer={"openid": "o-sweep"}, expires_in=60)[1]["id"] for _ in range(3)]
    world.clock.advance(61)
    fired = conflict(world, "payment.closed", times=5)  # exactly one close's tries
    report = run_sweeper()
    assert len(fired) == 5 and report["errors"] == 1
    statuses = sorted(world.d.payments.get(i).status.value for i in ids)
    assert statuses == ["CLOSED", "CLOSED", "PROCESSING"]
    world.clock.advance(61)
    run_sweeper()  # the one left is closed by the next run
    assert [world.d.payments.get(i).status.value for i in ids] == ["CLOSED"] * 3
