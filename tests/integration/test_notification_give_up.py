"""One merchant's endpoint being down pages nobody: a notify URL that always answers 500 ends,
after the first attempt and all 10 retries, on the exception list with the merchant and the
notification, while every notifier invocation reports success to Lambda (no function Errors),
the notify DLQ stays empty and no alarm metric is emitted."""

from __future__ import annotations

from typing import Any

import pytest

from paymux.services.exceptions import list_exceptions
from paymux.store.merchants import MerchantApp
from tests.integration.conftest import World
from tests.integration.test_notifications import RecordingSQS, notifications, paid


@pytest.fixture
def sqs(world: World) -> RecordingSQS:
    recording = RecordingSQS(world.d.sqs)
    world.d.__dict__["sqs"] = recording
    return recording


@pytest.fixture
def metrics(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the metrics the exception list emits (CallbackExceptionsAlarm reads them)."""
    emitted: list[str] = []
    monkeypatch.setattr("paymux.store.exceptions.emit_metric", lambda name, *a, **k: emitted.append(name))
    return emitted


def run_until_quiet(world: World, sqs: RecordingSQS) -> list[dict[str, Any]]:
    """Every notifier invocation's answer to Lambda, moving the clock by each requested delay."""
    answers = []
    for _ in range(20):
        before = len(sqs.delays)
        answer = world.run_notifier()
        if answer["count"] == 0:
            return answers
        answers.append(answer)
        for delay in sqs.delays[before:]:
            world.clock.advance(delay)
    raise AssertionError("the notifier never went quiet")


def test_a_merchant_endpoint_that_always_fails_goes_to_the_exception_list_not_to_operators(
    world: World, sqs: RecordingSQS, metrics: list[str]
) -> None:
    world.merchant_endpoint.default = 500
    created = paid(world)

    answers = run_until_quiet(world, sqs)

    assert len(answers) == 11  # the first attempt and 10 retries, one invocation each
    assert all(a["batchItemFailures"] == [] for a in answers)  # Lambda sees success: no Errors
    assert len(world.merchant_endpoint.received) == 11
    (notification,) = notifications(world, created["id"])
    assert notification["status"] == "failed"
    dlq = world.stack.queue_urls["NotifyDeadLetterQueue"]
    assert world.d.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", []) == []

    merchant_id = world.d.merchants.app(world.app_id).merchant_id
    (entry,) = [
        e
        for e in list_exceptions(world.d, limit=100, kind="notification_failed")
        if e["detail"]["notification_id"] == notification["id"]
    ]
    assert entry["subject"] == merchant_id
    assert entry["detail"] == {
        "merchant_id": merchant_id,
        "notification_id": notification["id"],
        "payment_id": created["id"],
        "notify_url": world.notify_url,
        "attempts": 11,
        "last_status_code": 500,
        "last_error": "HTTP 500",
    }
    assert "CallbackExceptions" not in metrics  # CallbackExceptionsAlarm does not fire on it


def test_a_resend_that_fails_again_is_listed_again_and_a_working_one_is_delivered(
    world: World, sqs: RecordingSQS, metrics: list[str]
) -> None:
    merchant_id = world.d.merchants.app(world.app_id).merchant_id
    one_retry = MerchantApp(app_id=world.app_id, merchant_id=merchant_id, notify_schedule=(1,))
    world.d.merchants.put_app(one_retry, world.secret)
    world.merchant_endpoint.default = 500
    created = paid(world)
    run_until_quiet(world, sqs)
    (notification,) = notifications(world, created["id"])
    path = f"/v1/notifications/{notification['id']}/resend"
    params = {"path": path, "path_params": {"notification_id": notification["id"]}}

    assert world.call("resend_notification.json", **params)[0] == 202
    answers = run_until_quiet(world, sqs)

    assert all(a["batchItemFailures"] == [] for a in answers)
    listed = [
        e["detail"]["attempts"]
        for e in list_exceptions(world.d, limit=100, kind="notification_failed")
        if e["detail"]["notification_id"] == notification["id"]
    ]
    assert sorted(listed) == [2, 3]  # gave up after 2 attempts, then after the re-send's one
    world.merchant_endpoint.default = 200
    assert world.call("resend_notification.json", **params)[0] == 202
    run_until_quiet(world, sqs)
    (notification,) = notifications(world, created["id"])
    assert notification["status"] == "delivered"
    assert metrics == []
