"""The planner's pass over the due index: claim every due entry and send it to the sweep queue.

A claim moves the entry's GSI1SK CLAIM_SECONDS ahead, conditioned on the entry being where the
index showed it, so that the next planner run does not see it again while its message waits or
is checked; the message names the claim, and a worker acts only while the item still holds it
(see paymux.services.sweeper for the whole design)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from paymux.clock import iso, parse_iso
from paymux.deps import Deps
from paymux.observability import emit_metric
from paymux.services.sweep_schedule import CLAIM_SECONDS
from paymux.store.due import DueIndex, DueKey, Kind, due_sk
from paymux.store.sweep_queue import SweepMessage, SweepQueue

log = logging.getLogger("paymux")
KINDS: tuple[Kind, ...] = ("payment", "refund", "outbox", "checkout")
CLAIM_THREADS = 16  # conditional UpdateItems in flight while claiming a page
CHUNK = 100  # keys claimed and sent per round


@dataclass(slots=True)
class PlanReport:
    leased: bool = True
    claimed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    moved_meanwhile: int = 0  # entries a writer moved between the index read and the claim
    unsent: int = 0  # claims given back because SQS did not take their message
    stopped_early: bool = False  # the run's time was up; the rest is due next minute
    lag_seconds: float = 0.0
    outbox_lag_seconds: float = 0.0


def due_index(d: Deps) -> DueIndex:
    return DueIndex(d.dynamodb, d.settings.table)


def sweep_queue(d: Deps) -> SweepQueue:
    return SweepQueue(d.sqs, d.settings.sweep_queue_url)


def cutoff(kind: Kind, now: float) -> str:
    """Entries sorting before this are due, every kind at its time (a new notification is
    written overdue FIRST_OVERDUE after its creation: paymux.store.notifications)."""
    return iso(now) + "~"


def emit_lag(oldest: dict[Kind, str], now: float, report: PlanReport) -> None:
    """SweeperLagSeconds: how long the oldest due payment or refund had waited at the start of
    the run; OutboxOldestAgeSeconds: the same for the notification outbox. From the due pages
    themselves (each key's first entry is its oldest): no extra reads."""
    due = [oldest[k] for k in ("payment", "refund") if k in oldest]
    report.lag_seconds = max(0.0, now - min(map(_time_of, due))) if due else 0.0
    outbox = oldest.get("outbox")
    report.outbox_lag_seconds = max(0.0, now - _time_of(outbox)) if outbox else 0.0
    emit_metric("SweeperLagSeconds", report.lag_seconds, "Seconds")
    emit_metric("OutboxOldestAgeSeconds", report.outbox_lag_seconds, "Seconds")


def _time_of(sk: str) -> float:
    return parse_iso(sk.split("#", 1)[0])


def plan(d: Deps, now: float, time_left: Callable[[], float]) -> PlanReport:
    """Claims and sends every due entry of every kind, in rounds of CHUNK keys, until done or
    until `time_left()` (seconds) runs low."""
    index, queue = due_index(d), sweep_queue(d)
    report, oldest = PlanReport(), dict[Kind, str]()
    try:
        with ThreadPoolExecutor(max_workers=CLAIM_THREADS, thread_name_prefix="claim") as pool:
            for kind in KINDS:
                for chunk in _chunks(index.due(kind, cutoff(kind, now)), CHUNK):
                    oldest[kind] = min(oldest.get(kind, chunk[0].due_sk), *(k.due_sk for k in chunk))
                    if time_left() < 10:
                        report.stopped_early = True
                        return report
                    _claim_and_send(index, queue, pool, chunk, now, report)
    finally:
        emit_lag(oldest, now, report)
    return report


def _chunks(keys: Iterable[DueKey], size: int) -> Iterable[list[DueKey]]:
    chunk: list[DueKey] = []
    for key in keys:
        chunk.append(key)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _claim_and_send(
    index: DueIndex,
    queue: SweepQueue,
    pool: ThreadPoolExecutor,
    keys: list[DueKey],
    now: float,
    report: PlanReport,
) -> None:
    until = now + CLAIM_SECONDS
    claims = [due_sk(iso(until), key.item_id) for key in keys]
    taken = list(pool.map(index.claim, keys, claims))
    messages = [
        SweepMessage(key.kind, key.pk, key.sk, claim, until)
        for key, claim, ok in zip(keys, claims, taken, strict=True)
        if ok
    ]
    report.moved_meanwhile += len(keys) - len(messages)
    seen = {(k.pk, k.sk): k.due_sk for k in keys}
    failed = queue.send_batch(messages)
    for message in failed:
        # Not queued: give the entry back its due time, so the next run sends it again.
        index.release(message.key, message.claim, seen[(message.pk, message.sk)])
    report.unsent += len(failed)
    unsent = {(m.pk, m.sk) for m in failed}
    for message in messages:
        if (message.pk, message.sk) not in unsent:
            report.claimed[message.kind] += 1
