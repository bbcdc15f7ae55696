"""Issue 17: the stats stream's failed batches repair themselves. Through the real local stack:
a batch that fails every retry (a condition failure injected in the bucket write) goes to
StatsStreamDeadLetterQueue as Lambda's failure record; StatsRepairFunction, fed by that queue,
reads the records again from the (moto) stream and counts them exactly once, however often the
message comes. Records gone from the stream become an operator exception naming the days."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from local.sqs import lambda_record
from local.streams import StreamPoller
from paymux.services.exceptions import list_exceptions
from paymux.services.stats_repair import LOST_KIND, UNREADABLE_KIND
from paymux.store import buckets
from paymux.store.payment_keys import shard_of
from tests.integration.conftest import World
from tests.integration.test_stats_stream import direct_count, drain, picked, seeded_day, stats_over_api

NOTHING = {
    k: 0
    for k in ("created", "succeeded", "failed", "closed", "amount_succeeded", "refunds", "amount_refunded")
}


@pytest.fixture
def poller(world: World) -> StreamPoller:
    (subscription,) = world.stack.stream_subscriptions
    found = StreamPoller(subscription, world.stack.invoke, "us-east-1", position="LATEST")
    found.poll_once()
    return found


@pytest.fixture
def failing_buckets(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """While on, every bucket Update of a stats transaction carries a condition that fails, as
    a write DynamoDB keeps refusing would: the transaction is cancelled, nothing is written."""
    state = {"on": True}
    real = buckets.transact

    def transact(client: Any, table: str, operation: str, items: list[dict[str, Any]], *args: Any) -> None:
        if state["on"] and operation.startswith("stats.apply#"):
            items = [
                {"Update": {**i["Update"], "ConditionExpression": "attribute_exists(injected_failure)"}}
                if "Update" in i
                else i
                for i in items
            ]
        real(client, table, operation, items, *args)

    monkeypatch.setattr(buckets, "transact", transact)
    return state


def queue_url(world: World, logical_id: str) -> str:
    return world.stack.queue_urls[logical_id]


def failure_records(world: World) -> list[dict[str, Any]]:
    """Every message of StatsStreamDeadLetterQueue as Lambda hands it to StatsRepairFunction
    (taken off the queue: the test invokes the function itself, as the mapping would)."""
    url = queue_url(world, "StatsStreamDeadLetterQueue")
    (subscription,) = [s for s in world.stack.subscriptions if s.function == "StatsRepairFunction"]
    found = []
    while messages := world.d.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            found.append(lambda_record(message, subscription.queue_arn, "us-east-1"))
            world.d.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def repair(world: World, records: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = world.stack.invoke("StatsRepairFunction", {"Records": records})
    return result


def give_up_on_a_seeded_day(world: World, poller: StreamPoller) -> tuple[list[str], list[dict[str, Any]]]:
    payment_ids = seeded_day(world)
    drain(poller)  # every batch fails its 10 retries (bisected down to one record) and is given up
    assert picked(stats_over_api(world, "15m")["totals"]) == NOTHING
    records = failure_records(world)
    assert records, "the stream mapping sent its failure records to StatsStreamDeadLetterQueue"
    return payment_ids, records


def test_the_stats_repair_is_the_consumer_of_the_stream_dead_letter_queue(world: World) -> None:
    (subscription,) = [s for s in world.stack.subscriptions if s.function == "StatsRepairFunction"]
    assert subscription.queue == "StatsStreamDeadLetterQueue" and subscription.report_failures


def test_a_batch_given_up_by_the_stream_is_counted_once_by_the_repair(
    world: World, poller: StreamPoller, failing_buckets: dict[str, bool]
) -> None:
    payment_ids, records = give_up_on_a_seeded_day(world, poller)
    info = json.loads(records[0]["body"])["DDBStreamBatchInfo"]
    assert {"shardId", "startSequenceNumber", "endSequenceNumber", "streamArn", "batchSize"} <= set(info)

    # While the write still fails, the repair reports every message failed (SQS redelivers them).
    failed = repair(world, records)["batchItemFailures"]
    assert {f["itemIdentifier"] for f in failed} == {r["messageId"] for r in records}
    assert picked(stats_over_api(world, "15m")["totals"]) == NOTHING

    failing_buckets["on"] = False
    assert repair(world, records) == {"batchItemFailures": []}
    expected = direct_count(world, payment_ids)
    counted = stats_over_api(world, "15m", "method")
    assert picked(counted["totals"]) == expected
    assert expected["succeeded"] == 2 and expected["refunds"] == 1  # the seeded day, not zeros
    assert_in_their_shards(world)

    # The same failure records again (SQS delivers at least once), all at once and one by one.
    assert repair(world, records + records[:1]) == {"batchItemFailures": []}
    for record in records:
        assert repair(world, [record]) == {"batchItemFailures": []}
    assert stats_over_api(world, "15m", "method") == counted
    assert not list_exceptions(world.d, kind=LOST_KIND)


def assert_in_their_shards(world: World) -> None:
    """Each record's counters went to its own shard, crc32(eventID) % StatsShards, as the stream
    function writes them (not all into shard 0)."""
    shards = world.d.settings.stats_shards
    assert shards > 1, "the world runs the template's default StatsShards"
    items = world.d.dynamodb.scan(TableName=world.d.settings.table)["Items"]
    marked = {
        shard_of(i["PK"]["S"].removeprefix("STATSREC#"), shards) for i in items if i["SK"]["S"] == "STATSREC"
    }
    written = {
        int(pk.rsplit("#", 1)[1]) if pk.count("#") == 4 else 0
        for pk in (i["PK"]["S"] for i in items)
        if pk.startswith("STATS#")
    }
    assert written and written <= marked and len(marked) > 1, (written, marked)
    assert written == marked


def stubbed_streams(world: World, monkeypatch: pytest.MonkeyPatch, error: str, operation: str) -> Stubber:
    """The repair's stream client, answering `operation` with `error` (moto never trims); a
    GetRecords error comes after a real iterator."""
    client = boto3.client("dynamodbstreams", region_name="us-east-1")
    stub = Stubber(client)
    if operation == "get_records":
        stub.add_response("get_shard_iterator", {"ShardIterator": "x" * 40})
    stub.add_client_error(operation, service_error_code=error, service_message=f"injected {error}")
    stub.activate()
    monkeypatch.setitem(world.d.__dict__, "dynamodbstreams", client)
    return stub


@pytest.mark.parametrize(
    ("error", "operation"),
    [
        ("TrimmedDataAccessException", "get_shard_iterator"),  # the first record is past the trim horizon
        ("TrimmedDataAccessException", "get_records"),  # the iterator went past it while reading
        ("ResourceNotFoundException", "get_shard_iterator"),  # the closed shard is deleted
    ],
)
def test_records_gone_from_the_stream_become_one_exception_naming_the_days_to_backfill(
    world: World,
    poller: StreamPoller,
    failing_buckets: dict[str, bool],
    monkeypatch: pytest.MonkeyPatch,
    error: str,
    operation: str,
) -> None:
    _, records = give_up_on_a_seeded_day(world, poller)
    failing_buckets["on"] = False
    first = records[0]
    info = json.loads(first["body"])["DDBStreamBatchInfo"]
    stubbed_streams(world, monkeypatch, error, operation)
    assert repair(world, [first]) == {"batchItemFailures": []}  # handled: nothing to retry
    stubbed_streams(world, monkeypatch, error, operation)
    assert repair(world, [first]) == {"batchItemFailures": []}  # the duplicate adds nothing

    (lost,) = list_exceptions(world.d, kind=LOST_KIND)
    detail = lost["detail"]
    assert (detail["shard"], detail["first_sequence"], detail["last_sequence"]) == (
        info["shardId"],
        info["startSequenceNumber"],
        info["endSequenceNumber"],
    )
    arrival = info["approximateArrivalOfLastRecord"][:10]
    assert detail["from"] <= arrival <= detail["to"]
    assert (
        detail["command"]
        == f"python -m ops --stack NAME stats backfill --from {detail['from']} --to {detail['to']}"
    )
    assert lost["subject"] == f"{detail['from']}..{detail['to']}"
    assert picked(stats_over_api(world, "15m")["totals"]) == NOTHING  # nothing guessed


def test_a_transient_stream_error_is_retried_not_reported(
    world: World, poller: StreamPoller, failing_buckets: dict[str, bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, records = give_up_on_a_seeded_day(world, poller)
    failing_buckets["on"] = False
    stubbed_streams(world, monkeypatch, "LimitExceededException", "get_shard_iterator")
    failed = repair(world, records[:1])["batchItemFailures"]
    assert failed == [{"itemIdentifier": records[0]["messageId"]}]
    assert not list_exceptions(world.d, kind=LOST_KIND)


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"KinesisBatchInfo": {}}),
        json.dumps(
            {
                "DDBStreamBatchInfo": {
                    "shardId": "shardId-1",
                    "startSequenceNumber": "1",
                    "endSequenceNumber": "2",
                    "batchSize": 2,
                    "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/another/stream/2026-01-01T00:00:00.000",
                }
            }
        ),
    ],
)
def test_a_message_that_is_no_failure_record_of_this_stream_goes_to_the_exception_list(
    world: World, body: str
) -> None:
    record = {"messageId": "m-1", "body": body, "attributes": {}, "eventSource": "aws:sqs"}
    assert repair(world, [record]) == {"batchItemFailures": []}
    (unreadable,) = list_exceptions(world.d, kind=UNREADABLE_KIND)
    assert unreadable["detail"]["message_id"] == "m-1"
