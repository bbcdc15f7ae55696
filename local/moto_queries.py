"""Query in the embedded moto without sorting the whole table first.

moto 5.2.5's `Table.query` starts from `Table.all_items()`, which lists and sorts every item of
the table, then keeps those of the queried partition and sorts them again. A query so costs
O(n log n) in the table's size, under the DynamoDB serialization (local.moto_serialize): at
30,000 items one query took ~0.5 s and every request queued behind it. moto's own `query` still
runs every step here; only the list it starts from changes, to one with the same items it keeps:

- a table query (no index) starts from the items under its hash key: moto keeps exactly those
  (`item.hash_key == hash_key`) and sorts them by range key;
- an index query starts from all items, unsorted and without those whose string hash key
  differs from the queried one: moto checks the hash key of each item it is given anyway, and
  sorts what it keeps by the index keys and then the table keys, which are unique per item, so
  the order it starts from cannot show. (Index queries still visit every item once, O(n), but
  with a string comparison instead of a sort and moto's typed comparison.)

Scans and everything else keep `all_items()` as it is.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

Conditions = list[tuple[str, DynamoType]]
# What the running query reads from `all_items()`: one partition, or the index's candidates.
_PARTITION = contextvars.ContextVar[DynamoType | None]("partition", default=None)
_INDEX_HASH = contextvars.ContextVar[Conditions | None]("index_hash", default=None)
_applied = False


def _partition_items(table: Table, hash_key: DynamoType) -> list[Item]:
    items: Any = table.items  # {hash: Item} or {hash: {range: Item}}
    if hash_key not in items:  # `in`, not [], so a query adds no empty partition to the dict
        return []
    found = items[hash_key]
    return list(found.values()) if table.range_key_attr else [found]  # moto sorts them next


def _index_candidates(table: Table, conditions: Conditions) -> list[Item]:
    """Every item, unsorted, less those a string index hash key rules out for certain (absent,
    another type, another string): moto then checks the rest itself, with `!=`, which reads
    every value as a number, set or map first; that check was most of an index query's time."""
    items: Any = table.items
    every = (
        (item for partition in items.values() for item in partition.values())
        if table.range_key_attr
        else items.values()
    )
    strings = [(name, expected.value) for name, expected in conditions if expected.type == "S"]
    return [item for item in every if all(_may_equal(item.attrs.get(n), v) for n, v in strings)]


def _may_equal(value: DynamoType | None, expected: str) -> bool:
    return value is not None and value.type == "S" and value.value == expected


def reading_partitions(all_items: Callable[[Table], list[Item]]) -> Callable[[Table], list[Item]]:
    @functools.wraps(all_items)
    def patched(self: Table) -> list[Item]:
        if (hash_key := _PARTITION.get()) is not None:
            return _partition_items(self, hash_key)
        if (conditions := _INDEX_HASH.get()) is not None:
            return _index_candidates(self, conditions)
        return all_items(self)

    return patched


def partition_query(query: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(query)  # moto's backend passes index_name by position

    @functools.wraps(query)
    def patched(*args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(*args, **kwargs).arguments
        hash_key, by_index = arguments.get("hash_key"), bool(arguments.get("index_name"))
        if not by_index and hash_key is None:
            return query(*args, **kwargs)
        var: contextvars.ContextVar[Any] = _INDEX_HASH if by_index else _PARTITION
        token = var.set(list(arguments.get("hash_key_conditions") or []) if by_index else hash_key)
        try:
            return query(*args, **kwargs)
        finally:
            var.reset(token)

    patched.__wrapped_moto__ = query  # type: ignore[attr-defined]
    return patched


def partition_queries() -> None:
    """Patch moto's Table.query in this process; once, idempotent."""
    global _applied  # noqa: PLW0603 - patch once per process
    if _applied:
        return
    Table.all_items = reading_partitions(Table.all_items)  # type: ignore[method-assign,assignment]
    Table.query = partition_query(Table.query)  # type: ignore[method-assign]
    _applied = True


def unpatched_query() -> Callable[..., Any]:
    """moto's own Table.query, for comparing against (tests)."""
    return getattr(Table.query, "__wrapped_moto__", Table.query)
