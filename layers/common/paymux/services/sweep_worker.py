"""A sweep worker's batch: read the claimed items, check them in parallel per channel account,
and account for every message (see paymux.services.sweeper for the whole design).

The items are read with BatchGetItem and ConsistentRead; an item is checked only if it still
holds the claim its message names (then it was due when claimed, and nobody has moved it
since) and the claim leaves a whole check's time (MAX_CHECK_SECONDS), so a claim never expires
under a running check; and only once this worker has taken the claim (a conditional move of
the entry, `_taken`), so that a message SQS delivers twice is checked once. A payment on the
tiers is taken straight to its next check, so a check that finds it unchanged (the common
case) writes nothing more: one conditional write per check instead of two. Anything else
is stale: the item was settled, rescheduled by a writer, taken by another delivery, or claimed
again by a later planner run whose message will do the work.

A ladder step's message names the step's time (`not_before`). SQS delays a message at most
900 s and a front ladder's steps are up to an hour apart, so such a message may arrive before
its step: it is not checked, and nothing of its item is read or written; it is queued again
for the time left (at most 900 s again), until the step is due. Its claim stays where it was
(the step's guard, sweep_schedule.LADDER_GUARD), so the planner still waits for it, and if it
cannot be queued again SQS delivers it again (`failed`). Of several copies of it (SQS delivers
at least once), the one that takes the claim when due checks; the others are stale then."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from paymux.channels.registry import PROVIDERS, channel_class
from paymux.clock import iso
from paymux.deps import Deps
from paymux.domain.states import OPEN_PAYMENT_STATES, PaymentStatus
from paymux.errors import PaymuxError
from paymux.observability import emit_metric
from paymux.services import sweep_checks
from paymux.services.query_pool import QueryLimits, QueryPool, Task
from paymux.services.sweep_plan import due_index, sweep_queue
from paymux.services.sweep_schedule import MAX_CHECK_SECONDS, next_check_at
from paymux.store.due import due_sk
from paymux.store.dynamo import from_item
from paymux.store.payments import payment_from_item, payment_key
from paymux.store.refunds import refund_from_item
from paymux.store.sweep_queue import SweepMessage

log = logging.getLogger("paymux")
TAKE_THREADS = 16  # conditional UpdateItems in flight while taking a batch's claims
# Re-sending a notification asks no channel: bounded only to keep SQS calls reasonable.
OUTBOX_LIMITS = QueryLimits(rate_per_second=500.0, concurrency=8)
COUNTERS = {
    "queried": "queried",
    "closed_watch": "queried",
    "expired_closed": "expired_closed",
    "refund_queried": "refunds_queried",
    "outbox_resent": "outbox_resent",
    "checkout_expired": "expired_closed",
}


@dataclass(slots=True)
class WorkReport:
    outbox_resent: int = 0
    expired_closed: int = 0
    queried: int = 0
    refunds_queried: int = 0
    errors: int = 0
    stale: int = 0
    not_yet_due: int = 0  # ladder steps that arrived early, queued again for the time left
    failed: list[str] = field(default_factory=list)  # message ids for SQS to deliver again


@dataclass(frozen=True, slots=True)
class Claimed:
    message_id: str
    message: SweepMessage  # once taken, naming the taken entry as its claim
    item: dict[str, Any]  # attribute-value form, as read
    claim: str  # the claim the message came with


def work(
    d: Deps, messages: Sequence[tuple[str, SweepMessage]], pool: QueryPool, workers: int = 1
) -> WorkReport:
    now = d.clock()
    report = WorkReport()
    messages = _due(d, messages, now, report)
    claimed = _still_claimed(d, messages, now, report)
    owners = _payments_of_refunds(d, claimed)
    tasks = [_task(d, c, owners, now, workers) for c in claimed]
    _warm(d, {t.account for t in tasks})
    for entry, result in zip(claimed, pool.run(tasks), strict=True):
        _account_for(d, entry, result, now, report)
    emit_metric("SweepChecked", len(claimed) - report.errors, "Count", result="checked")
    if report.errors:
        emit_metric("SweepChecked", report.errors, "Count", result="error")
    return report


def _due(
    d: Deps, messages: Sequence[tuple[str, SweepMessage]], now: float, report: WorkReport
) -> list[tuple[str, SweepMessage]]:
    """The messages whose step is due; every other one goes back to the queue for the time
    left (SQS caps each delay at 900 s), or, if SQS does not take it, to `failed`."""
    due = []
    for message_id, message in messages:
        if message.not_before <= now:
            due.append((message_id, message))
            continue
        try:
            sweep_queue(d).send_later(message, message.not_before - now)
        except Exception:  # not lost: SQS delivers this one again (and the guard still holds it)
            log.exception("ladder step of %s not queued again", message.key.item_id)
            report.failed.append(message_id)
        else:
            report.not_yet_due += 1
    return due


def _still_claimed(
    d: Deps, messages: Sequence[tuple[str, SweepMessage]], now: float, report: WorkReport
) -> list[Claimed]:
    index = due_index(d)
    items = index.get_items([m.key.table_key for _, m in messages])
    held = []
    for message_id, message in messages:
        item = items.get((message.pk, message.sk))
        holds = item is not None and item.get("GSI1SK", {}).get("S") == message.claim
        if item is None or not holds or now + MAX_CHECK_SECONDS > message.until:
            report.stale += 1
            continue
        held.append(Claimed(message_id, message, item, message.claim))
    # Taking a claim moves the entry one second on (a conditional write): of two deliveries of
    # one message (SQS delivers at least once), only one takes it; the other is stale.
    places = [_taken(c.message, c.item, now) for c in held]
    with ThreadPoolExecutor(max_workers=TAKE_THREADS, thread_name_prefix="take") as pool:
        taken = list(pool.map(lambda c, at: index.release(c.message.key, c.claim, at), held, places))
    report.stale += taken.count(False)
    return [
        Claimed(c.message_id, replace(c.message, claim=at), c.item, c.claim)
        for c, at, ok in zip(held, places, taken, strict=True)
        if ok
    ]


def _taken(message: SweepMessage, item: dict[str, Any], now: float) -> str:
    """Where taking the claim moves the entry: for a payment checked on the tiers, its next
    check, where the check leaves a payment that stays as it is (then the check writes nothing
    more: sweep_checks.release); otherwise the claim's end. Never within a check's time of now,
    so no planner run sees the entry while its check may still run."""
    if message.kind == "payment" and message.step is None:
        payment = payment_from_item(item)
        watched = payment.status == PaymentStatus.CLOSED and now < payment.watch_until
        if watched or (payment.status in OPEN_PAYMENT_STATES and now < payment.expires_at):
            at = next_check_at(payment, now)
            if at >= now + MAX_CHECK_SECONDS:
                return due_sk(iso(at), message.key.item_id)
    return due_sk(iso(message.until + 1), message.key.item_id)


def _payments_of_refunds(d: Deps, claimed: list[Claimed]) -> dict[str, dict[str, Any]]:
    """The payments of the claimed refunds (account and provider), by payment id."""
    keys = [payment_key(c.item["payment_id"]["S"]) for c in claimed if c.message.kind == "refund"]
    if not keys:
        return {}
    found = due_index(d).get_items(keys)
    return {pk.removeprefix("PAY#"): from_item(item) for (pk, _), item in found.items()}


def _limits(provider: str, workers: int) -> QueryLimits:
    cls = channel_class(provider) if provider in PROVIDERS else None
    return QueryLimits.of(cls, workers)


def _task(d: Deps, entry: Claimed, owners: dict[str, dict[str, Any]], now: float, workers: int) -> Task:
    message, item = entry.message, entry.item
    if message.kind == "payment":
        payment = payment_from_item(item)
        run: Callable[[], Any] = lambda: sweep_checks.check_payment(d, payment, message, now)  # noqa: E731
        return Task(payment.account_id, _limits(payment.provider, workers), run)
    if message.kind == "refund":
        refund = refund_from_item(item)
        owner = owners.get(refund.payment_id, {})
        account = refund.account_id or str(owner.get("account_id", ""))
        run = lambda: sweep_checks.check_refund(d, refund, message, now)  # noqa: E731
        return Task(account, _limits(str(owner.get("provider", "")), workers), run)
    if message.kind == "checkout":  # an open checkout session at its expiry
        from paymux.checkout.expiry import expire_due  # noqa: PLC0415 - only this kind needs it

        run = lambda: expire_due(d, item, message, now)  # noqa: E731
        return Task("checkout", OUTBOX_LIMITS, run)
    values = from_item(item)
    run = lambda: sweep_checks.resend_notification(  # noqa: E731
        d, values["payment_id"], values["notification_id"], int(values.get("attempts", 0))
    )
    return Task("outbox", OUTBOX_LIMITS, run)


def _warm(d: Deps, accounts: set[Any]) -> None:
    """Builds on this thread what the checks' threads then only read: the account's
    configuration and its channel client (Deps and its caches take no locks)."""
    for account_id in accounts - {"outbox", "checkout", ""}:
        try:
            account = d.channel_config.account(str(account_id))
            if account is not None:
                d.channel(account)
        except Exception as exc:  # each check of the account meets it again and answers for it
            log.warning("channel account %s not ready: %s", account_id, type(exc).__name__)


def _account_for(d: Deps, entry: Claimed, result: Any, now: float, report: WorkReport) -> None:
    item_id = entry.message.key.item_id
    if isinstance(result, PaymuxError):
        report.errors += 1
        log.warning("sweep of %s deferred: %s", item_id, result.message)
        sweep_checks.release(d, entry.message, item_id, now + sweep_checks.DEFER_SECONDS)
    elif isinstance(result, Exception):  # SQS delivers it again: the claim is given back for it
        report.errors += 1
        report.failed.append(entry.message_id)
        due_index(d).release(entry.message.key, entry.message.claim, entry.claim)
        log.error("sweep of %s failed", item_id, exc_info=result)
    elif result in COUNTERS:
        counter = COUNTERS[result]
        setattr(report, counter, getattr(report, counter) + 1)
