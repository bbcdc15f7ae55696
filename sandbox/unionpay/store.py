"""Transactions as UnionPay holds them, behind one lock. Every read returns a copy.

A consume (txnType 01) exists from its request on; it is *paid* with ``orig_resp_code``
``00``, *unknown* with 03/04/05, *failed* with any other code, and not yet a transaction
(``None``: a QR code nobody scanned, a gateway form nobody submitted; a query answers 34).
Refunds (04) and undos (31) point at the consume by ``orig_query_id``.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import date

from sandbox.unionpay.errors import AcpError, SandboxStateError
from sandbox.unionpay.times import clearing_day, cst, trace_time

UNKNOWN_CODES = frozenset({"03", "04", "05"})
PAID_CODES = frozenset({"00", "A6"})


@dataclass
class Transaction:
    mer_id: str
    order_id: str
    txn_time: str
    txn_type: str  # 01 consume, 04 refund, 31 undo
    txn_sub_type: str
    biz_type: str
    channel_type: str
    access_type: str
    acq_ins_code: str
    amount: int  # fen
    back_url: str
    created_at: float
    query_id: str
    front_url: str = ""
    pay_timeout: str = ""
    req_reserved: str = ""
    qr_code: str = ""  # a merchant-presented code (01/07)
    tn: str = ""  # an in-app consume's number for UnionPay's app SDK (appTransReq.do)
    qr_no: str = ""  # the payer's code (01/06)
    orig_resp_code: str | None = None
    orig_resp_msg: str = ""
    trace_no: str = ""
    trace_time: str = ""
    completed_at: float | None = None
    settle_date: date | None = None
    fee: int = 0  # fen; for a refund or undo, the fee given back
    orig_query_id: str = ""  # refunds and undos: the consume's queryId
    orig_order_id: str = ""  # … and its orderId, traceNo and traceTime (statement fields)
    orig_trace_no: str = ""
    orig_trace_time: str = ""
    refunded: int = 0  # consumes: refunds and undos accepted, fen
    undone: bool = False
    pay_token: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    card: str = ""  # the masked card (or the payer's account) in statements

    @property
    def paid(self) -> bool:
        return self.orig_resp_code in PAID_CODES


def new_trace_no() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def new_query_id(now: float, trace_no: str) -> str:
    """21 characters, e.g. ``782209081322060674028``: 78, yymmddhhmmss, traceNo, a digit."""
    return f"78{cst(now):%y%m%d%H%M%S}{trace_no}{secrets.randbelow(10)}"


class TransactionStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._by_order: dict[tuple[str, str], Transaction] = {}  # (merId, orderId)
        self._by_query_id: dict[str, tuple[str, str]] = {}

    def add(self, txn: Transaction) -> Transaction:
        with self._lock:
            key = (txn.mer_id, txn.order_id)
            if key in self._by_order:
                raise AcpError("12", "重复交易[orderId]")
            self._by_order[key] = txn
            self._by_query_id[txn.query_id] = key
            return replace(txn)

    def get(self, mer_id: str, order_id: str) -> Transaction | None:
        with self._lock:
            found = self._by_order.get((mer_id, order_id))
            return replace(found) if found else None

    def by_query_id(self, query_id: str) -> Transaction | None:
        with self._lock:
            key = self._by_query_id.get(query_id)
            return replace(self._by_order[key]) if key else None

    def by_token(self, token: str) -> Transaction | None:
        with self._lock:
            for txn in self._by_order.values():
                if txn.pay_token == token:
                    return replace(txn)
            return None

    def find(self, order_id: str, mer_id: str | None = None) -> Transaction:
        with self._lock:
            found = [
                txn for (mid, oid), txn in self._by_order.items() if oid == order_id and mer_id in (None, mid)
            ]
        if len(found) != 1:
            problem = "no" if not found else "more than one"
            raise SandboxStateError(f"{problem} transaction with orderId {order_id}; name the merId")
        return replace(found[0])

    def all(self) -> list[Transaction]:
        with self._lock:
            return [replace(txn) for txn in self._by_order.values()]

    def complete(self, mer_id: str, order_id: str, code: str, msg: str, now: float, fee: int) -> Transaction:
        """Give a transaction its outcome: paid, failed, or still unknown (03/04/05)."""
        with self._lock:
            txn = self._by_order.get((mer_id, order_id))
            if txn is None:
                raise SandboxStateError(f"no transaction {order_id} for merId {mer_id}")
            if txn.paid or (txn.orig_resp_code not in (None, *UNKNOWN_CODES)):
                raise SandboxStateError(f"transaction {order_id} already ended with {txn.orig_resp_code}")
            txn.orig_resp_code, txn.orig_resp_msg = code, msg
            if code in UNKNOWN_CODES:
                return replace(txn)
            txn.trace_no = txn.trace_no or new_trace_no()
            txn.trace_time, txn.completed_at = trace_time(now), now
            if code in PAID_CODES:
                txn.settle_date, txn.fee = clearing_day(now), fee
            elif txn.orig_query_id:
                self._release(txn)
            return replace(txn)

    def _release(self, failed: Transaction) -> None:
        """A refund or undo that failed gives its amount back to what is refundable."""
        original = self._by_order[self._by_query_id[failed.orig_query_id]]
        original.refunded -= failed.amount
        original.undone = original.undone and failed.txn_type != "31"

    def add_against_original(self, txn: Transaction) -> Transaction:
        """Record an accepted refund or undo against its consume, in progress (05). The
        limits are checked under the lock, so that racing refunds cannot together exceed the
        amount paid; the refund gives back its share of the consume's fee (cumulatively, so
        that refunds adding up to the amount give back exactly the whole fee)."""
        with self._lock:
            if (txn.mer_id, txn.order_id) in self._by_order:
                raise AcpError("12", "重复交易[orderId]")
            key = self._by_query_id.get(txn.orig_query_id)
            original = self._by_order.get(key) if key else None
            if original is None or original.mer_id != txn.mer_id or original.txn_type != "01":
                raise AcpError("35", "原交易不存在或状态不正确")
            if not original.paid or original.undone:
                raise AcpError("35", "原交易不存在或状态不正确")
            if txn.txn_type == "31" and original.refunded:
                raise AcpError("35", "原交易已退货，不能撤销")
            if original.refunded + txn.amount > original.amount:
                raise AcpError("36", "退货金额超过原交易可退金额")
            original.undone = txn.txn_type == "31"
            after = original.refunded + txn.amount
            txn.fee = (
                original.fee * after // original.amount - original.fee * original.refunded // original.amount
            )
            txn.orig_order_id = original.order_id
            txn.orig_trace_no, txn.orig_trace_time = original.trace_no, original.trace_time
            txn.orig_resp_code, txn.orig_resp_msg = "05", "交易已受理，请稍后查询交易结果"
            original.refunded = after
            self._by_order[(txn.mer_id, txn.order_id)] = txn
            self._by_query_id[txn.query_id] = (txn.mer_id, txn.order_id)
            return replace(txn)
