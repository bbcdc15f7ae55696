"""An SQS poller standing in for Lambda's event source mapping.

Like the real mapping it long-polls, hands the handler a batch of `Records`, and deletes only
what succeeded; failed messages reappear after the queue's visibility timeout and moto's
redrive moves them to the dead-letter queue after `maxReceiveCount` receives.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from local.intrinsics import references

log = logging.getLogger("local.sqs")

Invoke = Callable[[str, dict[str, Any]], Any]
MAX_RECEIVE = 10  # SQS returns at most 10 messages per ReceiveMessage


@dataclass(frozen=True)
class QueueSubscription:
    """One AWS::Lambda::EventSourceMapping from an SQS queue, with the queue's physical ids."""

    function: str
    queue: str  # logical id
    queue_url: str
    queue_arn: str
    batch_size: int
    report_failures: bool


def queue_mappings(cfn: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(function logical id, queue logical id, mapping properties) for SQS event sources."""
    queues = {k for k, r in cfn.get("Resources", {}).items() if r["Type"] == "AWS::SQS::Queue"}
    found = []
    for resource in cfn.get("Resources", {}).values():
        if resource["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        props = resource.get("Properties", {})
        sources = [name for name, _ in references(props.get("EventSourceArn")) if name in queues]
        function = props.get("FunctionName")
        if sources and isinstance(function, dict) and "Ref" in function:
            found.append((str(function["Ref"]), sources[0], props))
    return found


def lambda_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """The record Lambda builds from one received SQS message."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": value.get("StringListValues", []),
                "binaryListValues": value.get("BinaryListValues", []),
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def succeeded(records: list[dict[str, Any]], result: Any, report_failures: bool) -> list[dict[str, Any]]:
    """The records to delete after the handler returned `result`."""
    if not report_failures or not result:
        return records
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return records
    if not isinstance(failures, list) or not all(isinstance(f, dict) for f in failures):
        log.warning("batchItemFailures is not a list of objects; the whole batch failed")
        return []
    failed = {str(f.get("itemIdentifier") or "") for f in failures}
    batch = {r["messageId"] for r in records}
    if not failed <= batch:
        # Lambda treats a response naming unknown (or empty) ids as a failure of the whole batch.
        log.warning("batchItemFailures names ids outside the batch: %s", sorted(failed - batch))
        return []
    return [r for r in records if r["messageId"] not in failed]


class SqsPoller:
    """One thread per subscription: receive, invoke, delete the successes."""

    def __init__(self, subscription: QueueSubscription, invoke: Invoke, region: str) -> None:
        self.subscription = subscription
        self._invoke = invoke
        self._region = region
        self._client: Any = boto3.client("sqs", region_name=region)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqs-{subscription.function}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except (BotoCoreError, ClientError) as exc:
                if not self._stop.is_set():
                    log.warning("sqs %s: %s", self.subscription.queue, exc)
                    self._stop.wait(1)
            except Exception:  # the mapping keeps polling whatever one batch did
                log.exception("sqs %s: polling failed", self.subscription.queue)
                self._stop.wait(1)

    def _receive(self, wait_seconds: int) -> list[dict[str, Any]]:
        sub = self.subscription
        response = self._client.receive_message(
            QueueUrl=sub.queue_url,
            MaxNumberOfMessages=max(1, min(sub.batch_size, MAX_RECEIVE)),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def poll_once(self, wait_seconds: int = 1) -> int:
        """One receive-invoke-delete round; returns how many messages it received."""
        sub = self.subscription
        messages = self._receive(wait_seconds)
        # Like the mapping's batching, up to BatchSize: more receives while they come back full.
        while messages and len(messages) < sub.batch_size and len(messages) % MAX_RECEIVE == 0:
            more = self._receive(0)
            if not more:
                break
            messages += more
        if not messages:
            return 0
        records = [lambda_record(m, sub.queue_arn, self._region) for m in messages]
        started = time.monotonic()
        try:
            result = self._invoke(sub.function, {"Records": records})
        except Exception:
            log.exception("sqs %s %d msg -> handler raised, none deleted", sub.function, len(records))
            return len(records)
        done = succeeded(records, result, sub.report_failures)
        for start in range(0, len(done), MAX_RECEIVE):
            entries = [
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                for i, r in enumerate(done[start : start + MAX_RECEIVE])
            ]
            self._client.delete_message_batch(QueueUrl=sub.queue_url, Entries=entries)
        failed = len(records) - len(done)
        log.info(
            "sqs %s %d msg -> %d ok%s %.1fms",
            sub.function,
            len(records),
            len(done),
            f", {failed} failed" if failed else "",
            (time.monotonic() - started) * 1000,
        )
        return len(records)
