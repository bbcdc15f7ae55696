"""The due index (GSI1): what the sweeper must look at, and when.

Layout. An item that waits for the sweeper carries GSI1PK = `<prefix>#<shard>` and
GSI1SK = `<ISO time it is due>#<its id>`. Four kinds share the index, each spread over
DUE_SHARDS partition keys so that no key takes a whole system's writes:
`DUE#PAY#n` (payments to query or close), `DUE#REFUND#n` (refunds to follow up),
`DUE#OUTBOX#n` (notifications not handed to SQS in time) and `DUE#CHECKOUT#n` (open checkout
sessions, due at their expiry: paymux.checkout.expiry). Refunds and the outbox were once one
key each (`DUE#REFUND`, `DUE#OUTBOX`): such items are still read (LEGACY_KEYS) and move to
their shard on their next due-index write (the sweeper's claim writes the sharded key), so no
migration job is needed.

Reads. GSI1 projects KEYS_ONLY: the index gives keys (PK, SK, GSI1PK, GSI1SK), every page is
followed, and the items themselves are read with BatchGetItem and ConsistentRead (100 keys per
call, UnprocessedKeys retried)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from paymux.store.dynamo import batch_get_items

Kind = Literal["payment", "refund", "outbox", "checkout"]
DUE_SHARDS = 8
PREFIXES: dict[Kind, str] = {
    "payment": "DUE#PAY",
    "refund": "DUE#REFUND",
    "outbox": "DUE#OUTBOX",
    "checkout": "DUE#CHECKOUT",  # open checkout sessions, due at their expiry
}
LEGACY_KEYS: dict[Kind, tuple[str, ...]] = {
    "payment": (),
    "refund": ("DUE#REFUND",),
    "outbox": ("DUE#OUTBOX",),
    "checkout": (),
}


def shard_of(item_id: str) -> int:
    """Stable, cheap and the same for every writer (the payments' historical hash)."""
    return sum(item_id.encode()) % DUE_SHARDS


def due_pk(kind: Kind, item_id: str) -> str:
    return f"{PREFIXES[kind]}#{shard_of(item_id)}"


def due_keys(kind: Kind) -> tuple[str, ...]:
    """Every GSI1PK an item of `kind` may carry: its shards, then the legacy unsharded key."""
    return (*(f"{PREFIXES[kind]}#{n}" for n in range(DUE_SHARDS)), *LEGACY_KEYS[kind])


def due_sk(at: str, item_id: str) -> str:
    """`at` is an ISO time (paymux.clock.iso)."""
    return f"{at}#{item_id}"


def item_id_of(sk: str) -> str:
    return sk.split("#", 1)[1]


@dataclass(frozen=True, slots=True)
class DueKey:
    """One entry of the due index: the item's table key and its place in the index."""

    kind: Kind
    pk: str
    sk: str
    due_pk: str
    due_sk: str

    @property
    def item_id(self) -> str:
        return item_id_of(self.due_sk)

    @property
    def table_key(self) -> dict[str, Any]:
        return {"PK": {"S": self.pk}, "SK": {"S": self.sk}}


class DueIndex:
    def __init__(self, client: Any, table: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self._ddb = client
        self._table = table
        self._sleep = sleep

    def due(self, kind: Kind, before: str, page_size: int = 1000) -> Iterator[DueKey]:
        """Every entry of `kind` whose GSI1SK sorts before `before`, oldest first per key,
        following LastEvaluatedKey to the end of every key."""
        for pk in due_keys(kind):
            yield from self.due_on(kind, pk, before, page_size)

    def due_on(self, kind: Kind, pk: str, before: str, page_size: int = 1000) -> Iterator[DueKey]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk AND GSI1SK < :before",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":before": {"S": before}},
            "Limit": page_size,
        }
        while True:
            page = self._ddb.query(**kwargs)
            for item in page.get("Items", []):
                yield DueKey(kind, item["PK"]["S"], item["SK"]["S"], pk, item["GSI1SK"]["S"])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def claim(self, key: DueKey, claim_sk: str) -> bool:
        """Moves the entry to `claim_sk` (and to its shard) if it is still where the index
        showed it; False when a writer moved or removed it meanwhile."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=key.table_key,
                UpdateExpression="SET GSI1PK = :shard, GSI1SK = :claim",
                ConditionExpression="GSI1PK = :seen_pk AND GSI1SK = :seen_sk",
                ExpressionAttributeValues={
                    ":shard": {"S": due_pk(key.kind, key.item_id)},
                    ":claim": {"S": claim_sk},
                    ":seen_pk": {"S": key.due_pk},
                    ":seen_sk": {"S": key.due_sk},
                },
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, key: DueKey, claim_sk: str, next_sk: str) -> bool:
        """Ends a claim: the entry moves to `next_sk` if it still holds `claim_sk` (a writer
        that rescheduled, settled or removed it meanwhile owns its schedule: False)."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=key.table_key,
                UpdateExpression="SET GSI1SK = :next",
                ConditionExpression="GSI1SK = :claim",
                ExpressionAttributeValues={":next": {"S": next_sk}, ":claim": {"S": claim_sk}},
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get_items(self, keys: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        """The items of `keys` (table keys, attribute-value form) read with ConsistentRead, by
        (PK, SK); absent items are missing from the result."""
        unique = list({(k["PK"]["S"], k["SK"]["S"]): k for k in keys}.values())
        items = batch_get_items(self._ddb, self._table, unique, sleep=self._sleep)
        return {(i["PK"]["S"], i["SK"]["S"]): i for i in items}
