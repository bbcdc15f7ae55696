"""`Idempotency-Key` on every POST: the first response for a key is stored and replayed for the
same key and payload; the same key with another payload is refused. Keys live 24 h per app."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from paymux.api.http import Request
from paymux.deps import Deps
from paymux.errors import Conflict, InProgress, PaymuxError, ValidationFailed
from paymux.store.dynamo import from_item, to_attr, to_item
from paymux.store.merchants import MerchantApp

HEADER = "idempotency-key"
KEY_TTL_SECONDS = 24 * 3600
ABANDONED_AFTER = 120.0  # longer than any function's timeout: the first attempt died
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

Result = tuple[int, Any]


def idempotent(
    d: Deps, app: MerchantApp, request: Request, operation: Callable[[], Result]
) -> tuple[int, Any, dict[str, str]]:
    key = request.header(HEADER)
    if not key:
        status, payload = operation()
        return status, payload, {}
    if not _KEY.match(key):
        raise ValidationFailed(
            "bad Idempotency-Key",
            details=[{"field": "Idempotency-Key", "message": "1-255 printable ASCII characters"}],
        )
    fingerprint = hashlib.sha256(
        f"{request.method}\n{request.path_with_query}\n".encode() + request.body
    ).hexdigest()
    record_key = {"PK": {"S": f"IDEM#{app.app_id}#{key}"}, "SK": {"S": "IDEM"}}
    now = d.clock()
    replay = _claim(d, record_key, fingerprint, now)
    if replay is not None:
        return replay[0], replay[1], {"Idempotent-Replayed": "true"}
    try:
        status, payload = operation()
    except PaymuxError as exc:
        # the outcome may change on retry (a 5xx, or an error that says so: Paymux-Should-Retry
        # true): let the key be used again, so that the retry the marker invites runs
        if exc.status >= 500 or exc.should_retry:
            d.dynamodb.delete_item(TableName=d.settings.table, Key=record_key)
        else:
            error = {
                "code": exc.code,
                "message": exc.message,
                **({"details": exc.details} if exc.details else {}),
            }
            _store(d, record_key, exc.status, {"error": error})
        raise
    except Exception:
        d.dynamodb.delete_item(TableName=d.settings.table, Key=record_key)
        raise
    _store(d, record_key, status, payload)
    return status, payload, {}


def _claim(d: Deps, record_key: dict[str, Any], fingerprint: str, now: float) -> Result | None:
    """Claims the key; returns the stored response when the key was already used."""
    ddb = d.dynamodb
    claim = {
        "state": "in_progress",
        "fingerprint": fingerprint,
        "claimed_at": now,
        "ttl": int(now + KEY_TTL_SECONDS),
    }
    try:
        ddb.put_item(
            TableName=d.settings.table,
            Item={**record_key, **to_item(claim)},
            ConditionExpression=(
                "attribute_not_exists(PK) OR (#state = :progress AND claimed_at < :abandoned)"
            ),
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":progress": to_attr("in_progress"),
                ":abandoned": to_attr(now - ABANDONED_AFTER),
            },
        )
        return None
    except ddb.exceptions.ConditionalCheckFailedException:
        item = from_item(
            ddb.get_item(TableName=d.settings.table, Key=record_key, ConsistentRead=True)["Item"]
        )
    if item["fingerprint"] != fingerprint:
        raise Conflict("idempotency_key_reused", "this Idempotency-Key was used with a different request")
    if item["state"] != "done":
        raise InProgress(
            "idempotency_key_in_use",
            "a request with this Idempotency-Key is still being processed; retry shortly",
        )
    return int(item["response_status"]), json.loads(item["response_body"])


def _store(d: Deps, record_key: dict[str, Any], status: int, payload: Any) -> None:
    d.dynamodb.update_item(
        TableName=d.settings.table,
        Key=record_key,
        UpdateExpression="SET #state = :done, response_status = :status, response_body = :body",
        ExpressionAttributeNames={"#state": "state"},
        ExpressionAttributeValues={
            ":done": to_attr("done"),
            ":status": to_attr(status),
            ":body": to_attr(json.dumps(payload, ensure_ascii=False, separators=(",", ":"))),
        },
    )
