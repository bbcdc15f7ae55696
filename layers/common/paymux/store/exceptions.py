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

if TYPE_CHECKING:
    from paymux.deps import Deps

log = logging.getLogger("paymux")


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
    now = d.clock()
    identity = key or f"{kind}#{subject}#{json.dumps(detail, sort_keys=True, default=str)}"
    item = {
        "PK": f"EXC#{identity}",
        "SK": "EXC",
        "kind": kind,
        "subject": subject,
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        "at": now,
        "GSI2PK": "EXCEPTIONS",
        "GSI2SK": f"{iso(now)}#{kind}#{subject}",
    }
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
