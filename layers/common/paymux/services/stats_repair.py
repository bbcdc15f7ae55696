"""StatsRepairFunction: the stream batches StatsStreamFunction gave up on, counted after all.

When a batch fails all its retries, Lambda's event source mapping moves past it and puts the
batch's description on StatsStreamDeadLetterQueue: its `DDBStreamBatchInfo` (shard, first and
last sequence numbers, stream ARN, size, approximate arrival times), not the records. Each such
message is handled here:

- the records are read again from the stream (GetShardIterator AT_SEQUENCE_NUMBER of the first,
  GetRecords up to the last) and folded by `stats_stream.consume`, the stream function's own
  code: a record's marker makes a record already applied add nothing, so a duplicated message,
  or one handled again after a timeout, counts nothing twice;
- a failure that may pass (a throttle, a conflict, an expired iterator, records still applied
  partly) raises: SQS delivers the message again, and after `maxReceiveCount` receives moves
  it to StatsRepairDeadLetterQueue (alarmed);
- when the records are gone (older than the stream's 24 h: TrimmedDataAccessException, or a
  closed shard already deleted), the days they can have counted on are put on the operators'
  exception list (kind `stats_records_lost`, metric StatsRecordsLost) with the backfill command.
  The backfill is not run from here: it replaces the days' buckets with a recount read a moment
  before, so a record the live stream folds into those days in between would be lost (late
  outcomes do land on past days: a success counts at its `paid_at`). An operator runs it at a
  quiet time; running it twice fixes a race. docs/operations.md#runbook-stats-records-lost."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from paymux.clock import CHINA
from paymux.deps import Deps
from paymux.errors import Busy
from paymux.services.stats_stream import consume
from paymux.store.day_payments import MAX_PAID_DAYS_AFTER
from paymux.store.exceptions import record_exception

log = logging.getLogger(__name__)
# The stream mapping's FilterCriteria (template.yaml): what StatsStreamFunction was handed.
STREAM_KEYS = frozenset({"PAY", "REFUND", "CHECKOUT"})
# The records are gone (trimmed past 24 h, or their closed shard deleted with them).
GONE = frozenset({"TrimmedDataAccessException", "ResourceNotFoundException"})
PAGE = 1000  # GetRecords' maximum
# An open shard can answer empty pages before the records it holds; past these, try later.
MAX_EMPTY_PAGES = 20
SEQUENCE = re.compile(r"[0-9]{1,40}")
SHARD = re.compile(r"shardId-[0-9A-Za-z-]{1,60}")
LOST_KIND = "stats_records_lost"
UNREADABLE_KIND = "stats_repair_unreadable"
LOST_METRIC = "StatsRecordsLost"


class UnreadableFailure(ValueError):
    """Not a description of one of this table's stream batches: no retry can read it."""


class RepairIncomplete(Busy):
    """Some records are not applied yet (a throttle, a conflict): the message comes back."""


@dataclass(frozen=True, slots=True)
class BatchInfo:
    shard_id: str
    start: str
    end: str
    stream_arn: str
    batch_size: int
    first_arrival: float | None
    last_arrival: float | None


def _instant(value: Any) -> float | None:
    """An ISO 8601 time of the failure record ("2019-11-14T00:13:19Z"), as epoch seconds."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def parse(body: str, table: str) -> BatchInfo:
    """The failure record's DDBStreamBatchInfo, checked to be a batch of `table`'s stream."""
    try:
        message = json.loads(body)
        info = message["DDBStreamBatchInfo"]
        shard, start, end = (
            str(info["shardId"]),
            str(info["startSequenceNumber"]),
            str(info["endSequenceNumber"]),
        )
        arn, size = str(info["streamArn"]), int(info.get("batchSize") or 0)
    except (ValueError, TypeError, KeyError) as exc:
        raise UnreadableFailure(f"not a stream failure record: {exc!r}") from exc
    if not (SHARD.fullmatch(shard) and SEQUENCE.fullmatch(start) and SEQUENCE.fullmatch(end)):
        raise UnreadableFailure(f"bad shard or sequence numbers: {shard} {start}..{end}")
    if int(start) > int(end):
        raise UnreadableFailure(f"sequence numbers out of order: {start}..{end}")
    if not re.fullmatch(
        rf"arn:[\w-]+:dynamodb:[\w-]+:\d{{12}}:table/{re.escape(table)}/stream/[\w.:-]+", arn
    ):
        raise UnreadableFailure(f"not a stream of table {table}: {arn}")
    first = _instant(info.get("approximateArrivalOfFirstRecord"))
    last = _instant(info.get("approximateArrivalOfLastRecord"))
    failed_at = _instant(message.get("timestamp"))
    return BatchInfo(shard, start, end, arn, size, first or last or failed_at, last or first or failed_at)


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as the event source mapping hands it over (epoch creation time)."""
    change = dict(record.get("dynamodb") or {})
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": change, "eventSourceARN": stream_arn}


def read_batch(streams: Any, info: BatchInfo) -> list[dict[str, Any]] | None:
    """The stream's records from `info.start` to `info.end` (inclusive), in order; None when
    they are gone. Other errors raise (the message is retried)."""
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=info.stream_arn,
            ShardId=info.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=info.start,
        )["ShardIterator"]
        records: list[dict[str, Any]] = []
        empty = 0
        while iterator:  # None: a closed shard read to its end
            page = streams.get_records(ShardIterator=iterator, Limit=PAGE)
            iterator = page.get("NextShardIterator")
            for record in page.get("Records", []):
                sequence = int(record["dynamodb"]["SequenceNumber"])
                if sequence > int(info.end):
                    return records
                records.append(lambda_record(record, info.stream_arn))
                if sequence == int(info.end):
                    return records
            empty = 0 if page.get("Records") else empty + 1
            if empty > MAX_EMPTY_PAGES:
                raise RepairIncomplete(f"stream {info.shard_id}: no records up to {info.end} yet")
        return records
    except streams.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in GONE:
            return None
        raise


def _day(at: float) -> date:
    return datetime.fromtimestamp(at, CHINA).date()


def affected_days(info: BatchInfo, now: float) -> tuple[date, date]:
    """The Asia/Shanghai days the lost records can have counted on: a record's outcome counts
    at its own time (`paid_at`, `succeeded_at` …), which is at most MAX_PAID_DAYS_AFTER days
    before it reached the stream (store.day_payments), never after."""
    last = _day(info.last_arrival or now)
    return _day(info.first_arrival or now) - timedelta(days=MAX_PAID_DAYS_AFTER), last


def report_lost(d: Deps, info: BatchInfo) -> str:
    first, last = affected_days(info, d.clock())
    command = f"python -m ops --stack NAME stats backfill --from {first} --to {last}"
    record_exception(
        d,
        LOST_KIND,
        f"{first}..{last}",
        {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "command": command,
            "shard": info.shard_id,
            "first_sequence": info.start,
            "last_sequence": info.end,
            "records": info.batch_size,
            "why": "the stream no longer holds these records (over 24 h): rebuild the days from the payments",
        },
        key=f"{LOST_KIND}#{info.shard_id}#{info.start}#{info.end}",
        metric=LOST_METRIC,
    )
    return f"records gone; exception raised for {first}..{last}"


def repair(d: Deps, body: str, message_id: str = "") -> str:
    """Handles one failure record; returns what it did (for the log), raises to be retried."""
    try:
        info = parse(body, d.settings.table)
    except UnreadableFailure as exc:
        detail = {"message_id": message_id, "error": str(exc), "body": body[:2000]}
        record_exception(d, UNREADABLE_KIND, message_id or "?", detail, metric=LOST_METRIC)
        return f"unreadable, put on the exception list: {exc}"
    records = read_batch(d.dynamodbstreams, info)
    if records is None:
        return report_lost(d, info)
    wanted = [r for r in records if (r["dynamodb"].get("Keys") or {}).get("SK", {}).get("S") in STREAM_KEYS]
    if info.batch_size and len(wanted) != info.batch_size:
        log.warning(
            "stats repair: %d records in %s..%s, the failure said %d",
            len(wanted),
            info.start,
            info.end,
            info.batch_size,
        )
    failures = consume(d.dynamodb, d.settings.table, wanted, d.clock(), d.settings.stats_shards)[
        "batchItemFailures"
    ]
    if failures:
        raise RepairIncomplete(f"stats repair: records from {failures[0]['itemIdentifier']} not applied yet")
    return f"{len(wanted)} records of {info.shard_id} {info.start}..{info.end} folded"
