"""Ladder steps further apart than SQS's 900 s delay (UnionPay's front ladder: 5, 10, 30, 60 and
120 min): a step's message that arrives before the step is not checked; it goes back to the
queue for the time left (at most 900 s again) until the step is due, so each step is checked
at its time, once, however often SQS delivers the message."""

from __future__ import annotations

from typing import Any

import pytest

from paymux.services.query_pool import QueryPool
from paymux.services.sweep_worker import work
from paymux.store.sweep_queue import SweepMessage
from tests.integration import sweep_fakes
from tests.integration.conftest import World
from tests.support import run_sweeper

THREE_HOURS = 3 * 3600


@pytest.fixture
def fakes(world: World, monkeypatch: pytest.MonkeyPatch) -> sweep_fakes.Recorder:
    return sweep_fakes.register(monkeypatch)


@pytest.fixture
def held(world: World) -> sweep_fakes.DelaysRecorded:
    """Routes the world's merchant to a channel on the front ladder; the sweep queue's delayed
    messages are held until the test's clock reaches them."""
    world.d.channel_config.put_account(
        sweep_fakes.reassign_owner(world.d.channel_config.account(world.account_id), "nobody"), None
    )
    app = world.d.merchants.app(world.app_id)
    assert app is not None
    account = sweep_fakes.fake_account(app.merchant_id, "frontladder", "front")
    world.d.channel_config.put_account(account, {})
    sqs = sweep_fakes.DelaysRecorded(world.d.sqs, world.d.settings.sweep_queue_url, world.clock)
    world.d.__dict__["sqs"] = sqs
    return sqs


def _created(world: World) -> Any:
    status, body = world.create(expires_in=THREE_HOURS)
    assert status == 201, body
    payment = world.d.payments.get(body["id"])
    assert payment is not None and payment.provider == "frontladder"
    return payment


def _asked_at(fakes: sweep_fakes.Recorder, created_at: float) -> list[int]:
    return [int(at - created_at) for _, _, at in fakes.queries]


def test_each_front_step_is_checked_at_its_time_once(world: World, fakes, held) -> None:
    payment = _created(world)

    for minute in range(1, 131):  # the planner's schedule, for 130 minutes
        world.clock.now = payment.created_at + minute * 60 + 0.5
        held.flush()
        run_sweeper()

    assert _asked_at(fakes, payment.created_at) == [300, 600, 1800, 3600, 7200]
    # every delay within SQS's limit; a long step is reached in hops of at most 900 s
    assert max(held.delays) <= 900 and held.delays.count(900) == 1 + 2 + 4
    assert held.held == []  # no message left behind after the last step


def test_the_sixty_minute_step_is_not_checked_at_fifteen_or_forty_five_minutes(
    world: World, fakes, held
) -> None:
    payment = _created(world)
    for at in (300, 600, 1800):  # the first three steps, each on time
        world.clock.now = payment.created_at + at + 0.5
        held.flush()
        run_sweeper()
    assert _asked_at(fakes, payment.created_at) == [300, 600, 1800]
    assert held.held == [pytest.approx(payment.created_at + 1800 + 900, abs=1)]

    for at in (2700.5, 3600.5):  # 45 min: the message is back, the step not due: 15 min more
        world.clock.now = payment.created_at + at
        held.flush()
        run_sweeper()
        if at < 3600:
            assert _asked_at(fakes, payment.created_at) == [300, 600, 1800]
            assert held.delays[-1] == 900

    assert _asked_at(fakes, payment.created_at) == [300, 600, 1800, 3600]


def _early_message(world: World, fakes, held) -> tuple[Any, SweepMessage]:
    """The 60-minute step's message as SQS delivers it 15 minutes after the 30-minute step."""
    payment = _created(world)
    for at in (300, 600, 1800):
        world.clock.now = payment.created_at + at + 0.5
        held.flush()
        run_sweeper()
    world.clock.now = payment.created_at + 2700.5
    held.flush()
    url = world.d.settings.sweep_queue_url
    (delivered,) = world.d.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    world.d.sqs.delete_message(QueueUrl=url, ReceiptHandle=delivered["ReceiptHandle"])
    return payment, SweepMessage.parse(delivered["Body"])


def test_an_early_message_delivered_twice_is_checked_once_when_due(world: World, fakes, held) -> None:
    payment, message = _early_message(world, fakes, held)
    entry_before = _entry(world, payment.payment_id)

    early = work(world.d, [("m1", message), ("m2", message)], QueryPool())

    assert (early.queried, early.stale, early.failed) == (0, 0, [])
    assert _entry(world, payment.payment_id) == entry_before  # the guard still holds the step
    assert held.delays[-2:] == [900, 900]
    world.clock.now = payment.created_at + 3600.5
    held.flush()
    report = run_sweeper()

    assert (report["queried"], report["stale"]) == (1, 1)
    assert _asked_at(fakes, payment.created_at) == [300, 600, 1800, 3600]


def test_an_early_message_that_cannot_be_queued_again_is_given_back_to_sqs(
    world: World, fakes, held, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment, message = _early_message(world, fakes, held)

    def refuse(**kwargs: Any) -> Any:
        raise ConnectionError("SQS is unreachable")

    monkeypatch.setattr(held, "send_message", refuse)
    report = work(world.d, [("m1", message)], QueryPool())

    assert report.failed == ["m1"] and report.queried == 0  # SQS delivers it again
    assert _asked_at(fakes, payment.created_at) == [300, 600, 1800]


def _entry(world: World, payment_id: str) -> str:
    item = world.d.dynamodb.get_item(
        TableName=world.d.settings.table,
        Key={"PK": {"S": f"PAY#{payment_id}"}, "SK": {"S": "PAY"}},
        ConsistentRead=True,
    )["Item"]
    return str(item["GSI1SK"]["S"])
