"""sandbox/common/resend: the resend machinery the four provider sandboxes share, driven by a
provider of its own (no HTTP) on a fake clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from sandbox.common.resend import Answer, ResendScheduler, notify_opener, post_notify


@dataclass(frozen=True)
class Note:
    name: str
    send: int = 1


@dataclass(frozen=True)
class Sent:
    name: str
    send: int
    at: float
    delivered: bool


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


class Scripted(ResendScheduler[Note, Sent]):
    """Delivered on the send numbers of `answers_on`; resent 10 s after each failed send, 3 sends at most."""

    def __init__(self, clock: FakeClock, answers_on: set[int]) -> None:
        super().__init__(
            due_clock=clock, thread_name="t-resend", pool_prefix="t-resend", workers=2, max_wait=0.01
        )
        self._clock, self._answers_on = clock, answers_on

    def _send(self, notification: Note) -> Sent:
        return Sent(
            notification.name, notification.send, self._clock(), notification.send in self._answers_on
        )

    def _resend(self, notification: Note, attempt: Sent) -> tuple[float, Note] | None:
        if attempt.delivered or notification.send >= 3:
            return None
        return attempt.at + 10.0, replace(notification, send=notification.send + 1)


def _wait_for_log(scheduler: Scripted, count: int) -> None:
    done = threading.Event()
    for _ in range(500):
        if len(scheduler.log) >= count:
            return
        done.wait(0.01)
    raise AssertionError(f"{count} sends expected, saw {scheduler.log}")


def test_a_failed_send_is_resent_when_due_on_the_injected_clock_and_settles_when_delivered() -> None:
    clock = FakeClock()
    scheduler = Scripted(clock, answers_on={2})
    scheduler.start()
    try:
        scheduler.submit(Note("a"))
        _wait_for_log(scheduler, 1)
        assert scheduler.pending() == [(1010.0, Note("a", send=2))]
        assert not scheduler.wait_idle(0.05)  # a resend is still owed
        clock.advance(10.0)
        assert scheduler.wait_idle(5)
        assert [(s.send, s.at, s.delivered) for s in scheduler.log] == [(1, 1000.0, False), (2, 1010.0, True)]
        assert scheduler.pending() == []
    finally:
        scheduler.stop()


def test_the_last_send_settles_even_undelivered_and_stop_cancels_what_is_pending() -> None:
    clock = FakeClock()
    scheduler = Scripted(clock, answers_on=set())
    scheduler.start()
    try:
        scheduler.submit(Note("b"))
        for sends in (1, 2):
            _wait_for_log(scheduler, sends)
            clock.advance(10.0)
        assert scheduler.wait_idle(5)
        assert [s.send for s in scheduler.log] == [1, 2, 3]
        scheduler.submit(Note("c"))
        _wait_for_log(scheduler, 4)
        assert len(scheduler.pending()) == 1
    finally:
        scheduler.stop()
    assert scheduler.pending() == [] and scheduler.wait_idle(0)
    scheduler.submit(Note("d"))  # after stop: nothing is queued
    assert scheduler.pending() == []


def test_post_notify_answers_a_url_it_cannot_post_to_without_raising() -> None:
    opener = notify_opener(follow_redirects=False)
    answer = post_notify(opener, "ftp://merchant.example/n", b"", {}, timeout=1, url_field="backUrl")
    assert answer == Answer(None, None, "unsupported backUrl scheme: ftp://merchant.example/n")
    refused = post_notify(opener, "http://127.0.0.1:9/n", b"x", {}, timeout=1, url_field="notify_url")
    assert refused.status is None and refused.body is None and refused.error
