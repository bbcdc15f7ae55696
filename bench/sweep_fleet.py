"""Sweep workers as processes (as Lambda containers are: each its own interpreter, Deps, query
pool and connections), consuming the sweep queue of the backend process with
services/sweep_worker, BatchSize 100, as the SQS event source hands batches to the function.
Each counts the AWS calls it made (botocore `after-call` hooks) and the queries its modelled
channel answered, and hands both back."""

from __future__ import annotations

import os
import queue
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event
from typing import Any

from paymux.config import Settings

BATCH_SIZE = 100  # template.yaml: SweepWorkerFunction's BatchSize
WAIT_SECONDS = 1  # long polling: an idle worker waits for the planner's next messages


@dataclass
class Tally:
    """What a process did: AWS calls by "service.Operation", queries by out_trade_no."""

    calls: Counter[str] = field(default_factory=Counter)
    asked: Counter[str] = field(default_factory=Counter)
    messages: int = 0


def collect(results: Any, processes: list[Any]) -> list[Any]:
    """One answer per process; a process that died without answering fails the bench."""
    answers: list[Any] = []
    while len(answers) < len(processes):
        try:
            answers.append(results.get(timeout=5))
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in processes):
                raise RuntimeError("a bench process died; see its traceback above") from None
    return answers


def count_calls(tally: Tally) -> None:
    """Counts every call of the clients boto3's default session makes from now on."""
    import boto3  # noqa: PLC0415

    def after(model: Any, **_: Any) -> None:
        tally.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("after-call", after, unique_id="bench-sweep-calls")


def enter_world(environment: dict[str, str]) -> None:
    from bench import sweep_rig  # noqa: PLC0415 - the registry entry, in this process
    from paymux.channels import registry  # noqa: PLC0415

    os.environ.update(environment)
    registry.PROVIDERS["modelled"] = f"{sweep_rig.__name__}:ModelledChannel"


def worker(environment: dict[str, str], settings: Settings, now: float, planned: Event, results: Any) -> None:
    """One worker process: batches until the planner is done and the queue is empty."""
    enter_world(environment)
    from bench import sweep_rig  # noqa: PLC0415

    tally = Tally()
    count_calls(tally)
    try:
        tally.messages = consume(settings, now, planned)
    finally:
        tally.asked = sweep_rig.ASKED.counts
        results.put(tally)


def consume(settings: Settings, now: float, planned: Event) -> int:
    from bench.sweep_rig import BenchDeps  # noqa: PLC0415
    from paymux.services.query_pool import QueryPool  # noqa: PLC0415

    d, pool, done = BenchDeps(settings=settings, clock=lambda: now), QueryPool(), 0
    while True:
        batch = receive_batch(d.sqs, settings.sweep_queue_url)
        if not batch:
            if planned.is_set() and queue_empty(d.sqs, settings.sweep_queue_url):
                return done  # nothing visible, nothing in flight at another worker
            continue
        done += check_batch(d, pool, settings, batch)


def receive_batch(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Up to BATCH_SIZE messages; the first receive long-polls (as Lambda's poller does)."""
    batch: list[dict[str, Any]] = []
    while len(batch) < BATCH_SIZE:
        wait = 0 if batch else WAIT_SECONDS
        page = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
        if not page.get("Messages"):
            break
        batch += page["Messages"]
    return batch


def check_batch(d: Any, pool: Any, settings: Settings, batch: list[dict[str, Any]]) -> int:
    from paymux.services.sweep_worker import work  # noqa: PLC0415
    from paymux.store.sweep_queue import SweepMessage  # noqa: PLC0415

    messages = [(m["MessageId"], SweepMessage.parse(m["Body"])) for m in batch]
    failed = set(work(d, messages, pool, settings.sweep_workers).failed)
    for start in range(0, len(batch), 10):
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
            for i, m in enumerate(batch[start : start + 10])
            if m["MessageId"] not in failed
        ]
        if entries:
            d.sqs.delete_message_batch(QueueUrl=settings.sweep_queue_url, Entries=entries)
    return len(batch) - len(failed)


def queue_empty(sqs: Any, url: str) -> bool:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return all(int(attributes[n]) == 0 for n in names)
