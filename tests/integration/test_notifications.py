"""Every outcome reaches the merchant, once in effect: backoff on the merchant's schedule with
an injected clock, exhaustion (onto the exception list) and manual resend, chained delays past SQS's 900 s,
a crash between the write and the enqueue, and 50 identical callbacks at once."""

import threading
from typing import Any

import pytest

from paymux.clock import iso
from paymux.store.merchants import MerchantApp
from tests.integration.conftest import World, callback_event, notification_bodies
from tests.support import invoke, run_sweeper


class ProcessKilled(BaseException):
    """Stands in for the Lambda runtime killing the process: no `except Exception` catches it."""


class RecordingSQS:
    """The real (moto) client, but every DelaySeconds is recorded and the message made visible
    at once: the test moves the clock instead of sleeping. Optionally dies on chosen sends."""

    def __init__(self, real: Any, die_on_sends: int = 0) -> None:
        self._real = real
        self.delays: list[int] = []
        self._die_on_sends = die_on_sends

    def send_message(self, **kwargs: Any) -> Any:
        if self._die_on_sends:
            self._die_on_sends -= 1
            raise ProcessKilled
        self.delays.append(int(kwargs.get("DelaySeconds", 0)))
        return self._real.send_message(**{**kwargs, "DelaySeconds": 0})

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def sqs(world: World) -> RecordingSQS:
    recording = RecordingSQS(world.d.sqs)
    world.d.__dict__["sqs"] = recording
    return recording


def paid(world: World) -> dict:
    _, created = world.create()
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    assert world.sandbox.wait_for_callbacks(timeout=10)
    assert world.d.payments.get(created["id"]).status == "SUCCESS"
    return created


def deliver_all(world: World, sqs: RecordingSQS, max_rounds: int = 20) -> list[int]:
    """Runs the notifier until the queue is empty, moving the clock by each requested delay."""
    delays = []
    for _ in range(max_rounds):
        before = len(sqs.delays)
        if world.run_notifier()["count"] == 0:
            return delays
        for delay in sqs.delays[before:]:
            delays.append(delay)
            world.clock.advance(delay)
    raise AssertionError("the notifier never went quiet")


def notifications(world: World, payment_id: str) -> list[dict]:
    status, body = world.call(
        "list_notifications.json",
        path=f"/v1/payments/{payment_id}/notifications",
        path_params={"payment_id": payment_id},
    )
    assert status == 200
    return body["data"]


def test_failing_three_times_then_delivered_on_attempt_four(world: World, sqs: RecordingSQS):
    world.merchant_endpoint.statuses = [500, 500, 503]
    created = paid(world)
    assert sqs.delays == [0]  # handed to SQS right after the callback's transition
    delays = deliver_all(world, sqs)
    assert delays == [1, 2, 4]
    (notification,) = notifications(world, created["id"])
    assert notification["status"] == "delivered"
    assert [a["status_code"] for a in notification["attempts"]] == [500, 500, 503, 200]
    assert [a["retry_in"] for a in notification["attempts"]] == [1, 2, 4, None]
    assert all(a["latency_ms"] is not None for a in notification["attempts"])
    bodies = notification_bodies(world.merchant_endpoint)
    assert len({b["id"] for b in bodies}) == 1  # every retry carries the same event id


def test_always_failing_exhausts_ten_retries_then_manual_resend(world: World, sqs: RecordingSQS):
    world.merchant_endpoint.default = 500
    created = paid(world)
    delays = deliver_all(world, sqs)
    # No DLQ hand-off: a merchant's endpoint goes to the exception list (test_notification_give_up).
    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    assert len(world.merchant_endpoint.received) == 11  # the first try and exactly 10 retries
    (notification,) = notifications(world, created["id"])
    assert notification["status"] == "failed" and len(notification["attempts"]) == 11

    world.merchant_endpoint.default = 200
    path = f"/v1/notifications/{notification['id']}/resend"
    status, resent = world.call(
        "resend_notification.json", path=path, path_params={"notification_id": notification["id"]}
    )
    assert (status, resent["status"]) == (202, "pending")
    deliver_all(world, sqs)
    (notification,) = notifications(world, created["id"])
    assert notification["status"] == "delivered" and notification["attempts"][-1]["status_code"] == 200
    status, again = world.call(
        "resend_notification.json", path=path, path_params={"notification_id": notification["id"]}
    )
    assert (status, again["error"]["code"]) == (409, "notification_not_failed")


def test_delays_beyond_the_sqs_limit_are_chained(world: World, sqs: RecordingSQS):
    world.d.merchants.put_app(
        MerchantApp(
            app_id=world.app_id,
            merchant_id=world.d.merchants.app(world.app_id).merchant_id,
            notify_schedule=(1800,),
        ),
        world.secret,
    )
    world.merchant_endpoint.statuses = [500]
    created = paid(world)
    delays = deliver_all(world, sqs)
    assert delays == [900, 900]  # 1800 s as two chained SQS delays
    (notification,) = notifications(world, created["id"])
    assert [a["status_code"] for a in notification["attempts"]] == [500, 200]


# The simulated kill escapes the callback receiver's thread, as a real crash would.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_crash_between_write_and_enqueue_is_still_delivered(world: World, sqs: RecordingSQS):
    sqs._die_on_sends = 1  # the process dies right after the transition's write
    _, created = world.create()
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    world.sandbox.wait_for_callbacks(timeout=10)  # the channel retries; the retry is a duplicate
    assert world.d.payments.get(created["id"]).status == "SUCCESS"
    assert world.run_notifier()["count"] == 0  # nothing reached SQS
    assert run_sweeper()["outbox_resent"] == 0  # not overdue yet
    world.clock.advance(61)
    assert run_sweeper()["outbox_resent"] == 1
    deliver_all(world, sqs)
    assert [b["type"] for b in notification_bodies(world.merchant_endpoint)] == ["payment.succeeded"]


class FailingSQS(RecordingSQS):
    """SQS refuses the first `failures` sends (an ordinary error the enqueuer logs)."""

    def __init__(self, real: Any, failures: int) -> None:
        super().__init__(real)
        self.failures = failures

    def send_message(self, **kwargs: Any) -> Any:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SQS unreachable")
        return super().send_message(**kwargs)


def test_handing_a_notification_to_sqs_writes_nothing(world: World, sqs: RecordingSQS):
    created = paid(world)
    (stored,) = world.d.notifications.for_payment(created["id"])
    # As the transition's transaction wrote it: overdue a minute after its creation, not marked.
    assert "enqueued_at" not in stored
    assert stored["GSI1SK"] == f"{iso(stored['created_at'] + 60)}#{stored['notification_id']}"
    assert sqs.delays == [0]  # and it is in SQS
    deliver_all(world, sqs)
    assert len(world.merchant_endpoint.received) == 1


def test_a_notification_whose_sqs_send_fails_is_delivered_by_the_sweeper_within_a_minute(world: World):
    failing = FailingSQS(world.d.sqs, failures=1)
    world.d.__dict__["sqs"] = failing
    created = paid(world)  # the transition committed; its send failed and was logged
    assert world.run_notifier()["count"] == 0
    world.clock.advance(59)
    assert run_sweeper()["outbox_resent"] == 0  # not overdue: no second message yet
    world.clock.advance(2)
    assert run_sweeper()["outbox_resent"] == 1
    deliver_all(world, failing)
    assert [b["type"] for b in notification_bodies(world.merchant_endpoint)] == ["payment.succeeded"]
    (notification,) = notifications(world, created["id"])
    assert notification["status"] == "delivered"
    world.clock.advance(3600)  # delivered: off the outbox, never sent again
    assert run_sweeper()["outbox_resent"] == 0
    assert len(world.merchant_endpoint.received) == 1


def test_crash_between_a_failed_attempt_and_its_retry_is_recovered(world: World, sqs: RecordingSQS):
    world.merchant_endpoint.statuses = [500]
    created = paid(world)
    sqs._die_on_sends = 1  # the first attempt fails, and the process dies queueing the retry
    with pytest.raises(ProcessKilled):
        world.run_notifier()
    # SQS would redeliver the original message, but that attempt is already logged: a
    # duplicate, dropped. Only the overdue index can bring the notification back.
    assert run_sweeper()["outbox_resent"] == 0
    world.clock.advance(1 + 600 + 31)
    assert run_sweeper()["outbox_resent"] == 1
    deliver_all(world, sqs)
    (notification,) = notifications(world, created["id"])
    assert notification["status"] == "delivered"
    assert [a["status_code"] for a in notification["attempts"]] == [500, 200]


def test_fifty_identical_callbacks_make_one_transition_and_one_notification(world: World, sqs: RecordingSQS):
    world.catcher.forward = False  # capture the genuine callback without applying it
    _, created = world.create()
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    world.sandbox.wait_for_callbacks(timeout=10)
    genuine = world.catcher.received[0]
    statuses: list[int] = []
    barrier = threading.Barrier(50)

    def one() -> None:
        barrier.wait()
        event = callback_event(genuine["account"], genuine["headers"], genuine["body"])
        statuses.append(invoke("channel_callback", event)["statusCode"])

    threads = [threading.Thread(target=one) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [204] * 50
    payment = world.d.payments.get(created["id"])
    assert payment.status == "SUCCESS" and payment.version == created["version"] + 1
    assert [e["type"] for e in world.d.payments.events(created["id"])].count("payment.succeeded") == 1
    deliver_all(world, sqs)
    assert len(world.merchant_endpoint.received) == 1
    assert len(notifications(world, created["id"])) == 1
