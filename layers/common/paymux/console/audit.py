"""Every change made from the console, stored with the user's identity (Cognito `sub` and
username) and logged as one line: `CAUDIT#<UTC day>` / `<ISO time>#<ulid>` in the table.
What a change did (the services' own `updated_by` and audit lines) is kept as well; this record
says who, from the console, asked for it."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from paymux.clock import iso
from paymux.console.identity import ConsoleUser
from paymux.deps import Deps
from paymux.domain.ids import ulid
from paymux.store.dynamo import from_item, to_item

log = logging.getLogger("paymux")


def audit_key(at: float) -> str:
    return f"CAUDIT#{datetime.fromtimestamp(at, UTC).date().isoformat()}"


def record_action(d: Deps, user: ConsoleUser, action: str, target: str, detail: dict[str, Any]) -> None:
    """`detail` holds what was asked (field names and new values), never credentials."""
    now = d.clock()
    item = {
        "PK": audit_key(now),
        "SK": f"{iso(now)}#{ulid(now)}",
        "action": action,
        "target": target,
        "sub": user.sub,
        "username": user.username,
        "role": user.role,
        "at": now,
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
    }
    d.dynamodb.put_item(TableName=d.settings.table, Item=to_item(item))
    log.info("console audit: %s %s by %s (%s)", action, target, user.username, user.sub)


def actions_on(d: Deps, at: float) -> list[dict[str, Any]]:
    """The console's audit records of the UTC day of `at`, oldest first."""
    items = d.dynamodb.query(
        TableName=d.settings.table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": audit_key(at)}},
    ).get("Items", [])
    return [from_item(i) for i in items]
