"""What the Huifu sandbox holds: e-CNY orders (D_NATIVE, D_MICROPAY) and their refunds."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))
_SEQ = itertools.count(1)


def beijing(ts: float, fmt: str = "%Y%m%d%H%M%S") -> str:
    return datetime.fromtimestamp(int(ts), CHINA).strftime(fmt)


def parse_beijing(text: str) -> float | None:
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=CHINA).timestamp()
    except ValueError:
        return None


def hf_seq_id(now: float) -> str:
    """A global serial in Huifu's shape: 0029000topA + yyMMddHHmmss + a unique tail."""
    return f"0029000topD{beijing(now)[2:]}P{next(_SEQ):09d}c0a80000"


@dataclass
class Refund:
    req_seq_id: str
    req_date: str
    amount: int  # fen
    hf_seq_id: str
    created_at: float
    notify_url: str
    stat: str = "P"  # P → S (or F)
    finished_at: float | None = None


@dataclass
class Order:
    huifu_id: str
    req_seq_id: str
    req_date: str
    trade_type: str  # D_NATIVE | D_MICROPAY
    amount: int  # fen
    goods_desc: str
    notify_url: str
    created_at: float
    expires_at: float
    hf_seq_id: str
    qr_code: str = ""
    auth_code: str = ""
    stat: str = "P"  # P (waiting for the payer) → S | F
    end_time: float | None = None
    fee: int = 0
    refunds: list[Refund] = field(default_factory=list)

    @property
    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds if r.stat in ("P", "S"))


class OrderBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orders: dict[tuple[str, str, str], Order] = {}  # (huifu_id, req_date, req_seq_id)
        self._refunds: dict[tuple[str, str, str], tuple[Order, Refund]] = {}

    @property
    def lock(self) -> threading.Lock:
        return self._lock

    def add(self, order: Order) -> bool:
        key = (order.huifu_id, order.req_date, order.req_seq_id)
        if key in self._orders or any(k[0] == key[0] and k[2] == key[2] for k in self._refunds):
            return False
        self._orders[key] = order
        return True

    def get(self, huifu_id: str, req_date: str, req_seq_id: str) -> Order | None:
        return self._orders.get((huifu_id, req_date, req_seq_id))

    def find(self, req_seq_id: str) -> Order:
        for (_, _, number), order in self._orders.items():
            if number == req_seq_id:
                return order
        raise KeyError(req_seq_id)

    def add_refund(self, order: Order, refund: Refund) -> bool:
        key = (order.huifu_id, refund.req_date, refund.req_seq_id)
        if key in self._refunds:
            return False
        self._refunds[key] = (order, refund)
        order.refunds.append(refund)
        return True

    def refund(self, huifu_id: str, req_date: str, req_seq_id: str) -> tuple[Order, Refund] | None:
        return self._refunds.get((huifu_id, req_date, req_seq_id))

    def all(self) -> list[Order]:
        return list(self._orders.values())
