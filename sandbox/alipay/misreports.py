"""Fault injection: a misbehaving Alipay that signs trade answers and notifies disagreeing with
the order (no ``total_amount``, another ``seller_id`` …). Only for tests of a merchant that must
not believe them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.alipay.store import Trade

Change = Callable[[dict[str, Any]], dict[str, Any]]


class Misreports:
    def __init__(self) -> None:
        self._changes: dict[tuple[str, str], Change] = {}

    def set(self, app_id: str, out_trade_no: str, change: Change | None) -> None:
        if change is None:
            self._changes.pop((app_id, out_trade_no), None)
        else:
            self._changes[(app_id, out_trade_no)] = change

    def report(self, trade: Trade, fields: dict[str, Any]) -> dict[str, Any]:
        """``fields`` (a query answer or notify form) as reported about ``trade``."""
        change = self._changes.get((trade.app_id, trade.out_trade_no))
        return change(dict(fields)) if change is not None else fields
