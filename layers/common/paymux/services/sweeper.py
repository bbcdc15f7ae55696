"""The sweeper: re-send the notification outbox, close expired payments (at the channel
first), and actively query open payments and refunds on a schedule that thins out with age;
planned every minute, done by as many workers as the queue needs.

How it scales out, on AWS's own engines:
- The planner (SweeperFunction, EventBridge Scheduler every minute, `run_planner`) pages
  through every due entry of the due index (paymux.store.due: payments, refunds and the outbox,
  each over DUE_SHARDS keys, plus the old unsharded keys), claims each one and sends it to the
  sweep queue with SendMessageBatch (services/sweep_plan).
- Sweep workers (SweepWorkerFunction, an SQS event source with batching, MaximumConcurrency
  and ReportBatchItemFailures; a DLQ behind the queue) read the claimed items with consistent
  BatchGetItem, check them in parallel with a bounded pool per channel account that respects
  each channel class's declared query rate and concurrency (services/query_pool), and give each
  item its next place on the index (services/sweep_worker, services/sweep_checks). Throughput
  grows with workers; the planner only reads keys and writes claims.

Two runs never overlap: the planner holds a lease item (LEASE#sweeper: a conditional PutItem
with an owner and an expiry beyond the planner's timeout, deleted by its owner at the end; a
crashed run's lease is taken over once expired), and the function's reserved concurrency is 1.

An item is never checked by two workers at once (in steady state): the planner's claim moves
the entry's GSI1SK CLAIM_SECONDS ahead, conditioned on it being where the index showed it, so
no later run sees it while its message waits; the message names the claim; a worker checks an
item only while it holds that claim with at least MAX_CHECK_SECONDS (the worker's timeout) to
spare, and after taking it (a conditional move of the entry one second on, so that of two
deliveries of one SQS message only one checks), and ends it with a conditional move to the
next check (`release`). A message
that outlived its claim is stale and dropped: the item was claimed again by a later run, whose
message does the work. The writers an item meets (transitions, refund bookkeeping, the outbox
hand-off) keep moving or removing its entry as before, which also ends the claim.

Schedules (services/sweep_schedule): tiers by the payment's age, and per-channel ladders
(`query_ladder`) whose steps are fired by delayed messages on the sweep queue (a step more than
SQS's 900 s away in hops: a message that arrives before its step is queued again)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from paymux.deps import Deps
from paymux.services.sweep_plan import PlanReport, plan
from paymux.services.sweep_schedule import LATE_INTERVAL, QUERY_TIERS, next_check_at
from paymux.store.lease import LeaseStore

__all__ = ["LATE_INTERVAL", "LEASE", "QUERY_TIERS", "PlanReport", "next_check_at", "run_planner"]

log = logging.getLogger("paymux")
LEASE = "sweeper"
# Longer than the planner's 120 s timeout: a run that holds it has certainly ended by then.
LEASE_SECONDS = 180.0


def run_planner(d: Deps, owner: str = "", time_left: Callable[[], float] | None = None) -> PlanReport:
    """One planner run, if no other holds the lease; `time_left()` gives the seconds left to
    this invocation (the Lambda context's), unbounded when not given."""
    owner = owner or uuid.uuid4().hex
    started = d.clock()
    leases = LeaseStore(d.dynamodb, d.settings.table)
    if not leases.acquire(LEASE, owner, started, LEASE_SECONDS):
        log.info("another sweeper run holds the lease; this one does nothing")
        return PlanReport(leased=False)
    begun = time.monotonic()
    try:
        return plan(d, started, time_left or (lambda: LEASE_SECONDS - (time.monotonic() - begun)))
    finally:
        leases.release(LEASE, owner)
