"""The reconciliation bench's index queries (bench/reconcile_moto.grouped_query) against moto's
own: the same items in the same order, page by page under a Limit, with the same
LastEvaluatedKey, projected as asked; a write is seen by the next query; a query the patch does
not take (a range condition) is moto's own."""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoResult

from bench import reconcile_moto

REGION, TABLE = "us-east-1", "bench-grouped"


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        ddb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "GSI3PK", "GSI3SK")
            ],
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "GSI3",
                    "KeySchema": [
                        {"AttributeName": "GSI3PK", "KeyType": "HASH"},
                        {"AttributeName": "GSI3SK", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
        )
        for n in range(60):
            item = {
                "PK": {"S": f"PAY#{n:03d}"},
                "SK": {"S": "PAY"},
                "amount": {"N": str(n)},
                "b": {"B": b"\x01"},
            }
            if n % 5:  # some items are not in the index
                item |= {"GSI3PK": {"S": f"PAID#a#{n % 3}"}, "GSI3SK": {"S": f"{(n * 7) % 60:03d}#x"}}
            ddb.put_item(TableName=TABLE, Item=item)
        reconcile_moto.forget()
        yield ddb
        reconcile_moto.forget()


def _grouped_on_this_table() -> None:
    """This mock's table (only) queried through the bench's patch."""
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(TABLE)
    table.query = types.MethodType(reconcile_moto.grouped_query(Table.query), table)  # type: ignore[method-assign]


def _pages(client: Any, **kwargs: Any) -> list[dict[str, Any]]:
    pages = []
    while True:
        page = client.query(TableName=TABLE, IndexName="GSI3", **kwargs)
        page.pop("ResponseMetadata")
        pages.append(page)
        if "LastEvaluatedKey" not in page:
            return pages
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "GSI3PK = :pk", "ExpressionAttributeValues": {":pk": {"S": f"PAID#a#{k}"}}}
    for k in range(3)
] + [
    {"KeyConditionExpression": "GSI3PK = :pk", "ExpressionAttributeValues": {":pk": {"S": "PAID#none"}}},
]


@pytest.mark.parametrize("limit", [None, 1, 4, 7])
@pytest.mark.parametrize("projection", [None, "GSI3SK", "PK, GSI3SK"])
def test_pages_are_moto_s_own(
    client: Any, limit: int | None, projection: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra: dict[str, Any] = {"Limit": limit} if limit else {}
    extra |= {"ProjectionExpression": projection} if projection else {}
    moto_pages = [_pages(client, **q, **extra) for q in QUERIES]
    _grouped_on_this_table()
    monkeypatch.setattr(DynamoResult, "__init__", reconcile_moto._wire_pages(DynamoResult.__init__))
    assert [_pages(client, **q, **extra) for q in QUERIES] == moto_pages
    assert sum(p["Count"] for pages in moto_pages for p in pages) == 48  # the test reads something


def test_a_page_ends_at_the_size_limit_of_index_entries(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a small size limit the pages split where the entries (not whole items) fill it,
    and read together they are the whole key's entries in moto's order."""
    whole = _pages(client, **QUERIES[0])
    _grouped_on_this_table()
    entry = len("GSI3PK") + len("PAID#a#0") + len("GSI3SK") + len("000#x") + len("PK") + 7 + len("SK") + 3
    monkeypatch.setattr(reconcile_moto, "RESULT_SIZE_LIMIT", 3 * entry)
    pages = _pages(client, **QUERIES[0])
    assert [p["Count"] for p in pages] == [3, 3, 3, 3, 3, 1]
    assert [i for p in pages for i in p["Items"]] == whole[0]["Items"]


def test_a_write_is_seen_by_the_next_query(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # the backend's writes forget the groups (as grouped_index_queries patches them, here only
    # for this test: that patch is for the bench's own server process)
    put_item = reconcile_moto._put_forgetting(DynamoDBBackend.put_item)
    monkeypatch.setattr(DynamoDBBackend, "put_item", put_item)
    _grouped_on_this_table()
    before = _pages(client, **QUERIES[0])[0]["Count"]
    item = {"PK": {"S": "PAY#new"}, "SK": {"S": "PAY"}, "GSI3PK": {"S": "PAID#a#0"}, "GSI3SK": {"S": "!"}}
    client.put_item(TableName=TABLE, Item=item)
    after = _pages(client, **QUERIES[0])[0]
    assert after["Count"] == before + 1 and after["Items"][0]["GSI3SK"] == {"S": "!"}


def test_a_range_condition_is_moto_s_own_query(client: Any) -> None:
    ask = {
        "KeyConditionExpression": "GSI3PK = :pk AND begins_with(GSI3SK, :p)",
        "ExpressionAttributeValues": {":pk": {"S": "PAID#a#1"}, ":p": {"S": "0"}},
    }
    expected = _pages(client, **ask)
    _grouped_on_this_table()
    assert _pages(client, **ask) == expected and expected[0]["Count"] > 0


def test_a_put_outside_the_index_keeps_the_groups(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DynamoDBBackend, "put_item", reconcile_moto._put_forgetting(DynamoDBBackend.put_item))
    _grouped_on_this_table()
    before = _pages(client, **QUERIES[0])
    assert reconcile_moto._groups
    client.put_item(TableName=TABLE, Item={"PK": {"S": "CONFIG#x"}, "SK": {"S": "CONFIG"}})
    assert reconcile_moto._groups  # still warm
    assert _pages(client, **QUERIES[0]) == before
    # replacing an indexed item with one outside the index takes it out of the index
    client.put_item(TableName=TABLE, Item={"PK": {"S": "PAY#003"}, "SK": {"S": "PAY"}})
    assert not reconcile_moto._groups
    assert _pages(client, **QUERIES[0])[0]["Count"] == before[0]["Count"] - 1
