"""Marshalling between Python values and DynamoDB attribute values, condition helpers, and the
one way a transaction is written (`transact`)."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from paymux.errors import Busy, IllegalTransition

_ATTR = dict[str, Any]
TOKEN_LENGTH = 36  # DynamoDB's limit for a ClientRequestToken


def to_attr(value: Any) -> _ATTR:  # noqa: PLR0911 - one branch per attribute type
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, float):
        return {"N": repr(value)}
    if isinstance(value, Decimal):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes):
        return {"B": value}
    if isinstance(value, dict):
        return {"M": {str(k): to_attr(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attr(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__}")


def from_attr(attr: _ATTR) -> Any:  # noqa: PLR0911 - one branch per attribute type
    ((kind, value),) = attr.items()
    if kind == "S":
        return value
    if kind == "N":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "B":
        return bytes(value)
    if kind == "M":
        return {k: from_attr(v) for k, v in value.items()}
    if kind == "L":
        return [from_attr(v) for v in value]
    raise TypeError(f"unsupported attribute type {kind}")


def to_item(values: dict[str, Any]) -> dict[str, _ATTR]:
    return {k: to_attr(v) for k, v in values.items() if v is not None}


def from_item(item: dict[str, _ATTR]) -> dict[str, Any]:
    return {k: from_attr(v) for k, v in item.items()}


def _binary(value: object) -> str:
    """Binary attribute values (bytes) in a token's canonical JSON: as base64."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot put {type(value).__name__} in a request token")


def request_token(table: str, operation: str, items: list[dict[str, Any]]) -> str:
    """The ClientRequestToken of one transaction: a digest of the table, the operation's name
    (e.g. "payment.transition#pay_…#v3>SUCCESS") and its exact items. The same operation sent
    again — by the SDK's retry after a lost response, or by a caller repeating it — carries the
    same token, so DynamoDB answers the success it already applied (for 10 minutes) instead of
    failing the retry on its own condition. Two different operations, or one operation with
    different items (two racing writers of the same version), get different tokens, so a
    token never meets other items (IdempotentParameterMismatch) by accident."""
    canonical = json.dumps([table, operation, items], sort_keys=True, separators=(",", ":"), default=_binary)
    return hashlib.sha256(canonical.encode()).hexdigest()[:TOKEN_LENGTH]


CONFLICT_RETRIES = 4  # then Busy (503): nothing was written, the caller may send it again
CONFLICT_BACKOFF = 0.02  # seconds, doubled per retry, with full jitter


def transact(
    client: Any,
    table: str,
    operation: str,
    items: list[dict[str, Any]],
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Every TransactWriteItems goes through here, with its operation's token. DynamoDB cancels
    a transaction that meets another one in progress on one of its items (TransactionConflict;
    botocore does not retry it): such a cancellation, with no condition failed, is retried a
    few times and then raised as Busy. Any other cancellation raises TransactionCanceledException
    as before (callers read its reasons)."""
    token = request_token(table, operation, items)
    for retry in range(CONFLICT_RETRIES + 1):
        try:
            client.transact_write_items(TransactItems=items, ClientRequestToken=token)
            return
        except client.exceptions.IdempotentParameterMismatchException as exc:
            # Only a digest collision gets here: to the caller it is a write that lost a race.
            raise IllegalTransition(f"{operation}: its request token was used by other items") from exc
        except client.exceptions.TransactionCanceledException as exc:
            codes = set(cancellation_codes(exc))
            if "TransactionConflict" not in codes or not codes <= {"TransactionConflict", "None"}:
                raise
            if retry == CONFLICT_RETRIES:
                raise Busy(f"{operation}: another write kept touching the same items; retry") from exc
            sleep(random.uniform(0, CONFLICT_BACKOFF * 2**retry))  # noqa: S311 - jitter, not secrecy  # nosec B311


def cancellation_reasons(exc: Exception) -> list[dict[str, Any]]:
    """The per-item reasons of a cancelled transaction, each with "Code" and, when the item
    asked for ReturnValuesOnConditionCheckFailure=ALL_OLD, the "Item" as it was."""
    response = getattr(exc, "response", {}) or {}
    return list(response.get("CancellationReasons") or [])


def cancellation_codes(exc: Exception) -> list[str]:
    """The per-item reasons of a cancelled transaction ("ConditionalCheckFailed", "None" …)."""
    return [str(r.get("Code", "None")) for r in cancellation_reasons(exc)]


def query_all(client: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item of a Query, following LastEvaluatedKey, as plain Python values."""
    items: list[dict[str, Any]] = []
    while True:
        page = client.query(**kwargs)
        items.extend(from_item(i) for i in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def query_prefix(client: Any, table: str, pk: str, prefix: str, *, consistent: bool) -> list[dict[str, Any]]:
    """Every item of partition `pk` whose sort key starts with `prefix`, as plain values."""
    return query_all(
        client,
        TableName=table,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :p)",
        ExpressionAttributeValues={":pk": {"S": pk}, ":p": {"S": prefix}},
        ConsistentRead=consistent,
    )


BATCH_GET_LIMIT = 100  # keys per BatchGetItem
BATCH_GET_RETRIES = 8  # throttled keys come back as UnprocessedKeys: re-asked with backoff


def batch_get(
    client: Any,
    table: str,
    keys: list[dict[str, Any]],
    consistent: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """The items at `keys` (those that exist, in no particular order), as plain Python values."""
    return [from_item(i) for i in batch_get_items(client, table, keys, consistent, sleep)]


def batch_get_items(
    client: Any,
    table: str,
    keys: list[dict[str, Any]],
    consistent: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """The items at `keys` in attribute-value form: BatchGetItem in chunks of 100, re-asking for
    UnprocessedKeys with jittered backoff, then Busy."""
    items: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_GET_LIMIT):
        pending: dict[str, Any] = {
            table: {"Keys": keys[start : start + BATCH_GET_LIMIT], "ConsistentRead": consistent}
        }
        for retry in range(BATCH_GET_RETRIES + 1):
            page = client.batch_get_item(RequestItems=pending)
            items.extend(page.get("Responses", {}).get(table, []))
            pending = page.get("UnprocessedKeys") or {}
            if not pending:
                break
            if retry == BATCH_GET_RETRIES:
                raise Busy(f"BatchGetItem on {table}: keys still unprocessed after {retry} retries")
            sleep(random.uniform(0, CONFLICT_BACKOFF * 2**retry))  # noqa: S311 - jitter, not secrecy  # nosec B311
    return items
