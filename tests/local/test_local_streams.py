"""The local stack's stand-in for Lambda's DynamoDB stream mapping (local/streams.py), on moto's
own table stream: order, filters, batch size, retries of a failing batch (halved when bisecting),
partial batch responses, and the OnFailure queue after the last retry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.streams import StreamPoller, StreamSubscription, matches, stream_mappings
from local.template import choose_parameters, load_template, transform_template

ROOT = Path(__file__).resolve().parents[2]
PATTERN = {"dynamodb": {"Keys": {"SK": {"S": ["PAY", "REFUND", "CHECKOUT"]}}}}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        ddb = boto3.client("dynamodb")
        table = ddb.create_table(
            TableName="t",
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]
        queue = boto3.client("sqs").create_queue(QueueName="dlq")["QueueUrl"]
        yield {"stream": table["LatestStreamArn"], "queue": queue}


def put(n: int, sk: str = "PAY") -> None:
    boto3.client("dynamodb").put_item(TableName="t", Item={"PK": {"S": f"PAY#{n}"}, "SK": {"S": sk}})


def subscription(aws: dict[str, str], **changes: Any) -> StreamSubscription:
    values: dict[str, Any] = {
        "function": "F",
        "table": "T",
        "stream_arn": aws["stream"],
        "batch_size": 3,
        "report_failures": True,
        "bisect": True,
        "max_retries": 2,
        "patterns": (PATTERN,),
        "on_failure_url": aws["queue"],
    }
    return StreamSubscription(**(values | changes))


def pks(event: dict[str, Any]) -> list[str]:
    return [r["dynamodb"]["Keys"]["PK"]["S"] for r in event["Records"]]


def test_records_come_in_order_filtered_in_batches_of_the_batch_size(aws) -> None:
    for n in range(5):
        put(n)
        put(n, "EVT#000001")  # filtered out, as the mapping's FilterCriteria say
    calls: list[dict[str, Any]] = []
    poller = StreamPoller(subscription(aws), lambda _f, e: calls.append(e), "us-east-1")
    while poller.poll_once():
        pass
    assert [pks(c) for c in calls] == [["PAY#0", "PAY#1", "PAY#2"], ["PAY#3", "PAY#4"]]
    first = calls[0]["Records"][0]
    assert first["eventName"] == "INSERT" and first["eventSourceARN"] == aws["stream"]
    assert isinstance(first["dynamodb"]["ApproximateCreationDateTime"], int)
    put(9)  # the iterator carries on from where it was
    assert poller.poll_once() == 1 and pks(calls[-1]) == ["PAY#9"]


def test_a_failing_batch_is_retried_halved_then_given_to_the_on_failure_queue(aws) -> None:
    for n in range(4):
        put(n)
    calls: list[list[str]] = []

    def failing(_f: str, event: dict[str, Any]) -> None:
        calls.append(pks(event))
        if "PAY#0" in pks(event):
            raise RuntimeError("boom")

    poller = StreamPoller(subscription(aws), failing, "us-east-1")
    for _ in range(5):
        poller.poll_once()
    assert calls[:4] == [["PAY#0", "PAY#1", "PAY#2"], ["PAY#0"], ["PAY#0"], ["PAY#1", "PAY#2", "PAY#3"]]
    (message,) = boto3.client("sqs").receive_message(QueueUrl=aws["queue"])["Messages"]
    body = json.loads(message["Body"])
    info = body["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    # Lambda's documented failure record: what the stats repair reads the records again with.
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"] == subscription(aws).stream_arn
    assert info["approximateArrivalOfFirstRecord"].endswith("Z") and info["shardId"].startswith("shardId-")
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"


def test_a_partial_batch_response_resumes_at_the_first_failed_record(aws) -> None:
    for n in range(3):
        put(n)
    calls: list[list[str]] = []

    def partial(_f: str, event: dict[str, Any]) -> dict[str, Any]:
        calls.append(pks(event))
        if len(calls) == 1:
            second = event["Records"][1]["dynamodb"]["SequenceNumber"]
            return {"batchItemFailures": [{"itemIdentifier": second}]}
        return {"batchItemFailures": []}

    poller = StreamPoller(subscription(aws), partial, "us-east-1")
    poller.poll_once()
    poller.poll_once()
    assert calls == [["PAY#0", "PAY#1", "PAY#2"], ["PAY#1", "PAY#2"]]


def test_the_template_maps_the_tables_stream_to_the_stats_consumer() -> None:
    sam = load_template(ROOT / "template.yaml")
    cfn = transform_template(sam, choose_parameters(sam, {"Stage": "dev"}), "us-east-1")
    ((function, table, props),) = stream_mappings(cfn)
    assert (function, table) == ("StatsStreamFunction", "PaymuxTable")
    assert props["BisectBatchOnFunctionError"] is True and props["FunctionResponseTypes"] == [
        "ReportBatchItemFailures"
    ]
    assert props["StartingPosition"] == "TRIM_HORIZON"
    pattern = json.loads(props["FilterCriteria"]["Filters"][0]["Pattern"])
    assert pattern == PATTERN
    assert matches(pattern, {"dynamodb": {"Keys": {"SK": {"S": "REFUND"}}}})
    assert matches(pattern, {"dynamodb": {"Keys": {"SK": {"S": "CHECKOUT"}}}})  # a checkout session
    assert not matches(pattern, {"dynamodb": {"Keys": {"SK": {"S": "STATSREC"}}}})
