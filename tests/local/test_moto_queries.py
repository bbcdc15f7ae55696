"""Query with the local stack's partition reads (local/moto_queries.py) against moto's own,
which sorts the whole table first: the same queries, on tables and their index, between the
same writes, give the same pages, and a table query no longer visits the whole table."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models.dynamo_type import DynamoType

from tests.local.moto_pair import Pair, Side, moto_url, n, order, pair, s, seed

__all__ = ["moto_url", "pair"]  # fixtures


def _event(pk: str, version: int, **extra: Any) -> dict[str, Any]:
    return {"pk": s(pk), "sk": s(f"EVT#{version:06d}"), "amount": n(version), **extra}


def _queries(orders: str, counters: str) -> list[dict[str, Any]]:
    table, index = {"TableName": orders}, {"TableName": orders, "IndexName": "by_status"}
    return [
        {**table, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": s("A")}},
        {
            **table,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :e)",
            "ExpressionAttributeValues": {":p": s("A"), ":e": s("EVT#")},
            "ScanIndexForward": False,
            "ConsistentRead": True,
        },
        {
            **table,
            "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
            "FilterExpression": "amount > :one",
            "ExpressionAttributeValues": {
                ":p": s("A"),
                ":a": s("EVT#000002"),
                ":b": s("EVT#000009"),
                ":one": n(3),
            },
        },
        {**table, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": s("NOPE")}},
        {
            **table,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": s("A")},
            "Select": "COUNT",
        },
        {
            **table,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": s("A")},
            "Limit": 3,
        },
        {
            **index,
            "KeyConditionExpression": "status_key = :s",
            "ExpressionAttributeValues": {":s": s("OPEN")},
        },
        {
            **index,
            "KeyConditionExpression": "status_key = :s AND seq <= :q",
            "ExpressionAttributeValues": {":s": s("PAID"), ":q": s("905")},
            "ScanIndexForward": False,
            "Limit": 2,
        },
        {
            **index,
            "KeyConditionExpression": "status_key = :s",
            "ExpressionAttributeValues": {":s": s("NONE")},
        },
        {
            **index,
            "KeyConditionExpression": "status_key = :s",
            "ExpressionAttributeValues": {":s": s("OPEN")},
            "ProjectionExpression": "pk, seq",
            "Limit": 4,
        },
        {
            "TableName": counters,
            "KeyConditionExpression": "id = :i",
            "ExpressionAttributeValues": {":i": s("x")},
        },
    ]


def _pages(side: Side, query: dict[str, Any]) -> list[Any]:
    """Every page, following LastEvaluatedKey, or the error."""
    pages, start = [], None
    while True:
        try:
            page = side.client.query(**query, **({"ExclusiveStartKey": start} if start else {}))
        except ClientError as exc:
            return [("error", exc.response["Error"]["Code"], exc.response["Error"]["Message"])]
        page.pop("ResponseMetadata")
        pages.append(page)
        start = page.get("LastEvaluatedKey")
        if not start or len(pages) > 50:
            return pages


def _writes(pair: Pair, round_: int) -> None:
    """Between rounds: new events, an order moving in the index, one deleted."""
    for side in pair.sides:
        side.client.put_item(
            TableName=side.orders, Item=_event("A", 20 + round_, status_key=s("OPEN"), seq=s("8"))
        )
        side.client.update_item(
            TableName=side.orders,
            Key={"pk": s(f"Z{round_:02}"), "sk": s("ORDER")},
            UpdateExpression="SET status_key = :s",
            ExpressionAttributeValues={":s": s("OPEN" if round_ % 2 else "PAID")},
        )
        side.client.delete_item(TableName=side.orders, Key={"pk": s("A"), "sk": s(f"EVT#{round_:06d}")})


def test_queries_give_moto_s_pages(pair: Pair) -> None:
    seed(pair)
    for version in range(10):
        pair.put("orders", _event("A", version, amount=n(version)))
    queries = _queries(pair.moto.orders, pair.moto.counters)
    for round_ in range(3):
        for query in queries:
            expected = _pages(pair.moto, query)

            assert _pages(pair.patched, query) == expected, (round_, query)
            assert expected[0] != ("error",), query
        assert pair.patched.contents() == pair.moto.contents()  # queries changed nothing
        _writes(pair, round_)
    counts = [page["Count"] for page in _pages(pair.moto, queries[6])]
    assert sum(counts) > 10  # the index query did find the open orders


def _comparisons(side: Side, monkeypatch: pytest.MonkeyPatch) -> int:
    compared = []
    equal = DynamoType.__eq__

    def counting(self: DynamoType, other: DynamoType) -> bool:
        compared.append(self)
        return equal(self, other)

    with monkeypatch.context() as patch:
        patch.setattr(DynamoType, "__eq__", counting)
        side.client.query(
            TableName=side.orders,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": s("F00000")},
        )
    return len(compared)


def test_a_table_query_reads_its_partition_not_the_table(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    comparisons: dict[str, list[int]] = {"moto": [], "patched": []}
    for size in (20, 400):
        for name, side in (("moto", pair.moto), ("patched", pair.patched)):
            have = len(side.contents()["orders"])
            for i in range(have, size):
                side.client.put_item(TableName=side.orders, Item=order(f"F{i:05}", "OPEN", f"{i:05}"))
            comparisons[name].append(_comparisons(side, monkeypatch))

    assert comparisons["patched"][0] == comparisons["patched"][1]
    assert comparisons["moto"][1] >= 400 > comparisons["moto"][0]  # one per stored item
