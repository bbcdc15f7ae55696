"""The local stack on paymux's template with its stream and SQS pollers running: a payment written
to the table reaches StatsStreamFunction through the stream, as on AWS, and lands in its buckets;
a batch the function fails on through all its retries goes, as Lambda's failure record, to
StatsStreamDeadLetterQueue, whose consumer StatsRepairFunction reads it again and counts it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest

from local.stack import LocalStack
from paymux.clock import CHINA
from paymux.store import buckets

PAY_ID = "pay_01KB0000000000000000000000"
FAILING_PAY_ID = "pay_01KB0000000000000000000001"


@pytest.fixture(scope="module")
def paymux() -> Iterator[LocalStack]:
    stack = LocalStack(api_port=0, moto_port=0, schedules=False, sqs_poll=True, stream_poll=True).start()
    try:
        yield stack
    finally:
        stack.stop()


def pending_payment(payment_id: str, merchant_id: str) -> dict[str, Any]:
    created = datetime(2026, 12, 1, 10, 20, tzinfo=CHINA).timestamp()
    return {
        "PK": {"S": f"PAY#{payment_id}"},
        "SK": {"S": "PAY"},
        "payment_id": {"S": payment_id},
        "merchant_id": {"S": merchant_id},
        "method": {"S": "wechat.native"},
        "provider": {"S": "wechat"},
        "currency": {"S": "CNY"},
        "amount": {"N": "1999"},
        "status": {"S": "PENDING"},
        "created_at": {"N": str(created)},
    }


def test_a_payment_written_reaches_the_buckets_through_the_stream(
    paymux: LocalStack, wait_for: Callable[..., Any]
) -> None:
    ddb = boto3.client("dynamodb")
    table = paymux.env["PAYMUX_TABLE"]
    ddb.put_item(TableName=table, Item=pending_payment(PAY_ID, "mch_local"))
    shards = int(paymux.env["PAYMUX_STATS_SHARDS"])
    sort_key = {"S": "2026-12-01T10:15#wechat.native#wechat#CNY"}
    keys = [  # the record lands in one shard, crc32(eventID) % shards: shard 0 is the bare key
        {"PK": {"S": "STATS#mch_local#15m#2026-12-01" + (f"#{n}" if n else "")}, "SK": sort_key}
        for n in range(shards)
    ]

    def written() -> list[dict[str, Any]]:
        found = (ddb.get_item(TableName=table, Key=k, ConsistentRead=True).get("Item") for k in keys)
        return [item for item in found if item]

    buckets_written = wait_for(written)
    assert [b["created"] for b in buckets_written] == [{"N": "1"}]
    markers = ddb.scan(
        TableName=table, FilterExpression="SK = :m", ExpressionAttributeValues={":m": {"S": "STATSREC"}}
    )
    assert markers["Count"] == 1


def test_a_batch_the_stream_gives_up_on_is_counted_by_the_repair(
    paymux: LocalStack, wait_for: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = buckets.transact

    def transact(client: Any, table: str, operation: str, items: list[dict[str, Any]], *args: Any) -> None:
        calls.append(operation)
        if len(calls) <= 11:  # the first attempt and the mapping's 10 retries (MaximumRetryAttempts)
            raise client.exceptions.TransactionCanceledException(
                {"Error": {"Code": "TransactionCanceledException", "Message": "injected"}},
                "TransactWriteItems",
            )
        real(client, table, operation, items, *args)

    monkeypatch.setattr(buckets, "transact", transact)
    ddb = boto3.client("dynamodb")
    table = paymux.env["PAYMUX_TABLE"]
    ddb.put_item(TableName=table, Item=pending_payment(FAILING_PAY_ID, "mch_failing"))
    shards = int(paymux.env["PAYMUX_STATS_SHARDS"])
    sort_key = {"S": "2026-12-01T10:15#wechat.native#wechat#CNY"}
    keys = [  # the repair writes the record into its own shard, crc32(eventID) % shards
        {"PK": {"S": "STATS#mch_failing#15m#2026-12-01" + (f"#{n}" if n else "")}, "SK": sort_key}
        for n in range(shards)
    ]

    def written() -> list[dict[str, Any]]:
        found = (ddb.get_item(TableName=table, Key=k, ConsistentRead=True).get("Item") for k in keys)
        return [item for item in found if item]

    assert [b["created"] for b in wait_for(written, timeout=30)] == [{"N": "1"}]
    assert len(calls) == 12  # 11 refused to the stream function, then the repair's, applied
