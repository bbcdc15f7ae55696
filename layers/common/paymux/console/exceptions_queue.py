"""The exceptions queue (operators): what services.exceptions lists, each with an id, and a
resolve action. Resolving takes the record off the queue's index (GSI2) and keeps it, with who
resolved it, when and why; it is audited (console.audit). A record resolved already is a 409,
an unknown id a 404; nothing is written then. A `reversal_unconfirmed` record (a payer-code
reversal the channel accepted while its trade still reads paid, services/reversal_review) also
needs the operator's `outcome` (`closed` or `paid`), applied to its payment before the record
is resolved, so resolving it always leaves the payment in a final state."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from paymux.clock import iso
from paymux.console.audit import action_item
from paymux.console.identity import ConsoleUser
from paymux.deps import Deps
from paymux.errors import Conflict, NotFound, ValidationFailed
from paymux.services.exceptions import newest_items
from paymux.services.reversal_review import REVERSAL_UNCONFIRMED, resolve_unconfirmed
from paymux.store.dynamo import cancellation_codes, transact

MAX_NOTE = 500
# off the queue index (GSI2), kept with who, when and why
RESOLVE = "SET resolved_at = :at, resolved_by = :by, resolution = :note REMOVE GSI2PK, GSI2SK"


def exception_id(pk: str) -> str:
    return base64.urlsafe_b64encode(pk.encode()).decode().rstrip("=")


def _pk(identifier: str) -> str:
    try:
        pk = base64.urlsafe_b64decode(identifier + "=" * (-len(identifier) % 4)).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise NotFound("no such exception") from exc
    if not pk.startswith("EXC#"):
        raise NotFound("no such exception")
    return pk


def open_exceptions(d: Deps, user: ConsoleUser, limit: int = 50) -> list[dict[str, Any]]:
    """The queue, newest first: the unresolved records."""
    user.require_operator()
    return [
        {
            "id": exception_id(i["PK"]),
            "kind": i["kind"],
            "subject": i["subject"],
            "at": iso(i["at"]),
            "detail": json.loads(i["detail"]),
        }
        for i in newest_items(d, limit)
    ]


def resolve(d: Deps, user: ConsoleUser, identifier: str, body: dict[str, Any]) -> dict[str, Any]:
    user.require_operator()
    note = body.get("note", "")
    if not isinstance(note, str) or not 1 <= len(note.strip()) <= MAX_NOTE:
        raise ValidationFailed(
            "note is required", details=[{"field": "note", "message": f"1-{MAX_NOTE} characters"}]
        )
    pk = _pk(identifier)
    outcome = _decide(d, user, pk, body)
    now = d.clock()
    ddb = d.dynamodb
    resolution = {
        "TableName": d.settings.table,
        "Key": {"PK": {"S": pk}, "SK": {"S": "EXC"}},
        "UpdateExpression": RESOLVE,
        "ConditionExpression": "attribute_exists(PK) AND attribute_exists(GSI2PK)",
        "ExpressionAttributeValues": {
            ":at": {"N": repr(now)},
            ":by": {"S": user.actor},
            ":note": {"S": note},
        },
    }
    audit = action_item(d, user, "exception.resolved", pk.removeprefix("EXC#"), {"note": note, **outcome})
    try:  # the resolution and its audit record together, or neither (a retry then finds it open)
        items = [{"Update": resolution}, {"Put": {"TableName": d.settings.table, "Item": audit}}]
        transact(ddb, d.settings.table, "exception.resolve", items)
    except ddb.exceptions.TransactionCanceledException as exc:
        if cancellation_codes(exc)[:1] != ["ConditionalCheckFailed"]:
            raise
        found = ddb.get_item(TableName=d.settings.table, Key={"PK": {"S": pk}, "SK": {"S": "EXC"}}).get(
            "Item"
        )
        if found is None:
            raise NotFound("no such exception") from exc
        raise Conflict("exception_resolved", "this exception is resolved already") from exc
    done = {"id": identifier, "resolved_at": iso(now), "resolved_by": user.actor, "resolution": note}
    return done | outcome


def _decide(d: Deps, user: ConsoleUser, pk: str, body: dict[str, Any]) -> dict[str, Any]:
    """What a record's kind needs before it is resolved: for a reversal_unconfirmed one, the
    operator's outcome applied to its payment (`outcome` and the payment's status returned)."""
    key = {"PK": {"S": pk}, "SK": {"S": "EXC"}}
    found = d.dynamodb.get_item(TableName=d.settings.table, Key=key).get("Item")
    if found is None:
        raise NotFound("no such exception")
    if found.get("kind", {}).get("S") != REVERSAL_UNCONFIRMED or "GSI2PK" not in found:
        return {}  # other kinds: the note alone; a resolved record: the 409 below
    detail = json.loads(found["detail"]["S"])
    payment = resolve_unconfirmed(d, detail, body.get("outcome"), user.actor)
    return {"outcome": body["outcome"], "payment_status": payment.status.value}
