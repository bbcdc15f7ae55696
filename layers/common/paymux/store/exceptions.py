"""Operational exceptions: verified channel messages we could not apply (unknown order, amount
mismatch, payment after close …) and merchant notifications that gave up. Recorded durably and
idempotently, never dropped."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from paymux.clock import iso
from paymux.observability import emit_metric
from paymux.store.dynamo import to_item
from paymux.store.payment_keys import shard_of

if TYPE_CHECKING:
    from paymux.deps import Deps

log = logging.getLogger("paymux")
# A storm of one cause (a misconfigured channel retrying mismatching callbacks) must not put
# more than ~1,000 writes a second on one GSI2 key: exceptions spread over EXCEPTION_SHARDS keys.
EXCEPTION_SHARDS = 8
LEGACY_EXCEPTIONS_KEY = "EXCEPTIONS"  # the one key of exceptions recorded before the shards


def exception_index_keys() -> list[str]:
    """Every GSI2PK an exception can carry: the shards, then the key of older records."""
    return [f"{LEGACY_EXCEPTIONS_KEY}#{n}" for n in range(EXCEPTION_SHARDS)] + [LEGACY_EXCEPTIONS_KEY]


def exception_item(d: Deps, kind: str, subject: str, detail: dict[str, Any], key: str = "") -> dict[str, Any]:
    """The record of one exception, as stored (record_exception, or a transaction's Put that
    opens it together with the change that caused it)."""
    now = d.clock()
    identity = key or f"{kind}#{subject}#{json.dumps(detail, sort_keys=True, default=str)}"
    return {
        "PK": f"EXC#{identity}",
        "SK": "EXC",
        "kind": kind,
        "subject": subject,
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        "at": now,
        "GSI2PK": f"{LEGACY_EXCEPTIONS_KEY}#{shard_of(identity, EXCEPTION_SHARDS)}",
        "GSI2SK": f"{iso(now)}#{kind}#{subject}",
    }


def record_exception(
    d: Deps,
    kind: str,
    subject: str,
    detail: dict[str, Any],
    key: str = "",
    metric: str | None = "CallbackExceptions",
) -> None:
    """`key` makes repeats of one cause (a callback retried by the channel) one record. `metric`
    (which CallbackExceptionsAlarm watches) is None for what must not page operators."""
    item = exception_item(d, kind, subject, detail, key)
    try:
        d.dynamodb.put_item(
            TableName=d.settings.table,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(PK)",
        )
    except d.dynamodb.exceptions.ConditionalCheckFailedException:
        return
    if metric:
        emit_metric(metric)
    log.error("exception recorded: %s %s", kind, subject)
