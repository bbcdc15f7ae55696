"""The stats buckets: exact counters of payments and refunds per merchant × method × provider ×
currency and period (docs/analytics.md), kept at three granularities so that a query reads the
items of its own granularity only:

| granularity | PK | SK |
|---|---|---|
| 15m | `STATS#<merchant_id>#15m#<YYYY-MM-DD>` | `<YYYY-MM-DDTHH:MM>#<method>#<provider>#<currency>` |
| 1h  | `STATS#<merchant_id>#1h#<YYYY-MM-DD>`  | same, minutes `00` |
| 1d  | `STATS#<merchant_id>#1d#<YYYY-MM>`     | same, `T00:00` |

Each PK is sharded: a record's deltas go to shard `crc32(eventID) % shards` (the StatsShards
template parameter, PAYMUX_STATS_SHARDS), whose PK is the one above with `#<shard>` appended,
except shard 0, which is the PK above itself: buckets written before the shards are shard 0's,
read by every reader with the others. One hot merchant's bucket partition takes about 1,000
writes a second (a transaction's write counts twice), so `shards` multiplies that; a reader
sums the shards (`partitions` names them all), one Query per shard. The number may be raised
at any time and must never be lowered: the shards from the new number up would stop being read,
and a backfill (which clears only the shards below the number and writes its recount into
shard 0) leaves them, so raising the number again later would count them twice.

Periods and days are Asia/Shanghai's (the merchants' day; no daylight saving, so hours and
quarters are also UTC's). A daily bucket also carries `GSI2PK=STATSDAY#<YYYY-MM-DD>`,
`GSI2SK=<merchant_id>#<method>#<provider>#<currency>`: the day's merchants, for an operator's
query over all of them.

A stream record's deltas are added in ONE TransactWriteItems with its marker item
`STATSREC#<event id>` (`attribute_not_exists`, `ttl` 2 days: a stream keeps records 24 h), so a
record delivered again finds its marker and adds nothing. Several records go in one transaction
when their items fit (`MAX_TRANSACTION_ITEMS`); a group whose transaction meets markers is sent
again without those records (the transaction's cancellation reasons name them)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from paymux.clock import CHINA
from paymux.errors import Busy
from paymux.store.dynamo import (
    BATCH_GET_RETRIES,
    CONFLICT_BACKOFF,
    cancellation_codes,
    from_item,
    to_attr,
    transact,
)
from paymux.store.payment_keys import shard_of

COUNTERS = (
    "created",
    "succeeded",
    "failed",
    "closed",
    "amount_succeeded",
    "rescued",
    "amount_rescued",
    "refunds",
    "amount_refunded",
    "checkout_completed",
)


@dataclass(frozen=True, slots=True)
class BucketKey:
    merchant_id: str
    method: str
    provider: str
    currency: str


@dataclass(slots=True)
class Delta:
    """Counters to add to the buckets of `key` that hold the instant `at` (epoch seconds)."""

    key: BucketKey
    at: float
    counters: dict[str, int] = field(default_factory=dict)


GRANULARITIES = {"15m": 900, "1h": 3600, "1d": 86400}
MARKER_TTL = 2 * 86400
MAX_TRANSACTION_ITEMS = 100


def period_start(at: float, granularity: str) -> datetime:
    """The Asia/Shanghai start of the period of `granularity` that holds `at`."""
    moment = datetime.fromtimestamp(at, CHINA)
    if granularity == "1d":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    step = GRANULARITIES[granularity] // 60
    return moment.replace(minute=moment.minute - moment.minute % step, second=0, microsecond=0)


def partition(merchant_id: str, granularity: str, start: datetime, shard: int = 0) -> str:
    day = start.strftime("%Y-%m") if granularity == "1d" else start.date().isoformat()
    base = f"STATS#{merchant_id}#{granularity}#{day}"
    return f"{base}#{shard}" if shard else base  # shard 0: the key of the unsharded buckets


def partitions(merchant_id: str, granularity: str, first: date, last: date, shards: int = 1) -> list[str]:
    """The bucket partitions (every shard of each) that hold the periods of days first..last
    (inclusive)."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    starts = [datetime(d.year, d.month, d.day, tzinfo=CHINA) for d in days]
    return list(
        dict.fromkeys(partition(merchant_id, granularity, s, n) for s in starts for n in range(shards))
    )


def sort_key(start: datetime, key: BucketKey) -> str:
    return f"{start.strftime('%Y-%m-%dT%H:%M')}#{key.method}#{key.provider}#{key.currency}"


@dataclass(frozen=True, slots=True)
class BucketId:
    granularity: str
    start: datetime
    key: BucketKey
    shard: int = 0

    @property
    def table_key(self) -> dict[str, Any]:
        return {
            "PK": {"S": partition(self.key.merchant_id, self.granularity, self.start, self.shard)},
            "SK": {"S": sort_key(self.start, self.key)},
        }

    def identity(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "merchant_id": self.key.merchant_id,
            "method": self.key.method,
            "provider": self.key.provider,
            "currency": self.key.currency,
            "granularity": self.granularity,
            "period": self.start.isoformat(),
        }
        if self.granularity == "1d":
            values["GSI2PK"] = f"STATSDAY#{self.start.date().isoformat()}"
            values["GSI2SK"] = (
                f"{self.key.merchant_id}#{self.key.method}#{self.key.provider}#{self.key.currency}"
            )
        return values


def merge(
    deltas: Iterable[Delta], shard: int = 0, into: dict[BucketId, dict[str, int]] | None = None
) -> dict[BucketId, dict[str, int]]:
    """The deltas summed per bucket of `shard`, at every granularity (added to `into`)."""
    buckets: dict[BucketId, dict[str, int]] = {} if into is None else into
    for delta in deltas:
        for granularity in GRANULARITIES:
            bucket = buckets.setdefault(
                BucketId(granularity, period_start(delta.at, granularity), delta.key, shard), {}
            )
            for name, value in delta.counters.items():
                bucket[name] = bucket.get(name, 0) + value
    return buckets


@dataclass(frozen=True, slots=True)
class RecordDeltas:
    """One stream record's id (its marker) and what it adds."""

    event_id: str
    deltas: tuple[Delta, ...]


class BucketStore:
    def __init__(self, client: Any, table: str, shards: int = 1) -> None:
        self._ddb = client
        self._table = table
        self.shards = shards

    def _update(self, bucket: BucketId, counters: dict[str, int]) -> dict[str, Any]:
        identity = bucket.identity()
        names = {f"#i{n}": k for n, k in enumerate(identity)} | {f"#c{n}": k for n, k in enumerate(counters)}
        values = {f":i{n}": to_attr(v) for n, v in enumerate(identity.values())}
        values |= {f":c{n}": to_attr(v) for n, v in enumerate(counters.values())}
        sets = ", ".join(f"#i{n} = :i{n}" for n in range(len(identity)))
        adds = ", ".join(f"#c{n} :c{n}" for n in range(len(counters)))
        return {
            "Update": {
                "TableName": self._table,
                "Key": bucket.table_key,
                "UpdateExpression": f"SET {sets} ADD {adds}",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    def _marker(self, event_id: str, now: float) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": {
                    "PK": {"S": f"STATSREC#{event_id}"},
                    "SK": {"S": "STATSREC"},
                    "ttl": {"N": str(int(now) + MARKER_TTL)},
                },
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _items(self, records: list[RecordDeltas], now: float) -> list[dict[str, Any]]:
        merged: dict[BucketId, dict[str, int]] = {}
        for record in records:  # a record's deltas all go to its own shard
            merge(record.deltas, shard_of(record.event_id, self.shards), merged)
        updates = [self._update(b, c) for b, c in merged.items() if any(c.values())]
        return [self._marker(r.event_id, now) for r in records] + updates

    def apply(self, records: list[RecordDeltas], now: float) -> int:
        """Adds each record's deltas exactly once; returns how many records were new. A record
        named twice in `records` is one record (one marker: a transaction may not name an
        item twice)."""
        applied = 0
        unique = list({r.event_id: r for r in records}.values())
        for group in self._groups(unique):
            pending = group
            while pending:
                seen = self._write(pending, now)
                if not seen:
                    applied += len(pending)
                    break
                pending = [r for n, r in enumerate(pending) if n not in seen]
        return applied

    def _groups(self, records: list[RecordDeltas]) -> Iterator[list[RecordDeltas]]:
        group: list[RecordDeltas] = []
        for record in records:
            if group and len(self._items([*group, record], 0)) > MAX_TRANSACTION_ITEMS:
                yield group
                group = []
            group.append(record)
        if group:
            yield group

    def _write(self, records: list[RecordDeltas], now: float) -> set[int]:
        """One transaction of the records' markers and counters. Returns the positions of the
        records whose marker was already there (applied before): then nothing was written, and
        the caller sends the others again without them."""
        items = self._items(records, now)
        operation = "stats.apply#" + ",".join(r.event_id for r in records)
        try:
            transact(self._ddb, self._table, operation, items)
        except self._ddb.exceptions.TransactionCanceledException as exc:
            codes = cancellation_codes(exc)
            seen = {n for n, code in enumerate(codes[: len(records)]) if code == "ConditionalCheckFailed"}
            if not seen:
                raise
            return seen
        return set()

    def query(self, pk: str, first_sk: str, last_sk: str) -> list[dict[str, Any]]:
        """The buckets of one partition whose sort key is within [first_sk, last_sk]."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :a AND :b",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":a": {"S": first_sk}, ":b": {"S": last_sk}},
        }
        items: list[dict[str, Any]] = []
        while True:
            page = self._ddb.query(**kwargs)
            items.extend(from_item(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def keys_between(self, pk: str, first_sk: str, last_sk: str) -> list[dict[str, Any]]:
        return [{"PK": {"S": i["PK"]}, "SK": {"S": i["SK"]}} for i in self.query(pk, first_sk, last_sk)]

    def write_batch(self, puts: list[dict[str, Any]], deletes: list[dict[str, Any]]) -> None:
        """Deletes then puts whole items (the backfill's replacement), 25 a request, re-sending
        what DynamoDB leaves unprocessed."""
        for requests in (
            [{"DeleteRequest": {"Key": k}} for k in deletes],
            [{"PutRequest": {"Item": i}} for i in puts],
        ):
            for start in range(0, len(requests), 25):
                pending: dict[str, Any] = {self._table: requests[start : start + 25]}
                for retry in range(BATCH_GET_RETRIES + 1):
                    pending = self._ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                    if not pending:
                        break
                    if retry == BATCH_GET_RETRIES:
                        raise Busy(f"BatchWriteItem on {self._table}: items still unprocessed")
                    time.sleep(random.uniform(0, CONFLICT_BACKOFF * 2**retry))  # noqa: S311  # nosec B311

    def merchants_on(self, day: date) -> set[str]:
        """The merchants with a daily bucket on `day` (GSI2, eventually consistent)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "GSI2",
            "KeyConditionExpression": "GSI2PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"STATSDAY#{day.isoformat()}"}},
        }
        found: set[str] = set()
        while True:
            page = self._ddb.query(**kwargs)
            found.update(str(i["GSI2SK"]["S"]).split("#", 1)[0] for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def bucket_item(bucket: BucketId, counters: dict[str, int]) -> dict[str, Any]:
    """A bucket's whole item, as the backfill writes it."""
    values = {**bucket.identity(), **{k: v for k, v in counters.items() if v}}
    return {**bucket.table_key, **{k: to_attr(v) for k, v in values.items()}}


def bucket_counters(item: dict[str, Any]) -> dict[str, int]:
    return {name: int(item.get(name) or 0) for name in COUNTERS}
