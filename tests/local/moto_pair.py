"""Two DynamoDB backends in one moto server, with identical tables: one runs moto's own code,
the other the local stack's patches (local/moto_transactions.py, local/moto_queries.py)."""

from __future__ import annotations

import types
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.server import ThreadedMotoServer

from local.moto_queries import partition_queries, unpatched_query
from local.moto_transactions import item_level_transactions, unpatched_transact_write_items

# Each side gets its own backend in the one moto server: moto's own code, and the patch.
MOTO_REGION, PATCHED_REGION = "eu-west-3", "ap-south-1"
HUGE = "x" * 410_000  # over moto's 405,000-byte item limit
Outcome = tuple[Any, ...]


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    item_level_transactions()
    partition_queries()
    server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@dataclass
class Side:
    client: Any
    orders: str
    counters: str
    streams: Any

    def transact(self, entries: list[dict[str, Any]]) -> Outcome:
        try:
            response = self.client.transact_write_items(TransactItems=entries)
        except ClientError as exc:
            error = exc.response["Error"]
            return ("error", error["Code"], error["Message"], exc.response.get("CancellationReasons"))
        response.pop("ResponseMetadata")
        return ("ok", response)

    def contents(self) -> dict[str, Any]:
        """Both tables in full, and the index as queries read it."""
        return {
            "orders": self._scan(TableName=self.orders),
            "counters": self._scan(TableName=self.counters),
            "counters stream": self._stream_records(),
            **{f"by_status={status}": self._query(status) for status in ("OPEN", "PAID")},
        }

    def _scan(self, **kwargs: Any) -> list[dict[str, Any]]:
        return self.client.get_paginator("scan").paginate(**kwargs).build_full_result()["Items"]

    def _stream_records(self) -> list[tuple[str, Any, Any]]:
        """The stream as a consumer reads it (sequence numbers and times left out)."""
        arn = self.client.describe_table(TableName=self.counters)["Table"]["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = self.streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = self.streams.get_records(ShardIterator=iterator)["Records"]
        return [
            (r["eventName"], r["dynamodb"].get("OldImage"), r["dynamodb"].get("NewImage")) for r in records
        ]

    def _query(self, status: str) -> list[dict[str, Any]]:
        return (
            self.client.get_paginator("query")
            .paginate(
                TableName=self.orders,
                IndexName="by_status",
                KeyConditionExpression="status_key = :s",
                ExpressionAttributeValues={":s": s(status)},
            )
            .build_full_result()["Items"]
        )


@dataclass
class Pair:
    moto: Side
    patched: Side

    @property
    def sides(self) -> tuple[Side, Side]:
        return self.moto, self.patched

    def put(self, table: str, item: dict[str, Any]) -> None:
        for side in self.sides:
            side.client.put_item(TableName=getattr(side, table), Item=item)


def _client(url: str, region: str, service: str = "dynamodb") -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _create_tables(client: Any, orders: str, counters: str) -> None:
    client.create_table(
        TableName=orders,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "status_key", "seq")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_status",
                "KeySchema": [
                    {"AttributeName": "status_key", "KeyType": "HASH"},
                    {"AttributeName": "seq", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.create_table(
        TableName=counters,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


@pytest.fixture
def pair(moto_url: str) -> Iterator[Pair]:
    """Identical tables on both sides; the moto side's backend runs moto's own transaction."""
    suffix = uuid.uuid4().hex[:8]
    orders, counters = f"orders-{suffix}", f"counters-{suffix}"
    sides = []
    for region in (MOTO_REGION, PATCHED_REGION):
        client = _client(moto_url, region)
        _create_tables(client, orders, counters)
        sides.append(Side(client, orders, counters, _client(moto_url, region, "dynamodbstreams")))
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][MOTO_REGION]
    backend.transact_write_items = types.MethodType(unpatched_transact_write_items(), backend)
    for name in (orders, counters):
        table = backend.get_table(name)
        table.query = types.MethodType(unpatched_query(), table)  # type: ignore[method-assign]
    try:
        yield Pair(*sides)
    finally:
        del backend.transact_write_items
        for side in sides:
            for table in (orders, counters):
                side.client.delete_table(TableName=table)


def order(pk: str, status: str, seq: str, **extra: dict[str, str]) -> dict[str, Any]:
    return {"pk": s(pk), "sk": s("ORDER"), "status_key": s(status), "seq": s(seq), **extra}


def key(pk: str) -> dict[str, Any]:
    return {"pk": s(pk), "sk": s("ORDER")}


def seed(pair: Pair) -> None:
    pair.put("orders", order("A", "OPEN", "001", amount=n(10)))
    pair.put("orders", order("B", "OPEN", "002", amount=n(20)))
    pair.put("orders", order("C", "PAID", "003", amount=n(30)))
    for i in range(20):  # bystanders: a transaction must leave them alone either way
        pair.put("orders", order(f"Z{i:02}", "OPEN" if i % 2 else "PAID", f"9{i:02}", amount=n(i)))
    pair.put("counters", {"id": s("x"), "n": n(1)})
