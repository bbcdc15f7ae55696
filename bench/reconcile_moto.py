"""Index queries in the reconciliation bench's moto server at a million items.

moto 5.2.5 answers every page of an index query by visiting the whole table, sorting what it
kept and deep-copying the page (local/moto_queries.py removes the first cost, not the others):
at 1,000,000 payments the 17 paid-day keys of one day would take moto minutes, which would
measure moto, not paymux. Here an index query with a plain hash-key condition (what
reconciliation asks) is answered from the index's items grouped by hash key and sorted once by
(index range key, table keys), the order moto gives; a page starts after its exclusive start
key (bisect) and ends at 1 MB of index entries, the size DynamoDB pages at (moto counts the
whole item). Each entry's size is computed once, when its group is built (a running total, so a
page's end is a bisection too): sizing every entry of every page again was ~4 µs an entry, most
of the server's time at a million. The groups are rebuilt after any write. Everything else is
moto's own query (tests/bench/test_bench_reconcile_moto.py compares the two).

moto's response serializer also walks the output shape member by member (~1.5 ms an item of
25 attributes): reads of items (Query, GetItem, BatchGetItem, Scan), whose result moto already
holds in the wire format, are written with json.dumps instead; and a page of index entries is
built in that wire form directly ({"S": "…"} per attribute), which DynamoResult then keeps
instead of walking it with dynamo_to_dict again."""

from __future__ import annotations

import bisect
import functools
import inspect
import json
from collections.abc import Callable
from typing import Any

from moto.dynamodb.comparisons import OpDefault
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, Table
from moto.dynamodb.responses import DynamoResult


class _Group:
    """One index hash key's items, sorted by (index range key, PK, SK), with the running total
    of their index entries' sizes (`ends[i]`: the size of entries 0..i-1), so that a page's end
    is found by bisection instead of sizing every entry of every page again."""

    __slots__ = ("ends", "items", "keys")

    def __init__(self, entries: list[tuple[tuple[str, str, str], Item]], held: frozenset[str] | None) -> None:
        self.keys = [k for k, _ in entries]
        self.items = [i for _, i in entries]
        self.ends = [0]
        for item in self.items:
            self.ends.append(self.ends[-1] + _entry_size(item.attrs, held))


Groups = dict[str, _Group]
_groups: dict[tuple[str, str], Groups] = {}
_applied = False


def _index_keys(table: Table, index_name: str) -> tuple[str, str]:
    schema = table.get_index(index_name).schema
    hash_attr = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
    range_attr = next(k["AttributeName"] for k in schema if k["KeyType"] == "RANGE")
    return hash_attr, range_attr


def _entry_size(attrs: dict[str, DynamoType], held: frozenset[str] | None) -> int:
    return sum(len(name) + value.size() for name, value in attrs.items() if held is None or name in held)


def _group(table: Table, index_name: str) -> Groups:
    """The index's items by string hash key, each group sorted by (range key, PK, SK)."""
    hash_attr, range_attr = _index_keys(table, index_name)
    found: dict[str, list[tuple[tuple[str, str, str], Item]]] = {}
    for partition in table.items.values():
        for item in partition.values() if table.range_key_attr else [partition]:
            h, r = item.attrs.get(hash_attr), item.attrs.get(range_attr)
            if h is None or r is None or h.type != "S" or r.type != "S":
                continue
            key = (
                str(r.value),
                str(item.hash_key.value),
                str(item.range_key.value if item.range_key else ""),
            )
            found.setdefault(str(h.value), []).append((key, item))
    held = _projected(table, index_name)
    groups: Groups = {}
    for value, entries in found.items():
        entries.sort(key=lambda e: e[0])
        groups[value] = _Group(entries, held)
    return groups


def _start(
    keys: list[tuple[str, str, str]], start: dict[str, Any] | None, range_attr: str, table: Table
) -> int:
    if not start:
        return 0
    sk = start.get(table.range_key_attr or "", {}).get("S", "")
    after = (str(start[range_attr]["S"]), str(start[table.hash_key_attr]["S"]), str(sk))
    return bisect.bisect_right(keys, after)


class _Entry:
    """An index entry as moto's responses read it (`attrs`)."""

    __slots__ = ("attrs",)

    def __init__(self, attrs: dict[str, Any]) -> None:
        self.attrs = attrs


class _Wire(dict[str, Any]):
    """An entry's attributes already in the wire form ({"S": "…"}): moto's dynamo_to_dict
    would only copy them (~1.5 µs an entry), so DynamoResult passes a page of these as is."""


_FLAT = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})  # types whose value is its wire form


def _entry(attrs: dict[str, DynamoType], wanted: frozenset[str] | None) -> _Entry:
    kept = attrs if wanted is None else {k: attrs[k] for k in wanted if k in attrs}
    if all(v.type in _FLAT for v in kept.values()):
        return _Entry(_Wire({k: {v.type: v.value} for k, v in kept.items()}))
    return _Entry(dict(kept))  # binary, maps, lists: moto's own conversion


def _projected(table: Table, index_name: str) -> frozenset[str] | None:
    """The attributes the index holds (None: all of them)."""
    index = table.get_index(index_name)
    kind = index.projection.get("ProjectionType", "ALL")
    if kind == "ALL":
        return None
    keys = {k["AttributeName"] for k in index.schema} | {table.hash_key_attr, table.range_key_attr or ""}
    return frozenset(keys | set(index.projection.get("NonKeyAttributes", []) if kind == "INCLUDE" else ()))


def _plain(arguments: dict[str, Any]) -> bool:
    """An index query on one string hash key, forward, without range or filter conditions."""
    conditions = arguments.get("hash_key_conditions") or []
    return bool(
        arguments.get("index_name")
        and len(conditions) == 1
        and conditions[0][1].type == "S"
        and not arguments.get("range_comparison")
        and not arguments.get("range_key_conditions")
        and isinstance(arguments.get("filter_expression") or OpDefault(None, None), OpDefault)
        and not arguments.get("filter_kwargs")
        and arguments.get("scan_index_forward", True) is not False
        and all(len(path) == 1 for path in arguments.get("projection_expressions") or [])
    )


def _page_end(group: _Group, position: int, limit: int | None) -> int:
    """Where the page from `position` ends: at `limit` entries, or before the entry that would
    take it past RESULT_SIZE_LIMIT (as moto's loop, on index entry sizes)."""
    end = bisect.bisect_right(group.ends, group.ends[position] + RESULT_SIZE_LIMIT) - 1
    if limit is not None:
        end = min(end, position + int(limit))
    return min(end, len(group.items))


def grouped_query(query: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(query)

    @functools.wraps(query)
    def patched(*args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(*args, **kwargs).arguments
        if not _plain(arguments):
            return query(*args, **kwargs)
        table: Table = arguments["self"]
        index_name = str(arguments["index_name"])
        groups = _groups.get((table.name, index_name))
        if groups is None:
            groups = _groups[(table.name, index_name)] = _group(table, index_name)
        _, range_attr = _index_keys(table, index_name)
        group = groups.get(str(arguments["hash_key_conditions"][0][1].value)) or _Group([], None)
        held = _projected(table, index_name)
        asked = arguments.get("projection_expressions")
        wanted = frozenset(path[0] for path in asked) if asked else held
        position = _start(group.keys, arguments.get("exclusive_start_key"), range_attr, table)
        end = _page_end(group, position, arguments.get("limit"))
        results = [_entry(item.attrs, wanted) for item in group.items[position:end]]
        last = (
            table._get_last_evaluated_key(group.items[end - 1], index_name)
            if end < len(group.items)
            else None
        )
        return results, len(results), last

    patched.__wrapped_moto__ = query  # type: ignore[attr-defined]
    return patched


def _forgetting(write: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(write)
    def patched(*args: Any, **kwargs: Any) -> Any:
        _groups.clear()
        return write(*args, **kwargs)

    return patched


def _put_forgetting(put: Callable[..., Any]) -> Callable[..., Any]:
    """put_item forgets the groups only if the item it writes, or the one it replaces, has the
    hash key of a grouped index (a put of a config item before the run keeps the groups warm)."""

    @functools.wraps(put)
    def patched(
        self: DynamoDBBackend, table_name: str, item_attrs: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        table = self.get_table(table_name)
        hashes = {_index_keys(table, index)[0] for name, index in _groups if name == table_name}
        if any(a in item_attrs for a in hashes) or any(a in _replaced(table, item_attrs) for a in hashes):
            _groups.clear()
        return put(self, table_name, item_attrs, *args, **kwargs)

    return patched


def _replaced(table: Table, item_attrs: dict[str, Any]) -> dict[str, Any]:
    """The attributes of the item a put of `item_attrs` replaces ({} when there is none)."""
    partition: Any = table.items.get(DynamoType(item_attrs[table.hash_key_attr]))
    if partition is not None and table.range_key_attr:
        partition = partition.get(DynamoType(item_attrs[table.range_key_attr]))
    return dict(partition.attrs) if partition is not None else {}


_READS = frozenset({"Query", "GetItem", "BatchGetItem", "Scan"})


def _wire_pages(init: Callable[..., None]) -> Callable[..., None]:
    """DynamoResult of a page of _Wire entries: the rest converted as moto does, the page kept."""

    @functools.wraps(init)
    def patched(self: DynamoResult, result: Any) -> None:
        items = result.get("Items") if isinstance(result, dict) else None
        if not items or not all(type(i) is _Wire for i in items):
            init(self, result)
            return
        init(self, {k: v for k, v in result.items() if k != "Items"})
        self.result["Items"] = items  # type: ignore[index]

    return patched


def _json_reads(execute: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(execute)
    def patched(self: DynamoResult, context: Any) -> Any:
        if context.operation_model.name not in _READS:
            return execute(self, context)
        try:
            body = json.dumps(self.result)
        except TypeError:  # binary values: moto's serializer encodes them
            return execute(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    return patched


def grouped_index_queries() -> None:
    """Patch moto in this process (the bench's server); once."""
    global _applied  # noqa: PLW0603 - patch once per process
    if _applied:
        return
    Table.query = grouped_query(Table.query)  # type: ignore[method-assign]
    DynamoResult.execute_result = _json_reads(DynamoResult.execute_result)  # type: ignore[method-assign]
    DynamoResult.__init__ = _wire_pages(DynamoResult.__init__)  # type: ignore[method-assign]
    DynamoDBBackend.put_item = _put_forgetting(DynamoDBBackend.put_item)  # type: ignore[method-assign]
    for name in ("update_item", "delete_item", "transact_write_items", "batch_write_item"):
        if hasattr(DynamoDBBackend, name):
            setattr(DynamoDBBackend, name, _forgetting(getattr(DynamoDBBackend, name)))
    _applied = True


def warm(table: Table, index_name: str) -> None:
    """Groups the index's items now (after a load), not in the first query."""
    _groups[(table.name, index_name)] = _group(table, index_name)


def forget() -> None:
    """After writing items straight into the backend."""
    _groups.clear()


__all__ = ["DynamoType", "forget", "grouped_index_queries"]
