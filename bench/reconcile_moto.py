"""Index queries in the reconciliation bench's moto server at a million items.

moto 5.2.5 answers every page of an index query by visiting the whole table, sorting what it
kept and deep-copying the page (local/moto_queries.py removes the first cost, not the others):
at 1,000,000 payments the 17 paid-day keys of one day would take moto minutes, which would
measure moto, not paymux. Here an index query with a plain hash-key condition (what
reconciliation asks) is answered from the index's items grouped by hash key and sorted once by
(index range key, table keys), the order moto gives; a page starts after its exclusive start
key (bisect) and ends at 1 MB of index entries, the size DynamoDB pages at (moto counts the
whole item). The groups are rebuilt after any write. Everything else is moto's own query.

moto's response serializer also walks the output shape member by member (~1.5 ms an item of
25 attributes): reads of items (Query, GetItem, BatchGetItem, Scan), whose result moto already
holds in the wire format, are written with json.dumps instead."""

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

Groups = dict[str, tuple[list[tuple[str, str, str]], list[Item]]]
_groups: dict[tuple[str, str], Groups] = {}
_applied = False


def _index_keys(table: Table, index_name: str) -> tuple[str, str]:
    schema = table.get_index(index_name).schema
    hash_attr = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
    range_attr = next(k["AttributeName"] for k in schema if k["KeyType"] == "RANGE")
    return hash_attr, range_attr


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
    groups: Groups = {}
    for value, entries in found.items():
        entries.sort(key=lambda e: e[0])
        groups[value] = ([k for k, _ in entries], [i for _, i in entries])
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
    """An index entry as moto's responses read it (`attrs`), with DynamoDB's size."""

    __slots__ = ("attrs",)

    def __init__(self, attrs: dict[str, DynamoType]) -> None:
        self.attrs = attrs

    def size(self) -> int:
        return sum(len(name) + value.size() for name, value in self.attrs.items())


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
        keys, items = groups.get(str(arguments["hash_key_conditions"][0][1].value), ([], []))
        held = _projected(table, index_name)
        limit, asked = arguments.get("limit"), arguments.get("projection_expressions")
        wanted = {path[0] for path in asked} if asked else None
        results: list[_Entry] = []
        size, position, last = 0, _start(keys, arguments.get("exclusive_start_key"), range_attr, table), None
        while position < len(items):
            attrs = items[position].attrs
            entry = _Entry({k: v for k, v in attrs.items() if held is None or k in held})
            entry_size = entry.size()
            if len(results) == limit or size + entry_size > RESULT_SIZE_LIMIT:
                last = table._get_last_evaluated_key(items[position - 1], index_name)
                break
            size += entry_size
            results.append(_Entry({k: v for k, v in entry.attrs.items() if k in wanted}) if wanted else entry)
            position += 1
        return results, len(results), last

    patched.__wrapped_moto__ = query  # type: ignore[attr-defined]
    return patched


def _forgetting(write: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(write)
    def patched(*args: Any, **kwargs: Any) -> Any:
        _groups.clear()
        return write(*args, **kwargs)

    return patched


_READS = frozenset({"Query", "GetItem", "BatchGetItem", "Scan"})


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
    for name in ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item"):
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
