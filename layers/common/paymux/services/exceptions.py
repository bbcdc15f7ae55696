"""Operators' view of exceptions: verified channel messages that could not be applied."""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Iterable
from typing import Any

from paymux.clock import iso
from paymux.deps import Deps
from paymux.store.dynamo import from_item
from paymux.store.exceptions import exception_index_keys

MAX_PAGE = 100
# What the list reads from the index; GSI2 projects exactly these (template.yaml, INCLUDE).
LISTED_ATTRIBUTES = ("kind", "subject", "at", "detail")


def newest_first(shards: Iterable[list[dict[str, Any]]], limit: int) -> list[dict[str, Any]]:
    """The `limit` newest of several shards, each already newest first (GSI2SK descending): a
    merge by (GSI2SK, PK), so ties across shards come out in one fixed order."""
    merged = heapq.merge(*shards, key=lambda i: (i["GSI2SK"], i["PK"]), reverse=True)
    return list(itertools.islice(merged, limit))


def newest_items(d: Deps, limit: int) -> list[dict[str, Any]]:
    """The `limit` (1..MAX_PAGE) newest items on the index, as stored (keys included).
    Each shard's newest `limit` hold the newest `limit` of all, so one page per shard is enough."""
    size = max(1, min(limit, MAX_PAGE))
    shards = [
        [
            from_item(i)
            for i in d.dynamodb.query(
                TableName=d.settings.table,
                IndexName="GSI2",
                KeyConditionExpression="GSI2PK = :pk",
                ExpressionAttributeValues={":pk": {"S": key}},
                ScanIndexForward=False,
                Limit=size,
            ).get("Items", [])
        ]
        for key in exception_index_keys()
    ]
    return newest_first(shards, size)


def list_exceptions(d: Deps, limit: int = 50, kind: str = "") -> list[dict[str, Any]]:
    """Newest first; `kind` filters (unknown_order, trade_mismatch, paid_after_terminal …)."""
    items = newest_items(d, limit)
    return [
        {"kind": i["kind"], "subject": i["subject"], "at": iso(i["at"]), "detail": json.loads(i["detail"])}
        for i in items
        if not kind or i["kind"] == kind
    ]
