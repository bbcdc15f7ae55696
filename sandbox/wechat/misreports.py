"""Fault injection: a misbehaving WeChat Pay that signs Transactions disagreeing with the order
(no ``amount``, another ``mchid`` …). Only for tests of a merchant that must not believe them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.wechat import resources
from sandbox.wechat.store import Order

Change = Callable[[dict[str, Any]], dict[str, Any]]


class Misreports:
    def __init__(self) -> None:
        self._changes: dict[tuple[str, str], Change] = {}

    def set(self, mchid: str, out_trade_no: str, change: Change | None) -> None:
        if change is None:
            self._changes.pop((mchid, out_trade_no), None)
        else:
            self._changes[(mchid, out_trade_no)] = change

    def transaction(self, order: Order) -> dict[str, Any]:
        """The Transaction as reported: the truth, changed if a change is set for the order."""
        truth = resources.transaction(order)
        change = self._changes.get((order.mchid, order.out_trade_no))
        return change(truth) if change is not None else truth
