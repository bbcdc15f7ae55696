"""TransactWriteItems in the embedded moto, rolled back item by item instead of table by table.

moto 5.2.5's `DynamoDBBackend.transact_write_items` deep-copies every table a transaction names
before it starts, and puts the copies back when it fails. Each transaction so costs time and
memory in proportion to the tables' size: under `make dev` load the process grew to 8 GB and
creates slowed to ~1.5 % of a bare put_item. Here moto's own function still runs every step
(validation, conditions, the order and content of CancellationReasons, which errors cancel and
which re-raise), so its results stay moto's; only the snapshot changes:

- before the call, each item an operation names (table + key) is deep-copied, or noted absent;
- inside the call, moto's table deep copy hands back the live table, so its own restore is a
  no-op assignment;
- when the call raises anything, the noted items are put back and the absent ones removed
  (with the stream records the transaction added). Global secondary indexes are computed from
  the table's items, so they follow.

Two cases restore more than moto does, where moto leaves a partly applied transaction behind: an
entry naming two operations (moto raises after applying the entries before it) and a table named
by its ARN (moto snapshots tables by name only).

Callers still need `local.moto_serialize`: the snapshot and the restore hold only while no other
request writes those items in between.
"""

from __future__ import annotations

import contextvars
import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.dynamodb import models
from moto.dynamodb.exceptions import ResourceNotFoundException
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamShard, Table

# Set while the patched transaction runs in this context: moto's table copy is skipped then.
_SHARE_TABLES = contextvars.ContextVar("share_tables", default=False)
_applied = False


class _TableSharingCopy:
    """Stands in for the `copy` module inside `moto.dynamodb.models`; `copy.deepcopy(table)`
    there is only the transaction snapshot this module replaces, and item copies (update_item's
    old image) still copy."""

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if _SHARE_TABLES.get() and isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


@dataclass
class _SavedItem:
    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    item: Item | None  # a deep copy, or None when there was none
    had_hash: bool  # a range table's items[hash_key] existed (moto's get_item adds empty ones)

    def restore(self) -> None:
        items: Any = self.table.items
        if self.range_key is None:
            if self.item is None:
                items.pop(self.hash_key, None)
            else:
                items[self.hash_key] = self.item
            return
        collection = items.setdefault(self.hash_key, {})
        if self.item is None:
            collection.pop(self.range_key, None)
        else:
            collection[self.range_key] = self.item
        if not collection and not self.had_hash:
            items.pop(self.hash_key, None)


@dataclass
class TransactionSnapshot:
    """What a transaction may change: its items' prior state and each stream's length."""

    items: list[_SavedItem]
    streams: list[tuple[StreamShard, int]]  # records before

    @classmethod
    def take(cls, backend: Any, transact_items: list[dict[str, Any]]) -> TransactionSnapshot:
        saved: dict[tuple[int, DynamoType, DynamoType | None], _SavedItem] = {}
        streams: dict[int, tuple[StreamShard, int]] = {}
        for entry in transact_items:
            for op_type, op in entry.items() if isinstance(entry, dict) else ():
                target = _target(backend, op_type, op)
                if target is None:
                    continue
                table, hash_key, range_key = target
                slot = (id(table), hash_key, range_key)
                if slot not in saved:
                    saved[slot] = _save(table, hash_key, range_key)
                if table.stream_shard is not None:
                    streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
        return cls(list(saved.values()), list(streams.values()))

    def restore(self) -> None:
        for saved in self.items:
            saved.restore()
        for shard, length in self.streams:
            del shard.items[length:]


def _target(backend: Any, op_type: str, op: Any) -> tuple[Table, DynamoType, DynamoType | None] | None:
    """The table and key an operation names, as moto's writes will read them; None when moto
    cannot get as far as writing it (no such table, no full key: moto fails that operation)."""
    if not isinstance(op, dict) or not isinstance(op.get("TableName"), str):
        return None
    try:
        table = backend.get_table(op["TableName"])
    except ResourceNotFoundException:
        return None
    key = op.get("Item") if op_type == "Put" else op.get("Key")
    hash_name, range_name = table.hash_key_attr, table.range_key_attr
    if not isinstance(key, dict) or hash_name not in key or (range_name and range_name not in key):
        return None
    try:
        hash_key = DynamoType(key[hash_name])
        range_key = DynamoType(key[range_name]) if range_name else None
    except (AttributeError, IndexError, KeyError, TypeError):
        return None  # not an attribute value: moto's own read of the key fails too
    return table, hash_key, range_key


def _save(table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> _SavedItem:
    items: Any = table.items  # {hash: Item} or {hash: {range: Item}}
    had_hash = hash_key in items
    if range_key is None:
        current = items.get(hash_key)
    else:
        current = items[hash_key].get(range_key) if had_hash else None
    return _SavedItem(table, hash_key, range_key, copy.deepcopy(current), had_hash)


def item_level_transaction(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap moto's `transact_write_items` with the item-level snapshot and restore."""

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        snapshot = TransactionSnapshot.take(self, transact_items)
        token = _SHARE_TABLES.set(True)
        try:
            return original(self, transact_items)
        except BaseException:
            snapshot.restore()
            raise
        finally:
            _SHARE_TABLES.reset(token)

    transact_write_items.__wrapped_moto__ = original  # type: ignore[attr-defined]
    return transact_write_items


def item_level_transactions() -> None:
    """Patch moto's TransactWriteItems in this process; once, idempotent."""
    global _applied  # noqa: PLW0603 - patch once per process
    if _applied:
        return
    models.copy = _TableSharingCopy()  # type: ignore[attr-defined,assignment]
    backend = models.DynamoDBBackend
    backend.transact_write_items = item_level_transaction(backend.transact_write_items)  # type: ignore[method-assign]
    _applied = True


def unpatched_transact_write_items() -> Callable[..., Any]:
    """moto's own function, for comparing against (tests)."""
    function = models.DynamoDBBackend.transact_write_items
    return getattr(function, "__wrapped_moto__", function)
