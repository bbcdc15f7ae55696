"""A payment's submission (PENDING → PROCESSING: the payment and its event, nothing else) is one
conditional UpdateItem that keeps its event on the payment item: the audit trail reads the same,
two writers never both submit, and the SDK's retry of a write whose answer was lost succeeds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.retries import standard

from paymux.domain.states import PaymentStatus
from paymux.errors import IllegalTransition
from paymux.store.payments import Outcome
from tests.integration.conftest import World


def stored(world: World, payment_id: str, sk: str) -> dict[str, Any] | None:
    key = {"PK": {"S": f"PAY#{payment_id}"}, "SK": {"S": sk}}
    item = world.d.dynamodb.get_item(TableName=world.d.settings.table, Key=key, ConsistentRead=True)
    return item.get("Item")


def test_the_submission_event_is_kept_on_the_payment_item_and_listed_in_order(world: World):
    status, created = world.create()
    assert status == 201 and created["status"] == "PROCESSING"

    payment = stored(world, created["id"], "PAY")
    assert payment is not None and payment["EVT#000002"]["M"]["type"] == {"S": "payment.submitted"}
    assert stored(world, created["id"], "EVT#000002") is None  # no event item of its own
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    assert world.sandbox.wait_for_callbacks(timeout=10)

    status, body = world.call(
        "list_payment_events.json",
        path=f"/v1/payments/{created['id']}/events",
        path_params={"payment_id": created["id"]},
    )
    assert status == 200
    trail = [(e["type"], e["from_status"], e["to_status"]) for e in body["data"]]
    assert trail == [
        ("payment.created", None, "PENDING"),
        ("payment.submitted", "PENDING", "PROCESSING"),
        ("payment.succeeded", "PROCESSING", "SUCCESS"),
    ]
    assert body["data"][1]["detail"] == {"out_trade_no": world.out_trade_no(created["id"])}
    kept = world.d.payments.get(created["id"])
    assert kept is not None and kept.status == PaymentStatus.SUCCESS and kept.version == 3


def test_a_second_submission_from_the_same_version_is_refused_and_changes_nothing(world: World):
    _, created = world.create()
    current = world.d.payments.get(created["id"])
    assert current is not None
    stale = type(current)(**{**current.to_dict(), "status": PaymentStatus.PENDING, "version": 1})

    with pytest.raises(IllegalTransition):
        world.d.payments.transition(
            stale,
            PaymentStatus.PROCESSING,
            {"action": {"type": "qr_code", "code_url": "weixin://other"}, "updated_at": world.clock() + 1},
            Outcome("payment.submitted", "paymux", {"out_trade_no": "other"}),
        )

    after = world.d.payments.get(created["id"])
    assert after is not None and after.action == created["action"] and after.version == 2
    events = world.d.payments.events(created["id"])
    assert [e["type"] for e in events] == ["payment.created", "payment.submitted"]
    assert json.loads(events[1]["detail"]) == {"out_trade_no": world.out_trade_no(created["id"])}


class LostResponse:
    """A botocore `before-send` hook: the first UpdateItem that writes the submission event is
    really sent (and applied), then its answer is "lost", so botocore re-sends the same request."""

    def __init__(self, world: World) -> None:
        self._session = world.d.dynamodb._endpoint.http_session
        self.fired = False

    def __call__(self, request: Any, **_: Any) -> Any:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        if self.fired or "EVT#000002" not in body:
            return None
        self.fired = True
        assert self._session.send(request).status_code == 200  # applied
        raise ReadTimeoutError(endpoint_url=request.url)


@pytest.fixture
def lose_submission_answer(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[LostResponse]:
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    hook = LostResponse(world)
    events = world.d.dynamodb.meta.events
    events.register_first("before-send.dynamodb.UpdateItem", hook)
    try:
        yield hook
    finally:
        events.unregister("before-send.dynamodb.UpdateItem", hook)


def test_a_retried_submission_whose_answer_was_lost_is_its_own_success(world: World, lose_submission_answer):
    status, created = world.create()

    assert lose_submission_answer.fired
    assert status == 201 and created["status"] == "PROCESSING" and created["action"]["code_url"]
    payment = world.d.payments.get(created["id"])
    assert payment is not None and payment.version == 2
    assert [e["type"] for e in world.d.payments.events(created["id"])] == [
        "payment.created",
        "payment.submitted",
    ]
