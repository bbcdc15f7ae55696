"""Operators' view of exceptions: verified channel messages that could not be applied."""

from __future__ import annotations

import json
from typing import Any

from paymux.clock import iso
from paymux.deps import Deps
from paymux.store.dynamo import from_item

MAX_PAGE = 100


def list_exceptions(d: Deps, limit: int = 50, kind: str = "") -> list[dict[str, Any]]:
    """Newest first; `kind` filters (unknown_order, trade_mismatch, paid_after_terminal …)."""
    page = d.dynamodb.query(
        TableName=d.settings.table,
        IndexName="GSI2",
        KeyConditionExpression="GSI2PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "EXCEPTIONS"}},
        ScanIndexForward=False,
        Limit=max(1, min(limit, MAX_PAGE)),
    )
    items = [from_item(i) for i in page.get("Items", [])]
    return [
        {"kind": i["kind"], "subject": i["subject"], "at": iso(i["at"]), "detail": json.loads(i["detail"])}
        for i in items
        if not kind or i["kind"] == kind
    ]
