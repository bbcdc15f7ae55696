"""Which records the poller deletes after a batch (Lambda's ReportBatchItemFailures rules)."""

from __future__ import annotations

from typing import Any

import pytest

from local.sqs import lambda_record, succeeded

RECORDS = [{"messageId": "a"}, {"messageId": "b"}, {"messageId": "c"}]


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [r["messageId"] for r in records]


@pytest.mark.parametrize("result", [None, {}, {"batchItemFailures": []}, "ignored"])
def test_an_empty_or_missing_response_means_all_succeeded(result: Any) -> None:
    assert ids(succeeded(RECORDS, result, report_failures=True)) == ["a", "b", "c"]


def test_reported_failures_are_kept() -> None:
    result = {"batchItemFailures": [{"itemIdentifier": "b"}]}
    assert ids(succeeded(RECORDS, result, report_failures=True)) == ["a", "c"]


def test_without_report_batch_item_failures_the_response_is_ignored() -> None:
    result = {"batchItemFailures": [{"itemIdentifier": "b"}]}
    assert ids(succeeded(RECORDS, result, report_failures=False)) == ["a", "b", "c"]


@pytest.mark.parametrize(
    "failures",
    [[{"itemIdentifier": "zzz"}], [{"itemIdentifier": ""}], [{}], "b", ["b"]],
)
def test_an_invalid_failure_report_fails_the_whole_batch(failures: Any) -> None:
    assert succeeded(RECORDS, {"batchItemFailures": failures}, report_failures=True) == []


def test_lambda_record_shape() -> None:
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "rh",
        "MD5OfBody": "md5",
        "Body": "{}",
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1"},
        "MessageAttributes": {"k": {"StringValue": "v", "DataType": "String"}},
    }
    record = lambda_record(message, "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1")
    assert record == {
        "messageId": "m1",
        "receiptHandle": "rh",
        "body": "{}",
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1"},
        "messageAttributes": {
            "k": {
                "stringValue": "v",
                "binaryValue": None,
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
        },
        "md5OfBody": "md5",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
        "awsRegion": "us-east-1",
    }
