"""A Query whose items are taken from the answer's JSON as DynamoDB wrote them, without
botocore's walk of the output shape.

botocore parses a Query answer with `json.loads` (C) and then walks every item's attribute
values against the service model in Python: about 6 µs per attribute per item, most of the
cost of reading a million-entry index (the day's paid index, one attribute an entry). For string
and number attributes the wire form *is* botocore's parsed form (`{"S": "…"}`, `{"N": "12"}`),
so for an answer of those the walk changes nothing and can be skipped: a `before-parse` hook
(botocore's documented way to supply parts of a response) lifts `Items` out of the body before
the parser runs and gives them back as they are. Binary values would stay base64 text here
(botocore decodes them), so `query_wire` is for projections of S and N attributes only.

The hook is registered once per client and acts only inside `query_wire` (a context variable,
so in the calling thread only): every other call on the client is parsed as always."""

from __future__ import annotations

import contextvars
import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_WIRE = contextvars.ContextVar("paymux_wire_items", default=False)
_EVENT = "before-parse.dynamodb.Query"
_REGISTERING = threading.Lock()  # the day's 17 index reads start at once, one thread each


def _lift_items(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    if not _WIRE.get() or response_dict.get("status_code") != 200 or "Items" in customized_response_dict:
        return  # not asked for here, an error answer, or lifted already: botocore parses the rest
    try:
        body = json.loads(response_dict["body"])
    except ValueError:
        return  # not JSON: botocore's parser raises its own error for it
    if isinstance(body, dict) and isinstance(body.get("Items"), list):
        customized_response_dict["Items"] = body.pop("Items")
        response_dict["body"] = json.dumps(body).encode()


def query_wire(client: Any, **kwargs: Any) -> dict[str, Any]:
    """client.query(**kwargs), its Items as the wire has them (S and N attributes only)."""
    with _REGISTERING:  # once per client (the unique id), never twice under a race
        client.meta.events.register(_EVENT, _lift_items, unique_id="paymux-wire-items")
    token = _WIRE.set(True)
    try:
        page: dict[str, Any] = client.query(**kwargs)
    finally:
        _WIRE.reset(token)
    page.setdefault("Items", [])
    return page


def index_sort_keys(
    client: Any, table: str, index: str, index_keys: Sequence[str], *, name: str
) -> list[str]:
    """The sort key of every entry under each of `index_keys` on `index` (a KEYS_ONLY index
    whose sort keys carry what their reader needs: GSI3's paid and refunded days): every key
    queried at once, one thread each, each page projected to the sort key alone and taken as
    the wire has it (query_wire). `name` names the threads."""

    def sort_keys_of(index_key: str) -> list[str]:
        kwargs: dict[str, Any] = {
            "TableName": table,
            "IndexName": index,
            "KeyConditionExpression": f"{index}PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": index_key}},
            "ProjectionExpression": f"{index}SK",
        }
        found: list[str] = []
        while True:
            page = query_wire(client, **kwargs)  # one S attribute an item: no shape walk
            found.extend(item[f"{index}SK"]["S"] for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    with ThreadPoolExecutor(max_workers=max(1, len(index_keys)), thread_name_prefix=name) as pool:
        return [k for shard in pool.map(sort_keys_of, index_keys) for k in shard]
