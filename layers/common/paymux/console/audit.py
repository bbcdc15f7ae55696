"""Every change made from the console, stored with the user's identity (Cognito `sub` and
username) and logged as one line: `CAUDIT#<UTC day>` / `<ISO time>#<ulid>` in the table.
What a change did (the services' own `updated_by` and audit lines) is kept as well; this record
says who, from the console, asked for it.

The audit page reads them newest first, a page at a time, without a scan: a UTC day is its own
partition; by actor (username) or by target, the record is also on the KEYS_ONLY indexes GSI1
(`CAUDIT_BY#<username>`) and GSI3 (`CAUDIT_ON#<target>`) with the same sort key, so a day
narrows either by key. The cost: each record is three writes (the item and its two index
entries, 1 KB each at most) where it was one; operators' actions are rare, reads are the page's."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from paymux.clock import iso
from paymux.console.identity import ConsoleUser
from paymux.deps import Deps
from paymux.domain.ids import ulid
from paymux.errors import ValidationFailed
from paymux.services.report_export import report_day
from paymux.store.dynamo import batch_get, from_item, to_item

log = logging.getLogger("paymux")
PAGE = 50
MAX_PAGE = 100
MAX_KEY = 128  # an actor (username) or a target (an id) to look for
# record_action's sort key, `<ISO time>#<ulid>` (47 characters): a cursor's must be one, or the
# ExclusiveStartKey would name another partition than the query's (DynamoDB: ValidationException)
SORT_KEY = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z#[0-9A-HJKMNP-TV-Z]{26}")
BY_ACTOR = ("GSI1", "GSI1PK", "GSI1SK", "CAUDIT_BY#")
ON_TARGET = ("GSI3", "GSI3PK", "GSI3SK", "CAUDIT_ON#")


def audit_key(at: float) -> str:
    return f"CAUDIT#{datetime.fromtimestamp(at, UTC).date().isoformat()}"


def record_action(d: Deps, user: ConsoleUser, action: str, target: str, detail: dict[str, Any]) -> None:
    """`detail` holds what was asked (field names and new values), never credentials."""
    d.dynamodb.put_item(TableName=d.settings.table, Item=action_item(d, user, action, target, detail))
    log.info("console audit: %s %s by %s (%s)", action, target, user.username, user.sub)


def action_item(
    d: Deps, user: ConsoleUser, action: str, target: str, detail: dict[str, Any]
) -> dict[str, Any]:
    """The audit record of an action, as a wire item: for a write that must go with its change
    in one transaction (console.exceptions_queue.resolve)."""
    now = d.clock()
    sort_key = f"{iso(now)}#{ulid(now)}"
    item = {
        "PK": audit_key(now),
        "SK": sort_key,
        "GSI1PK": BY_ACTOR[3] + user.username,
        "GSI1SK": sort_key,
        "GSI3PK": ON_TARGET[3] + target,
        "GSI3SK": sort_key,
        "action": action,
        "target": target,
        "sub": user.sub,
        "username": user.username,
        "role": user.role,
        "at": now,
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
    }
    return to_item(item)


def actions_on(d: Deps, at: float) -> list[dict[str, Any]]:
    """The console's audit records of the UTC day of `at`, oldest first."""
    items = d.dynamodb.query(
        TableName=d.settings.table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": audit_key(at)}},
    ).get("Items", [])
    return [from_item(i) for i in items]


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", details=[{"field": field, "message": message}])


def _limit(raw: str) -> int:
    if not raw:
        return PAGE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise _refuse("limit", f"1-{MAX_PAGE}")
    return int(raw)


def _cursor(raw: str, partition: str, day: str) -> dict[str, Any] | None:
    """A cursor is the last key of the previous page, for this same query only: its sort key is
    a record's, of the queried day (the partition's own, or `day` on an index)."""
    if not raw:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, dict) or set(key) != {"partition", "sk"} or key["partition"] != partition:
        raise _refuse("next", "not a cursor of this listing")
    sort_key = key["sk"]
    if not isinstance(sort_key, str) or not SORT_KEY.fullmatch(sort_key):
        raise _refuse("next", "not a cursor of this listing")
    if not sort_key.startswith(day):
        raise _refuse("next", "not a cursor of this listing's day")
    return key


def _encode(partition: str, sort_key: str) -> str:
    raw = json.dumps({"partition": partition, "sk": sort_key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _query(query: dict[str, str]) -> tuple[tuple[str, str, str, str], str, str]:
    """(index, partition value, day prefix of the sort key) of the listing asked for."""
    actor, target, raw_day = query.get("actor", ""), query.get("target", ""), query.get("day", "")
    if actor and target:
        raise _refuse("target", "filter by actor or by target, not both")
    for name, value in (("actor", actor), ("target", target)):
        if len(value) > MAX_KEY:
            raise _refuse(name, f"at most {MAX_KEY} characters")
    day = report_day(raw_day).isoformat() if raw_day else ""
    if actor or target:
        index = BY_ACTOR if actor else ON_TARGET
        return index, index[3] + (actor or target), day
    return ("", "PK", "SK", "CAUDIT#"), "", day  # the day's own partition (today unless given)


def listing(d: Deps, user: ConsoleUser, query: dict[str, str]) -> dict[str, Any]:
    """GET /console/api/audit?[day=][&actor=|&target=][&limit=][&next=]: newest first. With
    neither actor nor target, one UTC day (today unless given); with one, every day or `day`."""
    user.require_operator()
    index, partition, day = _query(query)
    if not partition:
        day = day or datetime.fromtimestamp(d.clock(), UTC).date().isoformat()
        partition = f"CAUDIT#{day}"
    limit, after = _limit(query.get("limit", "")), _cursor(query.get("next", ""), partition, day)
    name, pk, sk, _ = index
    condition, values = f"{pk} = :pk", {":pk": {"S": partition}}
    if day and name:
        condition += f" AND begins_with({sk}, :day)"
        values[":day"] = {"S": day}
    asked: dict[str, Any] = {
        "TableName": d.settings.table,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if name:
        asked["IndexName"] = name
    if after is not None:
        asked["ExclusiveStartKey"] = _start_key(index, partition, after["sk"])
    page = _read(d, asked)
    items = [from_item(i) for i in page.get("Items", [])]
    if name:  # a KEYS_ONLY index: the records themselves, by key
        found = batch_get(
            d.dynamodb, d.settings.table, [{"PK": i["PK"], "SK": i["SK"]} for i in page["Items"]]
        )
        items = sorted(found, key=lambda i: i["SK"], reverse=True)
    last = page.get("LastEvaluatedKey")
    following = _encode(partition, from_item(last)[sk]) if last else None
    return {"data": [_public(i) for i in items], "day": day or None, "next": following}


def _read(d: Deps, asked: dict[str, Any]) -> dict[str, Any]:
    """The query; a start key DynamoDB still refuses (none _cursor lets through should be) is
    the cursor's fault, so a 422 like any other bad cursor, not a 500."""
    try:
        return dict(d.dynamodb.query(**asked))
    except d.dynamodb.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code != "ValidationException" or "ExclusiveStartKey" not in asked:
            raise
        log.warning("console audit: DynamoDB refused a cursor: %s", exc)
        raise _refuse("next", "not a cursor of this listing") from exc


def _start_key(index: tuple[str, str, str, str], partition: str, sort_key: str) -> dict[str, Any]:
    """The ExclusiveStartKey of a page after `sort_key` (an audit record's SK is its index SK too)."""
    name, pk, sk, _ = index
    base = {"PK": audit_key_of(sort_key), "SK": sort_key}
    return to_item(base if not name else {**base, pk: partition, sk: sort_key})


def audit_key_of(sort_key: str) -> str:
    return f"CAUDIT#{sort_key[:10]}"


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": iso(item["at"]),
        "action": item["action"],
        "target": item["target"],
        "username": item["username"],
        "sub": item["sub"],
        "role": item["role"],
        "detail": json.loads(item["detail"]),
    }
