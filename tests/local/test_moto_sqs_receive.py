"""Why the sweeper bench's workers sometimes process the same message twice at once: moto's
ReceiveMessage (moto 5.2.5, `SQSBackend.receive_message`) is not atomic. It takes the queue's
visible messages, then for each one checks `message.visible` and only afterwards marks it received
(`Message.mark_received`, which moves its `visible_at` past the visibility timeout), with no lock:
two ReceiveMessage requests served by two threads of one moto server (ThreadedMotoServer, the
local stack's) that both pass the check before either marks the message both hand it out, each
with its own receipt handle. SQS never gives an in-flight message to a second consumer within its
visibility timeout. The test below drives moto's own code (a queue with `moto_own`, unpatched by
local/moto_sqs.py) into exactly that interleaving: the two receivers meet at a barrier inside
mark_received, i.e. after both found the message visible. The local stack's receive
(local/moto_sqs.py) claims under one lock: a second receiver that arrives while the first is
claiming waits, and then finds the message in flight."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import Message, sqs_backends

from local import moto_sqs

REGION = "ap-east-1"


@pytest.fixture
def backend() -> Any:
    return sqs_backends[DEFAULT_ACCOUNT_ID][REGION]


def _receive_in_threads(backend: Any, queue_name: str, receivers: int) -> list[list[Message]]:
    results: list[list[Message]] = [[] for _ in range(receivers)]

    def receive(slot: int) -> None:
        results[slot] = backend.receive_message(queue_name, 10, 0, 30)

    threads = [threading.Thread(target=receive, args=(n,)) for n in range(receivers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_concurrent_receives_in_moto_hand_out_one_message_twice(
    backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"moto-{uuid.uuid4().hex[:8]}"
    queue = backend.create_queue(name)
    queue.moto_own = True  # moto's own semantics, not local/moto_sqs.py's
    sent = backend.send_message(name, "sweep me")
    # Both receivers must reach mark_received before either marks: the interleaving a thread
    # switch between moto's visibility check and its mark gives. The timeout only keeps a
    # receive that never gets there (an atomic receive) from hanging the test: it then fails.
    meeting = threading.Barrier(2, timeout=30)
    original = Message.mark_received

    def mark_received(self: Message, visibility_timeout: int | None = None) -> None:
        meeting.wait()
        original(self, visibility_timeout)

    monkeypatch.setattr(Message, "mark_received", mark_received)
    first, second = _receive_in_threads(backend, name, 2)

    assert [m.id for m in first] == [sent.id] and [m.id for m in second] == [sent.id]
    assert first[0].receipt_handle != second[0].receipt_handle  # two live claims of one message
    assert queue._messages[0].approximate_receive_count == 2


def test_the_local_stacks_receive_gives_a_message_to_one_receiver(
    backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    moto_sqs.cheap_sqs_queues()
    name = f"patched-{uuid.uuid4().hex[:8]}"
    backend.create_queue(name)
    sent = backend.send_message(name, "sweep me")
    second: list[list[Message]] = []
    threads: list[threading.Thread] = []
    arrived = threading.Event()  # the second receiver is queued behind the claim, or done
    monkeypatch.setattr(moto_sqs.CLAIMS, "contended", arrived.set)
    original = Message.mark_received

    def receive_meanwhile() -> None:
        second.append(backend.receive_message(name, 10, 0, 30))
        arrived.set()

    def mark_received(self: Message, visibility_timeout: int | None = None) -> None:
        if not threads:  # the first claim: a second receive comes in before the mark
            threads.append(threading.Thread(target=receive_meanwhile))
            threads[0].start()
            arrived.wait()
        original(self, visibility_timeout)

    monkeypatch.setattr(Message, "mark_received", mark_received)
    first = backend.receive_message(name, 10, 0, 30)
    threads[0].join()

    assert [m.id for m in first] == [sent.id]
    assert second == [[]]  # in flight once claimed: the second receiver gets nothing
