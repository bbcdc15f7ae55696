"""SQS with the local stack's cheap queue reads (local/moto_sqs.py) against moto's own: the same
sends, receives, deletes and visibility changes on two queues of one moto server, one of them
running moto's own code, give the same answers, errors included, and the same attributes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.server import ThreadedMotoServer
from moto.sqs.models import sqs_backends

from local import moto_dispatch, moto_sqs

REGION = "eu-west-3"
COUNTS = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


@pytest.fixture(scope="module")
def sqs() -> Iterator[Any]:
    moto_sqs.cheap_sqs_queues()
    moto_dispatch.cached_dispatch_names()
    server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield boto3.client(
            "sqs",
            endpoint_url=f"http://{host}:{port}",
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
    finally:
        server.stop()


def _queues(sqs: Any, **attributes: str) -> tuple[str, str]:
    """(moto's own queue, the patched one), alike."""
    urls = []
    for side in ("moto", "patched"):
        name = f"{side}-{uuid.uuid4().hex[:8]}"
        urls.append(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])
        sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues[name].moto_own = side == "moto"
    return urls[0], urls[1]


def _call(action: Any, **kwargs: Any) -> Any:
    try:
        answer = action(**kwargs)
    except ClientError as exc:
        return ("error", exc.response["Error"]["Code"])
    answer.pop("ResponseMetadata", None)
    return answer


def _bodies(page: dict[str, Any]) -> list[str]:
    return [m["Body"] for m in page.get("Messages", [])]


def _counts(sqs: Any, url: str) -> dict[str, str]:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=COUNTS)["Attributes"]


def _script(sqs: Any, url: str) -> list[Any]:
    """Sends, delayed sends, receives (visible again at once or held), deletes of every kind."""
    seen: list[Any] = []
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(10)])
    sqs.send_message(QueueUrl=url, MessageBody="late", DelaySeconds=900)
    seen.append(_counts(sqs, url))
    held = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)
    seen += [_bodies(held), _counts(sqs, url)]
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=0)
    seen += [_bodies(again), _counts(sqs, url)]
    seen.append(_bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)))
    handles = [m["ReceiptHandle"] for m in held["Messages"]]
    seen.append(_call(sqs.delete_message, QueueUrl=url, ReceiptHandle=handles[0]))
    seen.append(_call(sqs.delete_message, QueueUrl=url, ReceiptHandle=handles[0]))  # deleted again
    seen.append(_call(sqs.delete_message, QueueUrl=url, ReceiptHandle="not-a-handle"))
    entries = [{"Id": "a", "ReceiptHandle": handles[1]}, {"Id": "b", "ReceiptHandle": "nope"}]
    answer = _call(sqs.delete_message_batch, QueueUrl=url, Entries=entries)
    seen.append((answer["Successful"], [(f["Id"], f["Code"]) for f in answer["Failed"]]))
    old = again["Messages"][0]["ReceiptHandle"]  # received again since: an old handle still deletes
    seen.append(_call(sqs.delete_message, QueueUrl=url, ReceiptHandle=old))
    seen.append(
        _call(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handles[2], VisibilityTimeout=0)
    )
    seen += [_counts(sqs, url), _bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))]
    seen.append(_counts(sqs, url))
    return seen


def test_the_patched_queue_answers_as_moto_s_own(sqs: Any) -> None:
    moto_url, patched_url = _queues(sqs)

    expected = _script(sqs, moto_url)

    assert _script(sqs, patched_url) == expected
    assert expected[0]["ApproximateNumberOfMessagesDelayed"] == "1"
    assert ("error", "ReceiptHandleIsInvalid") in expected


def test_a_dead_letter_queue_receives_alike(sqs: Any) -> None:
    results = []
    for url in _queues(sqs):
        dlq = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = f'{{"deadLetterTargetArn": "{arn}", "maxReceiveCount": 1}}'
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy})
        sqs.send_message(QueueUrl=url, MessageBody="poison")
        first = _bodies(sqs.receive_message(QueueUrl=url, VisibilityTimeout=0))
        second = _bodies(sqs.receive_message(QueueUrl=url, VisibilityTimeout=0))
        results.append((first, second, _bodies(sqs.receive_message(QueueUrl=dlq)), _counts(sqs, url)))

    assert results[1] == results[0]
    assert results[0][:3] == (["poison"], [], ["poison"])


def test_a_patched_receive_reads_the_clock_once_not_per_message(
    sqs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = {"moto": 0, "patched": 0}
    urls = dict(zip(("moto", "patched"), _queues(sqs), strict=True))
    for url in urls.values():
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(10)])
    real = moto_sqs.unix_time_millis
    for side, url in urls.items():
        queue = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues[url.rsplit("/", 1)[1]]

        def counting(side: str = side) -> float:
            reads[side] += 1
            return real()

        with monkeypatch.context() as patch:
            patch.setattr(moto_sqs, "unix_time_millis", counting)
            patch.setattr("moto.sqs.models.unix_time_millis", counting)
            assert len(queue.messages) == 10

    assert reads["patched"] == 1
    assert reads["moto"] >= 20  # visible and delayed, per message


def test_the_memoized_dispatch_names_equal_moto_s() -> None:
    from moto.dynamodb.responses import DynamoHandler
    from moto.sqs.responses import SQSResponse

    for clazz in (DynamoHandler, SQSResponse):
        names = moto_dispatch.method_names_from_class(clazz)
        assert names == moto_dispatch.ORIGINAL_METHOD_NAMES(clazz)
        names.append("mutated")  # a caller's copy: the cache is not changed
        assert "mutated" not in moto_dispatch.method_names_from_class(clazz)
    for name in ("ApproximateNumberOfMessages", "QueueArn", "theNewAttribute", "", "SqsManagedSseEnabled"):
        assert moto_dispatch.camelcase_to_underscores(name) == moto_dispatch.ORIGINAL_CAMELCASE(name)
