"""The notifier can deliver a notification before the enqueuer has marked it handed to SQS (the
message is visible at once). That is an expected interleaving: the late mark finds the
notification settled and changes nothing, with no traceback and no alarmed log line."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.integration.conftest import World
from tests.support import run_sweeper


class DeliveredAtOnce:
    """The real (moto) SQS client, but the notifier receives and delivers each notification the
    moment it is sent, before send_message returns to the enqueuer."""

    def __init__(self, world: World, real: Any) -> None:
        self._world, self._real = world, real
        self.delivered = 0

    def send_message(self, **kwargs: Any) -> Any:
        sent = self._real.send_message(**kwargs)
        self.delivered += self._world.run_notifier()["count"]
        return sent

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_a_notification_delivered_before_it_is_marked_enqueued_logs_no_traceback(
    world: World, caplog: pytest.LogCaptureFixture
):
    world.catcher.forward = False  # the payment is learnt by the merchant's sync query below
    _, created = world.create()
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    racing = DeliveredAtOnce(world, world.d.sqs)
    world.d.__dict__["sqs"] = racing

    with caplog.at_level(logging.DEBUG):
        status, payment = world.get(created["id"], query="sync=true")  # transition, then enqueue

    assert (status, payment["status"]) == (200, "SUCCESS")
    assert racing.delivered == 1
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    (notification,) = world.d.notifications.for_payment(created["id"])
    assert (notification["status"], notification["attempts"]) == ("delivered", 1)
    assert len(world.merchant_endpoint.received) == 1
    # The late mark did not put the delivered notification back in the outbox.
    world.clock.advance(3600)
    assert run_sweeper()["outbox_resent"] == 0
    assert len(world.merchant_endpoint.received) == 1
