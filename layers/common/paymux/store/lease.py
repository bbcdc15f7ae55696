"""A lease item: at most one holder at a time, until it releases it or the lease expires."""

from __future__ import annotations

from typing import Any


class LeaseStore:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    @staticmethod
    def _key(name: str) -> dict[str, Any]:
        return {"PK": {"S": f"LEASE#{name}"}, "SK": {"S": "LEASE"}}

    def acquire(self, name: str, owner: str, now: float, seconds: float) -> bool:
        """Takes lease `name` for `owner` until now + seconds, if nobody holds it or the
        holder's time is over (a crashed run's lease is taken over once it expires)."""
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item={
                    **self._key(name),
                    "owner": {"S": owner},
                    "acquired_at": {"N": repr(now)},
                    "expires_at": {"N": repr(now + seconds)},
                },
                ConditionExpression="attribute_not_exists(PK) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": repr(now)}},
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, name: str, owner: str) -> bool:
        """Gives the lease back, only if `owner` still holds it."""
        try:
            self._ddb.delete_item(
                TableName=self._table,
                Key=self._key(name),
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": {"S": owner}},
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def holder(self, name: str) -> dict[str, Any] | None:
        item = self._ddb.get_item(TableName=self._table, Key=self._key(name), ConsistentRead=True).get("Item")
        if not item:
            return None
        return {"owner": item["owner"]["S"], "expires_at": float(item["expires_at"]["N"])}
