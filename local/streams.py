"""A DynamoDB Streams poller standing in for Lambda's stream event source mapping.

Like the real mapping it reads each shard in order from a shard iterator (TRIM_HORIZON: every
record the stream still holds), drops the records its FilterCriteria do not match, and hands the
handler a batch of up to BatchSize `Records` in Lambda's shape. A shard does not move past a
batch until it succeeds: a handler that raises gets the same records again (halved each time
when BisectBatchOnFunctionError is on), a partial batch response (`batchItemFailures`) resumes
from the first sequence number it names, and after MaximumRetryAttempts the batch's description
goes to the OnFailure SQS destination and the shard moves on, as Lambda's does."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from local.intrinsics import references

log = logging.getLogger("local.streams")

Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class StreamSubscription:
    """One AWS::Lambda::EventSourceMapping from a table's stream."""

    function: str
    table: str  # logical id
    stream_arn: str
    batch_size: int = 100
    report_failures: bool = False
    bisect: bool = False
    max_retries: int = -1  # -1: until the record expires, as Lambda's default
    patterns: tuple[dict[str, Any], ...] = ()
    on_failure_url: str = ""  # the OnFailure SQS queue's URL, if any


def stream_mappings(cfn: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(function logical id, table logical id, mapping properties) for table stream sources."""
    resources = cfn.get("Resources", {})
    tables = {k for k, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"}
    found = []
    for resource in resources.values():
        if resource["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        props = resource.get("Properties", {})
        sources = [
            n for n, attr in references(props.get("EventSourceArn")) if n in tables and attr == "StreamArn"
        ]
        function = props.get("FunctionName")
        if sources and isinstance(function, dict) and "Ref" in function:
            found.append((str(function["Ref"]), sources[0], props))
    return found


def destination_queue(props: dict[str, Any]) -> str | None:
    """The logical id of the mapping's OnFailure SQS queue, if any."""
    target = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    return next((name for name, _ in references(target)), None)


def filter_patterns(props: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    filters = (props.get("FilterCriteria") or {}).get("Filters") or []
    return tuple(json.loads(f["Pattern"]) for f in filters if f.get("Pattern"))


def matches(pattern: Any, value: Any) -> bool:
    """EventBridge-style matching of the patterns the template uses: nested objects whose leaves
    are lists of allowed values."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            k in value and matches(p, value[k]) for k, p in pattern.items()
        )
    if isinstance(pattern, list):
        return value in pattern
    return bool(pattern == value)


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """The record as Lambda hands it over: boto3's datetimes back to epoch seconds."""
    change = dict(record.get("dynamodb") or {})
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        **{k: v for k, v in record.items() if k != "dynamodb"},
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }


def _failed_from(result: Any, batch: list[dict[str, Any]], report_failures: bool) -> int | None:
    """The index of the first record to deliver again (None: the whole batch succeeded)."""
    if not report_failures or not isinstance(result, dict):
        return None
    failures = result.get("batchItemFailures") or []
    sequences = [str(r["dynamodb"]["SequenceNumber"]) for r in batch]
    named = [
        sequences.index(str(f.get("itemIdentifier")))
        for f in failures
        if str(f.get("itemIdentifier")) in sequences
    ]
    if len(named) != len(failures):
        return 0  # an identifier outside the batch: Lambda retries the whole batch
    return min(named) if named else None


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None
    pending: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    size: int = 0  # the next batch's size (bisected after errors)


class StreamPoller:
    """Polls every shard of one subscription's stream; `poll_once` is one round over them."""

    def __init__(
        self, subscription: StreamSubscription, invoke: Invoke, region: str, position: str = "TRIM_HORIZON"
    ) -> None:
        """`position`: where a shard is first read from, TRIM_HORIZON (Lambda's setting here)
        or LATEST (a test that wants only what it writes next)."""
        self.subscription = subscription
        self._position = position
        self._invoke = invoke
        self._streams: Any = boto3.client("dynamodbstreams", region_name=region)
        self._sqs: Any = boto3.client("sqs", region_name=region) if subscription.on_failure_url else None
        self._shards: dict[str, _Shard] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"stream-{subscription.function}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.poll_once():
                    self._stop.wait(0.5)
            except (BotoCoreError, ClientError) as exc:
                if not self._stop.is_set():
                    log.warning("stream %s: %s", self.subscription.table, exc)
                    self._stop.wait(1)

    def _discover(self) -> None:
        arn = self.subscription.stream_arn
        description = self._streams.describe_stream(StreamArn=arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            if shard["ShardId"] not in self._shards:
                iterator = self._streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType=self._position
                )["ShardIterator"]
                self._shards[shard["ShardId"]] = _Shard(shard["ShardId"], iterator)

    def _fill(self, shard: _Shard) -> None:
        sub = self.subscription
        while shard.iterator and len(shard.pending) < sub.batch_size:
            page = self._streams.get_records(ShardIterator=shard.iterator, Limit=sub.batch_size)
            shard.iterator = page.get("NextShardIterator")
            records = [lambda_record(r, sub.stream_arn) for r in page.get("Records", [])]
            shard.pending += [
                r for r in records if not sub.patterns or any(matches(p, r) for p in sub.patterns)
            ]
            if not page.get("Records"):
                return

    def poll_once(self) -> int:
        """Reads every shard and invokes the handler once per shard with records; returns how
        many records were handed over."""
        self._discover()
        handed = 0
        for shard in self._shards.values():
            self._fill(shard)
            if shard.pending:
                handed += self._deliver(shard)
        return handed

    def _deliver(self, shard: _Shard) -> int:
        sub = self.subscription
        batch = shard.pending[: shard.size or sub.batch_size]
        try:
            result = self._invoke(sub.function, {"Records": batch})
        except Exception:
            log.exception("stream %s: %d records -> handler raised", sub.function, len(batch))
            return self._failed(shard, batch, len(batch) // 2 if sub.bisect else len(batch), 0)
        first_failed = _failed_from(result, batch, sub.report_failures)
        if first_failed is None:
            shard.pending = shard.pending[len(batch) :]
            shard.attempts, shard.size = 0, 0
            return len(batch)
        return self._failed(shard, batch, shard.size or sub.batch_size, first_failed)

    def _failed(self, shard: _Shard, batch: list[dict[str, Any]], size: int, done: int) -> int:
        """Checkpoints past `done` records; retries the rest, or gives them up after the retries."""
        shard.pending = shard.pending[done:]
        shard.attempts += 1
        shard.size = max(size, 1)
        sub = self.subscription
        if sub.max_retries >= 0 and shard.attempts > sub.max_retries:
            rest = batch[done:]
            log.warning(
                "stream %s: %d records given up after %d attempts", sub.function, len(rest), shard.attempts
            )
            if self._sqs is not None:
                self._sqs.send_message(
                    QueueUrl=sub.on_failure_url, MessageBody=json.dumps(_batch_info(rest, shard, sub))
                )
            shard.pending = shard.pending[len(rest) :]
            shard.attempts, shard.size = 0, 0
        return len(batch)


def _arrival(record: dict[str, Any]) -> str:
    at = record["dynamodb"].get("ApproximateCreationDateTime")
    moment = datetime.fromtimestamp(float(at), UTC) if at is not None else datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _batch_info(records: list[dict[str, Any]], shard: _Shard, sub: StreamSubscription) -> dict[str, Any]:
    """Lambda's OnFailure record of a stream batch, in its documented shape (the records
    themselves are not in it: a consumer reads them again from the stream)."""
    region = sub.stream_arn.split(":")[3]
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"arn:aws:lambda:{region}:000000000000:function:{sub.function}",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": shard.attempts,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": shard.shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _arrival(records[0]),
            "approximateArrivalOfLastRecord": _arrival(records[-1]),
            "batchSize": len(records),
            "streamArn": sub.stream_arn,
        },
    }


def stream_resources(cfn: dict[str, Any]) -> set[tuple[str, str]]:
    """What the stream mappings need created: each table's stream and each OnFailure queue."""
    wanted: set[tuple[str, str]] = set()
    for _, table, props in stream_mappings(cfn):
        wanted.add((table, "StreamArn"))
        if queue := destination_queue(props):
            wanted.add((queue, "Arn"))
    return wanted


def stream_subscriptions(
    cfn: dict[str, Any], resources: Any, functions: set[str]
) -> list[StreamSubscription]:
    """The stack's stream subscriptions, with the physical stream ARN and OnFailure queue URL."""
    client = boto3.client("dynamodb")
    found = []
    for function, table, props in stream_mappings(cfn):
        if function not in functions or props.get("Enabled", True) is False:
            continue
        described = client.describe_table(TableName=resources.refs[table])["Table"]
        queue = destination_queue(props)
        found.append(
            StreamSubscription(
                function=function,
                table=table,
                stream_arn=described["LatestStreamArn"],
                batch_size=int(props.get("BatchSize", 100)),
                report_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                bisect=str(props.get("BisectBatchOnFunctionError", False)).lower() == "true",
                max_retries=int(props.get("MaximumRetryAttempts", -1)),
                patterns=filter_patterns(props),
                on_failure_url=resources.refs[queue] if queue else "",
            )
        )
    return found
