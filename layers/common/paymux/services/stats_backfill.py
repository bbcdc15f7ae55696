"""`python -m ops stats backfill --from DAY --to DAY`: rebuilds the stats buckets of whole
Asia/Shanghai days from the stored payments and refunds, through the stream's own fold
(services.stats_fold, every item folded as if just written), and replaces the range's buckets
(all granularities) with the result: every shard's buckets of the range are deleted and the recount is written
into shard 0 (store.buckets). Idempotent: a second run writes the same items.

Read through the indexes, never a scan:
- payments created on the range's days or up to `MAX_PAID_DAYS_AFTER` days before (an outcome
  comes at most that long after creation: store.day_payments), from store.day_payments;
- succeeded refunds listed (GSI3 `REFUNDED#…`, by the day they were asked for) on the range's
  days or up to `REFUND_LOOKBACK_DAYS` before, kept when their success falls in the range;
- the hosted checkout session of each of those payments paid for one (its
  `metadata.checkout_session`), one read by key each, counted when that payment completed it.
Deltas outside the range are dropped. Run it on days the stream has finished with (a record
applied between this read and this write would be overwritten); running it again fixes that."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from paymux.clock import CHINA
from paymux.deps import Deps
from paymux.errors import ValidationFailed
from paymux.services.stats_fold import fold_checkout_session, fold_payment, fold_refund
from paymux.services.stats_stream import PaymentReader
from paymux.store.buckets import GRANULARITIES, BucketStore, Delta, bucket_item, merge, partitions
from paymux.store.day_payments import MAX_PAID_DAYS_AFTER, DayPayments
from paymux.store.dynamo import from_item
from paymux.store.refund_days import RefundDays

REFUND_LOOKBACK_DAYS = 30
MAX_BACKFILL_DAYS = 92


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _payment_deltas(d: Deps, accounts: list[str], first: date, last: date) -> Iterator[Delta]:
    source = DayPayments(d.dynamodb, d.settings.table)
    latest = datetime.fromtimestamp(d.clock(), CHINA).date() + timedelta(days=1)
    for day in _days(first - timedelta(days=MAX_PAID_DAYS_AFTER), last):
        for payment in source.created_on(day, accounts, latest=latest):
            yield from fold_payment(None, payment)
            yield from _checkout_deltas(d, payment)


def _checkout_deltas(d: Deps, payment: dict[str, Any]) -> list[Delta]:
    """The completed checkout session this payment paid, folded as if just written."""
    metadata = payment.get("metadata")
    session_id = metadata.get("checkout_session") if isinstance(metadata, dict) else None
    if not session_id or payment.get("status") not in ("SUCCESS", "REFUNDED"):
        return []
    key = {"PK": {"S": f"CHECKOUT#{session_id}"}, "SK": {"S": "CHECKOUT"}}
    item = d.dynamodb.get_item(TableName=d.settings.table, Key=key, ConsistentRead=True).get("Item")
    session = from_item(item) if item else None
    if session is None or session.get("payment_id") != payment.get("payment_id"):
        return []
    return fold_checkout_session(None, session, lambda _: payment)


def _refund_deltas(d: Deps, accounts: list[str], first: date, last: date) -> Iterator[Delta]:
    days = RefundDays(d.dynamodb, d.settings.table)
    payment_of = PaymentReader(d.dynamodb, d.settings.table)
    for day in _days(first - timedelta(days=REFUND_LOOKBACK_DAYS), last):
        ids = sorted({e.refund_id for a in accounts for e in days.succeeded_on(a, day)})
        for refund in d.refunds.get_many(ids).values():
            values: dict[str, Any] = {**refund.to_dict(), "status": refund.status.value}
            yield from fold_refund(None, values, payment_of)


def rebuild(d: Deps, first: date, last: date, merchant_id: str | None = None) -> dict[str, Any]:
    """Recounts days first..last (inclusive) and replaces their buckets; returns what it wrote."""
    if last < first or (last - first).days >= MAX_BACKFILL_DAYS:
        raise ValidationFailed(f"a backfill spans 1 to {MAX_BACKFILL_DAYS} days, from <= to")
    accounts = [a.account_id for a in d.channel_config.accounts()]  # disabled ones too
    start = datetime.combine(first, datetime.min.time(), CHINA).timestamp()
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), CHINA).timestamp()

    def wanted(delta: Delta) -> bool:
        return start <= delta.at < end and merchant_id in (None, delta.key.merchant_id)

    deltas = [
        x
        for x in (*_payment_deltas(d, accounts, first, last), *_refund_deltas(d, accounts, first, last))
        if wanted(x)
    ]
    buckets = merge(deltas)
    store = BucketStore(d.dynamodb, d.settings.table, d.settings.stats_shards)
    merchants = {merchant_id} if merchant_id else {b.key.merchant_id for b in buckets}
    if not merchant_id:
        merchants |= set().union(*(store.merchants_on(day) for day in _days(first, last)))
    first_sk, last_sk = first.isoformat(), (last + timedelta(days=1)).isoformat()
    stale = [
        key
        for m in sorted(merchants)
        for g in GRANULARITIES
        for pk in partitions(m, g, first, last, store.shards)
        for key in store.keys_between(pk, first_sk, last_sk)
    ]
    store.write_batch([bucket_item(b, c) for b, c in buckets.items()], stale)
    return {"from": first.isoformat(), "to": last.isoformat(), "deltas": len(deltas), "buckets": len(buckets)}
