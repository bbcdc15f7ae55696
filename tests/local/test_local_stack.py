"""The fixture stack end to end: moto resources, HTTP routes, the SQS poller, schedules."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests
from boto3.dynamodb.conditions import Key

from local.stack import LocalStack, LocalStackError


def test_resources_exist_in_moto_as_the_template_declares(stack: LocalStack) -> None:
    table = boto3.client("dynamodb").describe_table(TableName=stack.env["PAYMUX_TABLE"])["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["GSI1"]
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName=stack.env["PAYMUX_TABLE"])
    assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}

    sqs = boto3.client("sqs")
    work = sqs.get_queue_attributes(QueueUrl=stack.queue_urls["WorkQueue"], AttributeNames=["All"])
    dlq = sqs.get_queue_attributes(
        QueueUrl=stack.queue_urls["WorkDeadLetterQueue"], AttributeNames=["QueueArn"]
    )
    assert json.loads(work["Attributes"]["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq["Attributes"]["QueueArn"],
        "maxReceiveCount": 2,
    }
    assert work["Attributes"]["VisibilityTimeout"] == "1"

    s3 = boto3.client("s3")
    assert s3.get_bucket_versioning(Bucket=stack.env["PAYMUX_BUCKET"])["Status"] == "Enabled"


def test_environment_is_resolved_from_the_template(stack: LocalStack) -> None:
    env = stack.env
    assert env["PAYMUX_NOTIFY_QUEUE_URL"] == stack.queue_urls["WorkQueue"]
    assert env["PAYMUX_NOTIFY_DLQ_URL"] == stack.queue_urls["WorkDeadLetterQueue"]
    assert env["PAYMUX_STAGE"] == "local"
    assert env["PAYMUX_SECRETS_PREFIX"] == "paymux/local/"
    assert env["PAYMUX_ALLOW_HTTP_URLS"] == "true"
    assert env["PAYMUX_PUBLIC_BASE_URL"] == ""  # the template's default
    assert env["PAYMUX_API_DOMAIN"] == stack.api_domain  # the local API's own domain
    assert stack.api_url == f"http://{stack.api_domain}"
    assert env["WORKER_ONLY"] == "yes"
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"


def test_a_route_reaches_its_handler_with_a_payload_2_event(stack: LocalStack) -> None:
    response = requests.get(
        f"{stack.api_url}/v1/items/it%201?b=2&a=1&a=3",
        headers={"X-Trace": "t1", "Cookie": "s=1; t=2"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["x-echo"] == "yes"
    assert response.headers["apigw-requestid"]
    payload = response.json()
    event = payload["event"]
    assert event["routeKey"] == "GET /v1/items/{item_id}"
    assert event["rawPath"] == "/v1/items/it 1"
    assert event["rawQueryString"] == "b=2&a=1&a=3"
    assert event["pathParameters"] == {"item_id": "it 1"}
    assert event["queryStringParameters"] == {"b": "2", "a": "1,3"}
    assert event["headers"]["x-trace"] == "t1"
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["requestContext"]["domainName"] == stack.api_url.removeprefix("http://")
    assert payload["function_name"] == f"{stack.stack_name}-EchoFunction"
    assert 0 < payload["remaining_ms"] <= 10_000  # the template's Timeout: 10
    assert payload["stage"] == "local"


def test_a_json_post_arrives_as_text(stack: LocalStack) -> None:
    response = requests.post(f"{stack.api_url}/v1/items", json={"amount": 100}, timeout=10)
    assert response.status_code == 201
    event = response.json()["event"]
    assert event["routeKey"] == "POST /v1/items"
    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"amount": 100}


def test_binary_responses_and_cookies(stack: LocalStack) -> None:
    response = requests.get(f"{stack.api_url}/v1/items?mode=binary", timeout=10)
    assert response.content == b"\x00\xffbin"
    assert response.raw.headers.getlist("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]


def test_unknown_route_is_404_like_api_gateway(stack: LocalStack) -> None:
    response = requests.delete(f"{stack.api_url}/v1/items", timeout=10)
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_handler_exception_is_500(stack: LocalStack) -> None:
    response = requests.patch(f"{stack.api_url}/v1/boom", timeout=10)
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def _receives(table: Any, message_id: str) -> list[dict[str, Any]]:
    items = table.query(KeyConditionExpression=Key("PK").eq(f"MSG#{message_id}"))["Items"]
    return [json.loads(item["record"]) for item in items]


def _dead_letters(stack: LocalStack) -> list[dict[str, Any]]:
    response = boto3.client("sqs").receive_message(
        QueueUrl=stack.queue_urls["WorkDeadLetterQueue"],
        MaxNumberOfMessages=10,
        WaitTimeSeconds=0,
        VisibilityTimeout=0,
        MessageSystemAttributeNames=["All"],
    )
    return [
        json.loads(m["Body"]) | {"_attrs": m["Attributes"], "_handle": m["ReceiptHandle"]}
        for m in response.get("Messages", [])
    ]


def _queue_depth(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    names = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
    return sum(int(attributes["Attributes"][n]) for n in names)


def test_an_sqs_message_reaches_the_handler_as_a_lambda_record(
    stack: LocalStack, table: Any, wait_for: Callable[..., Any]
) -> None:
    message_id = uuid.uuid4().hex
    sent = boto3.client("sqs").send_message(
        QueueUrl=stack.queue_urls["WorkQueue"],
        MessageBody=json.dumps({"id": message_id}),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
    )
    (record,) = wait_for(lambda: _receives(table, message_id))
    assert record["messageId"] == sent["MessageId"]
    assert json.loads(record["body"]) == {"id": message_id}
    assert record["md5OfBody"] == sent["MD5OfMessageBody"]
    assert record["eventSource"] == "aws:sqs"
    assert record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"].endswith(":" + stack.queue_urls["WorkQueue"].rsplit("/", 1)[1])
    assert record["receiptHandle"]
    assert {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    } <= set(record["attributes"])
    assert record["messageAttributes"]["kind"]["stringValue"] == "test"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    wait_for(lambda: _queue_depth(stack.queue_urls["WorkQueue"]) == 0)  # deleted after success


def test_delay_seconds_are_honoured(stack: LocalStack, table: Any, wait_for: Callable[..., Any]) -> None:
    message_id = uuid.uuid4().hex
    boto3.client("sqs").send_message(
        QueueUrl=stack.queue_urls["WorkQueue"], MessageBody=json.dumps({"id": message_id}), DelaySeconds=2
    )
    (record,) = wait_for(lambda: _receives(table, message_id))
    attributes = record["attributes"]
    waited_ms = int(attributes["ApproximateFirstReceiveTimestamp"]) - int(attributes["SentTimestamp"])
    assert waited_ms >= 1900


def test_a_partial_batch_failure_keeps_only_the_failed_message_until_it_is_dead_lettered(
    stack: LocalStack, table: Any, wait_for: Callable[..., Any]
) -> None:
    ok_id, bad_id = uuid.uuid4().hex, uuid.uuid4().hex
    boto3.client("sqs").send_message_batch(
        QueueUrl=stack.queue_urls["WorkQueue"],
        Entries=[
            {"Id": "ok", "MessageBody": json.dumps({"id": ok_id})},
            {"Id": "bad", "MessageBody": json.dumps({"id": bad_id, "fail": True})},
        ],
    )
    wait_for(lambda: _receives(table, ok_id) and _receives(table, bad_id))
    # The success was deleted; only the failed message is left, in the queue or already redriven.
    remaining = _queue_depth(stack.queue_urls["WorkQueue"])
    redriven = _queue_depth(stack.queue_urls["WorkDeadLetterQueue"])
    assert remaining + redriven == 1

    dead = wait_for(lambda: [m for m in _dead_letters(stack) if m["id"] == bad_id], timeout=15)
    assert len(dead) == 1
    assert [r["attributes"]["ApproximateReceiveCount"] for r in _receives(table, bad_id)] == ["1", "2"]
    assert len(_receives(table, ok_id)) == 1
    assert _queue_depth(stack.queue_urls["WorkQueue"]) == 0
    _delete_dead_letters(stack, dead)


def test_a_raising_handler_deletes_nothing(stack: LocalStack, wait_for: Callable[..., Any]) -> None:
    message_id = uuid.uuid4().hex
    boto3.client("sqs").send_message(
        QueueUrl=stack.queue_urls["WorkQueue"], MessageBody=json.dumps({"id": message_id, "raise": True})
    )
    dead = wait_for(lambda: [m for m in _dead_letters(stack) if m["id"] == message_id], timeout=15)
    assert int(dead[0]["_attrs"]["ApproximateReceiveCount"]) >= 2
    _delete_dead_letters(stack, dead)


def _delete_dead_letters(stack: LocalStack, messages: list[dict[str, Any]]) -> None:
    # Not purge_queue: SQS (and moto) allow one purge per queue every 60 seconds.
    for message in messages:
        boto3.client("sqs").delete_message(
            QueueUrl=stack.queue_urls["WorkDeadLetterQueue"], ReceiptHandle=message["_handle"]
        )


def test_run_schedule_invokes_the_function_with_the_schedule_event(stack: LocalStack, table: Any) -> None:
    stack.run_schedule("TickFunction")  # its first schedule, rate(1 minute), has no Input
    stack.run_schedule("TickFunctionNightly")  # by schedule name: the cron one with an Input
    events = [
        json.loads(i["event"]) for i in table.query(KeyConditionExpression=Key("PK").eq("TICK"))["Items"]
    ]
    assert sorted(events, key=len) == [{}, {"job": "nightly"}]
    with pytest.raises(LocalStackError):
        stack.run_schedule("EchoFunction")


def test_schedules_are_read_from_the_template(stack: LocalStack) -> None:
    found = {(s.name, s.function, s.expression, s.timezone) for s in stack.schedules}
    assert found == {
        ("TickFunctionEveryMinute", "TickFunction", "rate(1 minute)", "UTC"),
        ("TickFunctionNightly", "TickFunction", "cron(30 10 * * ? *)", "Asia/Shanghai"),
    }


def test_functions_are_callables_and_invoke_takes_any_event(stack: LocalStack) -> None:
    assert set(stack.functions) == {"EchoFunction", "WorkerFunction", "TickFunction"}
    result = stack.invoke("WorkerFunction", {"Records": []})
    assert result == {"batchItemFailures": []}
    with pytest.raises(LocalStackError):
        stack.invoke("NoSuchFunction", {})


def test_keep_alive_survives_unknown_routes_with_bodies(stack: LocalStack) -> None:
    with requests.Session() as session:
        missing = session.post(f"{stack.api_url}/v1/nowhere", data=b"x" * 5000, timeout=10)
        found = session.post(f"{stack.api_url}/v1/items", json={"n": 1}, timeout=10)
    assert missing.status_code == 404
    assert found.status_code == 201
    assert found.json()["event"]["requestContext"]["requestId"] == found.headers["apigw-requestid"]
