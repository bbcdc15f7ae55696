"""The local stack on paymux's template with its stream poller running: a payment written to
the table reaches StatsStreamFunction through the stream, as on AWS, and lands in its buckets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest

from local.stack import LocalStack
from paymux.clock import CHINA

PAY_ID = "pay_01KB0000000000000000000000"


@pytest.fixture(scope="module")
def paymux() -> Iterator[LocalStack]:
    stack = LocalStack(api_port=0, moto_port=0, schedules=False, sqs_poll=False, stream_poll=True).start()
    try:
        yield stack
    finally:
        stack.stop()


def test_a_payment_written_reaches_the_buckets_through_the_stream(
    paymux: LocalStack, wait_for: Callable[..., Any]
) -> None:
    ddb = boto3.client("dynamodb")
    table = paymux.env["PAYMUX_TABLE"]
    created = datetime(2026, 12, 1, 10, 20, tzinfo=CHINA).timestamp()
    payment = {
        "PK": {"S": f"PAY#{PAY_ID}"},
        "SK": {"S": "PAY"},
        "payment_id": {"S": PAY_ID},
        "merchant_id": {"S": "mch_local"},
        "method": {"S": "wechat.native"},
        "provider": {"S": "wechat"},
        "currency": {"S": "CNY"},
        "amount": {"N": "1999"},
        "status": {"S": "PENDING"},
        "created_at": {"N": str(created)},
    }
    ddb.put_item(TableName=table, Item=payment)
    key = {
        "PK": {"S": "STATS#mch_local#15m#2026-12-01"},
        "SK": {"S": "2026-12-01T10:15#wechat.native#wechat#CNY"},
    }

    bucket = wait_for(lambda: ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item"))
    assert bucket["created"] == {"N": "1"}
    markers = ddb.scan(
        TableName=table, FilterExpression="SK = :m", ExpressionAttributeValues={":m": {"S": "STATSREC"}}
    )
    assert markers["Count"] == 1
