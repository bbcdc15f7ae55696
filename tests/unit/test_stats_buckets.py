"""store.buckets on moto: each record's deltas are added once whatever is delivered again, mixed
with new records in one group, or named twice in one batch; sharded buckets answer the same
figures as one, a replay into shards (even after their number changed) adds nothing, and
buckets written before the shards are still read."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from paymux.clock import CHINA
from paymux.services.stats import read_buckets
from paymux.services.stats_figures import answer
from paymux.store.buckets import BucketKey, BucketStore, Delta, RecordDeltas, partition

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


def stream(records: int = 60) -> list[RecordDeltas]:
    """Records of two methods over a day's hours, creations and outcomes."""
    found = []
    for n in range(records):
        key = BucketKey("mch_a", ("wechat.native", "alipay.qr")[n % 2], "p", "CNY")
        at = AT + 317 * n
        counters = {"created": 1} if n % 3 else {"succeeded": 1, "amount_succeeded": 100 + n}
        found.append(RecordDeltas(f"evt-{n}", (Delta(key, at, counters),)))
    return found


def figures(store: BucketStore, granularity: str, group_by: str | None = None) -> dict[str, Any]:
    start = datetime(2026, 12, 1, tzinfo=CHINA)
    end = datetime(2026, 12, 2, tzinfo=CHINA)
    items = read_buckets(store, ["mch_a"], granularity, start, end, "CNY")
    return answer(items, start, end, granularity, group_by, "CNY")


def pks(ddb: Any) -> set[str]:
    return {i["PK"]["S"] for i in ddb.scan(TableName="t")["Items"] if i["PK"]["S"].startswith("STATS#")}


def test_the_figures_are_the_same_with_one_shard_and_with_four(ddb: Any) -> None:
    one = BucketStore(ddb, "t", shards=1)
    assert one.apply(stream(), AT) == 60
    unsharded = {g: figures(one, g, "method") for g in ("15m", "1h", "1d")}
    assert pks(ddb) == {"STATS#mch_a#15m#2026-12-01", "STATS#mch_a#1h#2026-12-01", "STATS#mch_a#1d#2026-12"}
    for item in ddb.scan(TableName="t")["Items"]:
        ddb.delete_item(TableName="t", Key={"PK": item["PK"], "SK": item["SK"]})

    four = BucketStore(ddb, "t", shards=4)
    assert four.apply(stream(), AT) == 60
    assert {pk.rsplit("#", 1)[1] for pk in pks(ddb) if pk.startswith("STATS#mch_a#1h#")} == {
        "2026-12-01",  # shard 0: the unsharded key
        "1",
        "2",
        "3",
    }
    assert {g: figures(four, g, "method") for g in ("15m", "1h", "1d")} == unsharded
    assert unsharded["1d"]["totals"]["created"] == 40 and unsharded["1d"]["totals"]["succeeded"] == 20
    assert four.merchants_on(datetime(2026, 12, 1).date()) == {"mch_a"}


def test_a_replay_across_shards_never_counts_twice(ddb: Any) -> None:
    records = stream()
    four = BucketStore(ddb, "t", shards=4)
    assert four.apply(records, AT) == 60
    before = figures(four, "15m", "method")
    again = records * 3
    random.Random(11).shuffle(again)
    for start in range(0, len(again), 7):
        assert four.apply(again[start : start + 7], AT) == 0
    # Raised to 8 shards between deliveries: a record's shard moves, its marker does not.
    eight = BucketStore(ddb, "t", shards=8)
    assert eight.apply(records, AT) == 0
    assert figures(four, "15m", "method") == before == figures(eight, "15m", "method")
    assert before["totals"]["created"] == 40


def test_buckets_written_before_the_shards_are_read_with_them(ddb: Any) -> None:
    records = stream()
    assert BucketStore(ddb, "t", shards=1).apply(records[:30], AT) == 30  # before: unsharded
    four = BucketStore(ddb, "t", shards=4)
    assert four.apply(records, AT) == 30  # the first 30 are known by their markers
    assert figures(four, "1h") == figures(BucketStore(ddb, "t", shards=4), "1h")
    assert figures(four, "1d")["totals"]["created"] == 40
    assert figures(four, "1d")["totals"]["amount_succeeded"] == sum(100 + n for n in range(0, 60, 3))
    assert partition("mch_a", "1h", datetime(2026, 12, 1, tzinfo=CHINA)) == "STATS#mch_a#1h#2026-12-01"
