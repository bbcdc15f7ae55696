"""Serialize DynamoDB requests inside the embedded moto server.

A moto transaction snapshots state before it writes and, when it fails, restores it: moto's
own `transact_write_items` deep-copies every table it touches, the local stack's replacement
(local/moto_transactions.py) copies the items it names. Under concurrent requests moto's copy
raises `RuntimeError: dictionary changed size during iteration`, and either restore can
silently undo another request's write committed in between. Real DynamoDB makes each
request atomic per item, and cancels a transaction that meets another one in progress on one of
its items (TransactionConflict), which moto never does: paymux retries those
(store/dynamo.transact) and tests inject them (tests/integration/test_transaction_conflicts.py).
Serializing every DynamoDB request in moto keeps requests atomic while they still interleave
with each other (which is where a gateway's read-then-conditional-write races live)."""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()
_applied = False


def serialize_dynamodb_requests() -> None:
    global _applied  # noqa: PLW0603 - patch once per process
    if _applied:
        return
    from moto.dynamodb.responses import DynamoHandler  # noqa: PLC0415

    original = DynamoHandler.call_action

    @functools.wraps(original)
    def call_action(self: Any) -> Any:
        with _LOCK:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _applied = True
