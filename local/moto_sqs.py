"""SQS in the embedded moto without re-reading the clock for every message of a queue, and
without handing one message to two receivers at once.

moto 5.2.5's `Queue.messages` (what ReceiveMessage walks, and ApproximateNumberOfMessages)
asks each message of the queue `visible` and `delayed`, and each of those reads the clock
through two naive datetimes; GetQueueAttributes walks the queue three times so; DeleteMessage
walks it twice, building each message's list of receipt handles. At 10,000 messages one
ReceiveMessage cost ~60 ms and a DeleteMessageBatch of ten ~30 ms, under the GIL of the process
that serves every other request. Here:

- `Queue.messages` and the two approximate counts read the clock once per call and compare the
  same fields moto's `visible` and `delayed` compare (`now > visible_at`, `now < delayed_until`),
  keeping the queue's order; ReceiveMessage itself is moto's own and still checks each message
  it hands out;
- `Queue.delete_message` finds the message with one pass that compares the handles directly,
  and removes every message that ever had the handle, as moto does (a new list, rebound; an
  unknown handle raises ReceiptHandleIsInvalid; a deleted one is accepted again).

- ReceiveMessage claims messages atomically: moto checks a message's visibility and only then
  marks it received, with no lock, so two receives served by two threads of the server could
  both pass the check and hand the same message out twice, each with its own receipt handle (the
  sweeper bench's duplicated work; tests/local/test_moto_sqs_receive.py). Here each pass of
  moto's own receive (with no wait) runs under one claim lock; a long poll waits between passes
  outside it, on the queue's own condition, as moto's loop does.

A queue whose `moto_own` attribute is true runs moto's own code (the tests compare both on one
server)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.core.utils import unix_time, unix_time_millis
from moto.sqs.exceptions import ReceiptHandleIsInvalid
from moto.sqs.models import Message, Queue, SQSBackend

_applied = False
_ORIGINALS: dict[str, Any] = {}


def _visible_now(queue: Queue) -> list[Message]:
    now = unix_time_millis()
    return [m for m in queue._messages if now > m.visible_at and not now < m.delayed_until]


def _delayed_count(queue: Queue) -> int:
    now = unix_time_millis()
    return sum(1 for m in queue._messages if now < m.delayed_until)


def _not_visible_count(queue: Queue) -> int:
    now = unix_time_millis()
    return sum(1 for m in queue._messages if not now > m.visible_at)


def _had(message: Message, handle: str) -> bool:
    return message.receipt_handle == handle or handle in message._old_receipt_handles


def _delete_message(queue: Queue, receipt_handle: str) -> None:
    if receipt_handle in queue.deleted_messages:
        return  # moto: deleting a deleted message again is accepted
    kept: list[Message] = []
    found = False
    for message in queue._messages:
        if _had(message, receipt_handle):
            found = True
            queue.pending_messages.discard(message)
            queue.deleted_messages.update(message.all_receipt_handles)
            continue
        kept.append(message)
    if not found:
        raise ReceiptHandleIsInvalid()
    queue._messages = kept


class ClaimLock:
    """The lock every receive's claim runs under; `contended` (if set) is called when a receive
    has to wait for another one (the tests use it to see a second receiver queued)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.contended: Callable[[], None] | None = None

    def __enter__(self) -> None:
        if not self._lock.acquire(blocking=False):
            if self.contended is not None:
                self.contended()
            self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


CLAIMS = ClaimLock()


def _receive_message(
    backend: SQSBackend,
    queue_name: str,
    count: int,
    wait_seconds_timeout: int,
    visibility_timeout: int,
    message_attribute_names: list[str] | None = None,
) -> list[Message]:
    original = _ORIGINALS["receive_message"]
    queue = backend.get_queue(queue_name)
    if getattr(queue, "moto_own", False):
        return original(
            backend, queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names
        )
    polling_end = unix_time() + wait_seconds_timeout
    while True:
        with CLAIMS:
            result: list[Message] = original(
                backend, queue_name, count, 0, visibility_timeout, message_attribute_names
            )
        if result or unix_time() >= polling_end:
            return result
        queue.wait_for_messages(1)


def _unless_moto_own(name: str, fast: Callable[..., Any]) -> Callable[..., Any]:
    original = _ORIGINALS[name]

    @functools.wraps(original)
    def patched(self: Queue, *args: Any) -> Any:
        if getattr(self, "moto_own", False):
            return original(self, *args)
        return fast(self, *args)

    return patched


def cheap_sqs_queues() -> None:
    """Patch moto's SQS Queue in this process; once, idempotent."""
    global _applied  # noqa: PLW0603 - patch once per process
    if _applied:
        return
    for name in (
        "messages",
        "approximate_number_of_messages_delayed",
        "approximate_number_of_messages_not_visible",
    ):
        _ORIGINALS[name] = getattr(Queue, name).fget
    _ORIGINALS["delete_message"] = Queue.delete_message
    Queue.messages = property(_unless_moto_own("messages", _visible_now))  # type: ignore[method-assign,assignment]
    Queue.approximate_number_of_messages_delayed = property(  # type: ignore[method-assign,assignment]
        _unless_moto_own("approximate_number_of_messages_delayed", _delayed_count)
    )
    Queue.approximate_number_of_messages_not_visible = property(  # type: ignore[method-assign,assignment]
        _unless_moto_own("approximate_number_of_messages_not_visible", _not_visible_count)
    )
    Queue.delete_message = _unless_moto_own("delete_message", _delete_message)  # type: ignore[method-assign]
    _ORIGINALS["receive_message"] = SQSBackend.receive_message
    SQSBackend.receive_message = _receive_message  # type: ignore[method-assign]
    _applied = True
