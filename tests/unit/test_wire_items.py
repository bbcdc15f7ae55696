"""store/wire_items.query_wire: the items of a Query as the wire has them, equal to what
botocore's parse gives for S and N attributes, page by page; every other call on the client is
parsed by botocore as before (a binary value is still bytes)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from moto import mock_aws

from paymux.store.wire_items import query_wire

TABLE = "wire-items"


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK")],
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
        )
        for n in range(25):
            item = {
                "PK": {"S": "P"},
                "SK": {"S": f"{n:02d}#雪#{n * 3}"},
                "n": {"N": str(n)},
                "b": {"B": b"\x00\xff"},
            }
            ddb.put_item(TableName=TABLE, Item=item)
        yield ddb


def _all(query: Any, **kwargs: Any) -> list[dict[str, Any]]:
    pages = []
    while True:
        page = query(TableName=TABLE, KeyConditionExpression="PK = :p", **kwargs)
        page.pop("ResponseMetadata", None)
        pages.append(page)
        if "LastEvaluatedKey" not in page:
            return pages
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.mark.parametrize("projection", ["SK", "SK, n"])
def test_wire_pages_are_botocore_s_pages(client: Any, projection: str) -> None:
    asked = {"ExpressionAttributeValues": {":p": {"S": "P"}}, "ProjectionExpression": projection, "Limit": 7}
    parsed = _all(client.query, **asked)
    wire = _all(lambda **kw: query_wire(client, **kw), **asked)
    assert wire == parsed
    assert [p["Count"] for p in wire] == [7, 7, 7, 4]
    assert wire[0]["Items"][1] == {"SK": {"S": "01#雪#3"}} | ({"n": {"N": "1"}} if "n" in projection else {})


def test_other_calls_on_the_client_are_parsed_as_before(client: Any) -> None:
    query_wire(
        client,
        TableName=TABLE,
        KeyConditionExpression="PK = :p",
        ExpressionAttributeValues={":p": {"S": "P"}},
    )
    page = client.query(
        TableName=TABLE, KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "P"}}
    )
    assert page["Items"][0]["b"] == {"B": b"\x00\xff"}  # botocore decoded it: not base64 text
    item = client.get_item(TableName=TABLE, Key={"PK": {"S": "P"}, "SK": {"S": "00#雪#0"}})["Item"]
    assert item["b"] == {"B": b"\x00\xff"}


def test_an_error_answer_is_botocore_s_error(client: Any) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        query_wire(client, TableName="no-such-table", KeyConditionExpression="PK = :p",
                   ExpressionAttributeValues={":p": {"S": "P"}})  # fmt: skip


def test_many_threads_at_once_each_get_their_own_items(client: Any) -> None:
    """The day's index keys are read in parallel threads, each registering the hook: every
    query still gets its own page, whole."""
    fresh = boto3.client("dynamodb", region_name="us-east-1")  # no hook registered yet
    expected = client.query(
        TableName=TABLE, KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "P"}}
    )["Items"]

    def read(_: int) -> list[dict[str, Any]]:
        page = query_wire(
            fresh,
            TableName=TABLE,
            KeyConditionExpression="PK = :p",
            ExpressionAttributeValues={":p": {"S": "P"}},
        )
        items: list[dict[str, Any]] = page["Items"]
        return items

    with ThreadPoolExecutor(max_workers=17) as pool:
        pages = list(pool.map(read, range(34)))
    assert all(len(p) == 25 for p in pages)
    assert all({k: v for k, v in i.items() if k != "b"} == {k: v for k, v in e.items() if k != "b"}
               for p in pages for i, e in zip(p, expected, strict=True))  # fmt: skip
