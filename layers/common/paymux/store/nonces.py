"""Replay protection: each (app, nonce) is accepted once within the freshness window."""

from __future__ import annotations

from typing import Any

NONCE_TTL_SECONDS = 900  # longer than the ±300 s window, so a nonce cannot come back valid


class NonceStore:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def claim(self, app_id: str, nonce: str, now: float) -> bool:
        """True the first time; False if this nonce was already used."""
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item={
                    "PK": {"S": f"NONCE#{app_id}#{nonce}"},
                    "SK": {"S": "NONCE"},
                    "ttl": {"N": str(int(now) + NONCE_TTL_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(PK)",
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True
