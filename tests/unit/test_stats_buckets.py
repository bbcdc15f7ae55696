"""store.buckets on moto: each record's deltas are added once whatever is delivered again, mixed
with new records in one group, or named twice in one batch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from paymux.clock import CHINA
from paymux.store.buckets import BucketKey, BucketStore, Delta, RecordDeltas

KEY = BucketKey("mch_a", "wechat.native", "wechat", "CNY")
AT = datetime(2026, 12, 1, 10, 20, tzinfo=CHINA).timestamp()


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("dynamodb")
        attributes = [{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "GSI2PK", "GSI2SK")]
        client.create_table(
            TableName="t",
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=attributes,
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "GSI2",
                    "KeySchema": [
                        {"AttributeName": "GSI2PK", "KeyType": "HASH"},
                        {"AttributeName": "GSI2SK", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def record(event_id: str, amount: int) -> RecordDeltas:
    return RecordDeltas(event_id, (Delta(KEY, AT, {"succeeded": 1, "amount_succeeded": amount}),))


def hourly(store: BucketStore) -> list[dict[str, Any]]:
    return store.query("STATS#mch_a#1h#2026-12-01", "2026-12-01", "2026-12-02")


def test_records_delivered_again_among_new_ones_are_added_once(ddb: Any) -> None:
    store = BucketStore(ddb, "t")
    assert store.apply([record("a", 100), record("b", 200)], AT) == 2
    assert store.apply([record("a", 100), record("c", 400), record("b", 200), record("d", 800)], AT) == 2
    assert store.apply([record("e", 1600), record("e", 1600)], AT) == 1  # twice in one batch: once
    (bucket,) = hourly(store)
    assert (bucket["succeeded"], bucket["amount_succeeded"], bucket["period"]) == (
        5,
        3100,
        "2026-12-01T10:00:00+08:00",
    )
    (quarter,) = store.query("STATS#mch_a#15m#2026-12-01", "2026-12-01", "2026-12-02")
    assert quarter["SK"] == "2026-12-01T10:15#wechat.native#wechat#CNY" and quarter["succeeded"] == 5
    (day,) = store.query("STATS#mch_a#1d#2026-12", "2026-12-01", "2026-12-02")
    assert (day["succeeded"], day["GSI2PK"]) == (5, "STATSDAY#2026-12-01")
    assert store.merchants_on(datetime(2026, 12, 1).date()) == {"mch_a"}


def test_a_batch_larger_than_a_transaction_is_split_and_counted_once(ddb: Any) -> None:
    store = BucketStore(ddb, "t")
    many = [
        RecordDeltas(f"r{n}", (Delta(BucketKey("mch_a", f"m{n}", "p", "CNY"), AT, {"created": 1}),))
        for n in range(40)
    ]  # 40 markers + 120 distinct buckets: more than 100 items
    assert store.apply(many, AT) == 40
    assert store.apply(list(reversed(many)), AT) == 0
    assert sum(b["created"] for b in hourly(store)) == 40
