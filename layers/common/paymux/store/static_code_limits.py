"""What keeps the static payment code (paymux.checkout.static_code) from writing a session per
POST, unauthenticated as it is:

- reuse: `PK=STATICREUSE#<app>#<fen>#<sha256 of the source IP>`, `SK=STATICREUSE`, the session
  last made for that amount from that address, offered again for REUSE_SECONDS (by default; the
  app's StaticCode.reuse_seconds) while it is open and no payment was started on it (a reload, a
  double tap, a retyped amount);
- a per-code counter per minute: `PK=STATICRATE#<app>#<Unix minute>`, `SK=STATICRATE`, `count`,
  one conditional ADD per new session, refused at the limit (SESSIONS_PER_MINUTE by default,
  the app's StaticCode.sessions_per_minute; a 429 page).

Both items carry the table's TTL attribute `ttl` and are never read after it."""

from __future__ import annotations

import hashlib
from typing import Any

REUSE_SECONDS = 300
SESSIONS_PER_MINUTE = 30  # per code: a busy counter takes a few a minute
_TTL_MARGIN = 3600


def _reuse_key(app_id: str, fen: int, source_ip: str) -> dict[str, Any]:
    address = hashlib.sha256(source_ip.encode()).hexdigest()
    return {"PK": {"S": f"STATICREUSE#{app_id}#{fen}#{address}"}, "SK": {"S": "STATICREUSE"}}


class StaticCodeLimits:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def reusable(
        self, app_id: str, fen: int, source_ip: str, now: float, seconds: int = REUSE_SECONDS
    ) -> str:
        """The session id last made for this amount from this address within `seconds`, or ""."""
        if seconds <= 0:
            return ""
        item = self._ddb.get_item(
            TableName=self._table, Key=_reuse_key(app_id, fen, source_ip), ConsistentRead=True
        ).get("Item")
        if not item or float(item["made_at"]["N"]) + seconds <= now:
            return ""
        return str(item["session_id"]["S"])

    def remember(
        self, app_id: str, fen: int, source_ip: str, session_id: str, now: float, seconds: int = REUSE_SECONDS
    ) -> None:
        if seconds <= 0:
            return  # nothing is offered again: nothing to remember
        item = {
            **_reuse_key(app_id, fen, source_ip),
            "session_id": {"S": session_id},
            "made_at": {"N": str(int(now))},
            "ttl": {"N": str(int(now) + seconds + _TTL_MARGIN)},
        }
        self._ddb.put_item(TableName=self._table, Item=item)

    def claim_session(self, app_id: str, now: float, limit: int = SESSIONS_PER_MINUTE) -> bool:
        """Counts one new session in this minute's counter; False (nothing counted) at `limit`."""
        minute = int(now) // 60
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"PK": {"S": f"STATICRATE#{app_id}#{minute}"}, "SK": {"S": "STATICRATE"}},
                UpdateExpression="ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)",
                ConditionExpression="attribute_not_exists(#count) OR #count < :limit",
                ExpressionAttributeNames={"#count": "count", "#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":ttl": {"N": str((minute + 1) * 60 + _TTL_MARGIN)},
                },
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True
