"""Merchant notifications: the outbox item written with a terminal transition, its delivery
state and every delivery attempt, all in the payment's partition.

While a notification is pending it stays in the due index (GSI1PK=DUE#OUTBOX#<shard>, see
paymux.store.due; once the one key DUE#OUTBOX, still read) keyed by the time by which its next
attempt should have happened: written FIRST_OVERDUE seconds after its creation (the writer hands
it to SQS right after its transaction), moved past each retry's delay by the attempt that
schedules it (paymux.services.notifications), by the sweeper's claim when it re-sends it;
settling it removes it. Handing a message to SQS writes nothing. So every pending notification
is either in SQS or overdue on the index: a crash, or a failed send, anywhere between a write and
its SQS message leaves it overdue, and the sweeper sends it again (within FIRST_OVERDUE plus the
planner's minute for a new one).

Size: the signed payload (the whole payment, ~700 bytes) is stored zlib-compressed as
`payload_z` (DynamoDB's guide suggests compressing large attribute values), and each delivery
attempt is appended to the item's own `attempt_log`: a typical notification stays under 1 KB and
an attempt is one conditional write of one item. Items written before keep `payload` as text and
their attempts as `NTF#<id>#ATT#<n>` items; the readers here return both layouts alike."""

from __future__ import annotations

import zlib
from typing import Any

from paymux.clock import iso
from paymux.store.due import due_pk
from paymux.store.dynamo import from_item, query_prefix, to_attr

# A new notification the sweeper has not seen settled this long after it was written is sent
# again (its writer's SQS message was lost): the merchant still hears within about a minute.
FIRST_OVERDUE = 60.0


def notification_item(
    *,
    payment_id: str,
    notification_id: str,
    merchant_id: str,
    app_id: str,
    event_type: str,
    notify_url: str,
    payload: str,
    created_at: float,
) -> dict[str, Any]:
    """The outbox entry, overdue FIRST_OVERDUE seconds after `created_at` unless settled by then."""
    return {
        "PK": f"PAY#{payment_id}",
        "SK": f"NTF#{notification_id}",
        "notification_id": notification_id,
        "payment_id": payment_id,
        "merchant_id": merchant_id,
        "app_id": app_id,
        "type": event_type,
        "notify_url": notify_url,
        "payload_z": zlib.compress(payload.encode(), 9),
        "created_at": created_at,
        "status": "pending",
        "attempts": 0,
        "GSI1PK": due_pk("outbox", notification_id),
        "GSI1SK": f"{iso(created_at + FIRST_OVERDUE)}#{notification_id}",
        "GSI2PK": f"NTF#{notification_id}",  # find a notification by its id alone (resend)
        "GSI2SK": payment_id,
    }


def payload_of(item: dict[str, Any]) -> str:
    """The notification's body, exactly as signed and sent, from either layout."""
    if "payload_z" in item:
        return zlib.decompress(bytes(item["payload_z"])).decode()
    return str(item["payload"])


def _restored(item: dict[str, Any]) -> dict[str, Any]:
    """A stored notification as the services read it: `payload` as text."""
    values = {k: v for k, v in item.items() if k != "payload_z"}
    values["payload"] = payload_of(item)
    return values


def notification_ids_in(items: list[dict[str, Any]]) -> list[str]:
    """The ids of the notifications a TransactWriteItems list puts (its outbox items)."""
    puts = [i["Put"]["Item"] for i in items if "Put" in i]
    return [p["notification_id"]["S"] for p in puts if p["SK"]["S"].startswith("NTF#")]


def _key(payment_id: str, notification_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"PAY#{payment_id}"}, "SK": {"S": f"NTF#{notification_id}"}}


class NotificationStore:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def get(self, payment_id: str, notification_id: str) -> dict[str, Any] | None:
        item = self._ddb.get_item(
            TableName=self._table, Key=_key(payment_id, notification_id), ConsistentRead=True
        ).get("Item")
        return _restored(from_item(item)) if item else None

    def find(self, notification_id: str) -> dict[str, Any] | None:
        page = self._ddb.query(
            TableName=self._table,
            IndexName="GSI2",
            KeyConditionExpression="GSI2PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"NTF#{notification_id}"}},
        )
        items = page.get("Items", [])  # GSI2 projects keys only here: the payment is in the PK
        return self.get(items[0]["PK"]["S"].removeprefix("PAY#"), notification_id) if items else None

    def record_attempt(
        self,
        notification: dict[str, Any],
        number: int,
        result: dict[str, Any],
        final: str | None,
        overdue_at: float = 0.0,
    ) -> None:
        """Logs attempt `number` (1-based) and updates the notification's counters; `final` is
        "delivered" or "failed" when this attempt settles it. One conditional write of the item,
        conditioned on the attempt count, so a duplicate SQS delivery of the same attempt cannot
        log or settle it twice; a retry of this very write whose answer was lost finds it done."""
        payment_id = notification["payment_id"]
        notification_id = notification["notification_id"]
        entry = {k: v for k, v in {"attempt": number, **result}.items() if v is not None}
        update = (
            "SET attempts = :n, last_attempt_at = :at, last_status_code = :code, "
            "attempt_log = list_append(if_not_exists(attempt_log, :none), :entry)"
        )
        values = {
            ":n": to_attr(number),
            ":prev": to_attr(number - 1),
            ":at": to_attr(result["at"]),
            ":code": to_attr(result.get("status_code")),
            ":pending": to_attr("pending"),
            ":none": to_attr([]),
            ":entry": to_attr([entry]),
        }
        if final:
            update += ", #status = :final REMOVE GSI1PK, GSI1SK"
            values[":final"] = to_attr(final)
        else:
            update += ", GSI1PK = :shard, GSI1SK = :due"
            values[":shard"] = to_attr(due_pk("outbox", notification_id))
            values[":due"] = to_attr(f"{iso(overdue_at)}#{notification_id}")
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=_key(payment_id, notification_id),
                UpdateExpression=update,
                ConditionExpression="attempts = :prev AND #status = :pending",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            stored = self.get(payment_id, notification_id) or {}
            if entry not in stored.get("attempt_log", []):
                raise  # another delivery of this attempt got there first, or it was settled

    def reopen(self, payment_id: str, notification_id: str, overdue_at: float) -> dict[str, Any]:
        """A failed notification is re-sent on request: back to pending, attempts kept."""
        result = self._ddb.update_item(
            TableName=self._table,
            Key=_key(payment_id, notification_id),
            UpdateExpression=(
                "SET #status = :pending, resent = if_not_exists(resent, :zero) + :one, "
                "GSI1PK = :outbox, GSI1SK = :due"
            ),
            ConditionExpression="#status = :failed",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":pending": {"S": "pending"},
                ":failed": {"S": "failed"},
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":outbox": {"S": due_pk("outbox", notification_id)},
                ":due": to_attr(f"{iso(overdue_at)}#{notification_id}"),
            },
            ReturnValues="ALL_NEW",
        )
        return _restored(from_item(result["Attributes"]))

    def for_payment(self, payment_id: str) -> list[dict[str, Any]]:
        """Notifications of a payment, each with its attempts in order."""
        items = query_prefix(self._ddb, self._table, f"PAY#{payment_id}", "NTF#", consistent=True)
        notifications = {
            i["SK"]: {**_restored(i), "attempt_log": list(i.get("attempt_log", []))}
            for i in items
            if "#ATT#" not in i["SK"]
        }
        for item in items:  # the attempts of notifications written before they were kept inline
            if "#ATT#" in item["SK"]:
                notifications[item["SK"].split("#ATT#")[0]]["attempt_log"].append(item)
        for notification in notifications.values():
            notification["attempt_log"].sort(key=lambda a: int(a["attempt"]))
        return list(notifications.values())
