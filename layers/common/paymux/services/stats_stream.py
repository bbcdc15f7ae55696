"""The table's DynamoDB stream, folded into the stats buckets exactly once (StatsStreamFunction).

Each record's old and new images go through `stats_fold.fold`; its deltas are applied with the
record's marker in one transaction (store.buckets), a few records a transaction. A group that
fails (a throttle, a conflict that outlasted its retries) is reported as the batch's first
failure, by its first record's sequence number: Lambda checkpoints before it and delivers it
and everything after it again, and the markers of the records already applied make that
delivery add nothing for them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from paymux.errors import PaymuxError
from paymux.services.stats_fold import fold
from paymux.store.buckets import BucketStore, RecordDeltas
from paymux.store.dynamo import from_item
from paymux.store.payment_keys import payment_key

log = logging.getLogger(__name__)
RECORDS_PER_WRITE = 10


def record_deltas(record: dict[str, Any], payment_of: Callable[[str], dict[str, Any] | None]) -> RecordDeltas:
    change = record.get("dynamodb") or {}
    old = from_item(change["OldImage"]) if "OldImage" in change else None
    new = from_item(change["NewImage"]) if "NewImage" in change else None
    event_id = str(record.get("eventID") or change.get("SequenceNumber") or "")
    return RecordDeltas(event_id, tuple(fold(old, new, payment_of)))


class PaymentReader:
    """A refund's payment (method, provider), read once per batch."""

    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table
        self._seen: dict[str, dict[str, Any] | None] = {}

    def __call__(self, payment_id: str) -> dict[str, Any] | None:
        if payment_id not in self._seen:
            item = self._ddb.get_item(TableName=self._table, Key=payment_key(payment_id)).get("Item")
            self._seen[payment_id] = from_item(item) if item else None
        return self._seen[payment_id]


def _sequence(record: dict[str, Any]) -> str:
    return str((record.get("dynamodb") or {}).get("SequenceNumber") or record.get("eventID") or "")


def consume(
    client: Any, table: str, records: list[dict[str, Any]], now: float, shards: int = 1
) -> dict[str, Any]:
    """Applies a stream batch into the buckets' `shards`; answers Lambda's partial batch response."""
    store = BucketStore(client, table, shards)
    payment_of = PaymentReader(client, table)
    for start in range(0, len(records), RECORDS_PER_WRITE):
        chunk = records[start : start + RECORDS_PER_WRITE]
        try:
            deltas = [record_deltas(r, payment_of) for r in chunk]
            store.apply([d for d in deltas if d.deltas], now)
        except (PaymuxError, client.exceptions.ClientError) as exc:
            log.warning(
                "stats: %d records from %s not applied: %s", len(records) - start, _sequence(chunk[0]), exc
            )
            return {"batchItemFailures": [{"itemIdentifier": _sequence(chunk[0])}]}
    return {"batchItemFailures": []}
