"""Orders and refunds as WeChat Pay holds them, behind one lock.

Business rules that WeChat enforces on state live here (duplicate ``out_trade_no``, closing a
paid order, refund limits, ``out_refund_no`` idempotency). Every read returns a copy.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from sandbox.wechat.crypto import random_digits
from sandbox.wechat.errors import ApiError, SandboxStateError, invalid_request

CST = timezone(timedelta(hours=8), "Asia/Shanghai")  # no DST in China since 1991

PAID_STATES = frozenset({"SUCCESS", "REFUND"})


def cst(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, CST)


def rfc3339(timestamp: float) -> str:
    """``2015-05-20T13:29:35+08:00``, the form of every WeChat time field."""
    return cst(timestamp).isoformat(timespec="seconds")


@dataclass
class Order:
    mchid: str
    appid: str
    out_trade_no: str
    trade_type: str  # NATIVE, JSAPI, APP or MWEB (H5)
    description: str
    notify_url: str
    total: int
    currency: str
    attach: str | None
    device_id: str
    created_at: float
    expires_at: float | None
    fingerprint: str  # the canonical request body: a retry must repeat it exactly
    prepay: dict[str, str]  # the create response body, returned again on an identical retry
    pay_token: str  # the ``pr`` of a code_url, or the prepay_id
    payer_openid: str | None
    trade_state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: float | None = None
    bank_type: str | None = None
    refunded: int = 0  # accepted refunds (processing or successful), in fen
    # a partner order: ``mchid``/``appid`` are the provider's (sp_mchid, sp_appid)
    sub_mchid: str = ""
    sub_appid: str = ""
    payer_kind: str = "openid"  # the payer field the order named: openid, sp_openid or sub_openid


@dataclass
class Refund:
    mchid: str
    out_refund_no: str
    refund_id: str
    out_trade_no: str
    transaction_id: str
    refund: int
    total: int
    currency: str
    reason: str | None
    notify_url: str | None
    funds_account: str
    created_at: float
    fingerprint: str
    status: str = "PROCESSING"
    success_time: float | None = None
    channel: str = "ORIGINAL"
    user_received_account: str = "支付用户零钱"
    sub_mchid: str = ""  # a partner refund: ``mchid`` is the provider's (sp_mchid)


def new_transaction_id(now: float) -> str:
    """28 digits, e.g. ``4200000925202101284997714292``."""
    return f"4200{random_digits(6)}{cst(now):%Y%m%d}{random_digits(10)}"


def new_refund_id(now: float) -> str:
    """29 digits, e.g. ``50300604212020051600550537447``."""
    return f"503{random_digits(8)}{cst(now):%Y%m%d}{random_digits(10)}"


class SandboxStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._orders: dict[tuple[str, str], Order] = {}
        self._refunds: dict[tuple[str, str], Refund] = {}

    # orders -------------------------------------------------------------------------------

    def create_order(self, order: Order) -> Order:
        """Store a new order, or return the stored one when the request is an exact retry."""
        with self._lock:
            existing = self._orders.get((order.mchid, order.out_trade_no))
            if existing is None:
                self._orders[(order.mchid, order.out_trade_no)] = order
                return replace(order)
            if existing.fingerprint != order.fingerprint:
                raise invalid_request("201 商户订单号重复")
            if existing.trade_state in PAID_STATES:
                raise ApiError(400, "ORDERPAID", "该订单已支付")
            if existing.trade_state == "CLOSED":
                raise ApiError(400, "ORDERCLOSED", "订单已关闭")
            return replace(existing)

    def order(self, mchid: str, out_trade_no: str) -> Order | None:
        with self._lock:
            found = self._orders.get((mchid, out_trade_no))
            return replace(found) if found else None

    def order_by_transaction(self, mchid: str, transaction_id: str) -> Order | None:
        with self._lock:
            for order in self._orders.values():
                if order.mchid == mchid and order.transaction_id == transaction_id:
                    return replace(order)
            return None

    def order_by_token(self, pay_token: str) -> Order | None:
        with self._lock:
            for order in self._orders.values():
                if order.pay_token == pay_token:
                    return replace(order)
            return None

    def orders(self) -> list[Order]:
        with self._lock:
            return [replace(order) for order in self._orders.values()]

    def close(self, mchid: str, out_trade_no: str) -> None:
        """NOTPAY → CLOSED. Repeated closes and unknown orders also succeed, as on WeChat."""
        with self._lock:
            order = self._orders.get((mchid, out_trade_no))
            if order is None:
                return
            if order.trade_state in PAID_STATES:
                raise ApiError(400, "ORDERPAID", "该订单已支付")
            order.trade_state = "CLOSED"

    def pay(self, mchid: str, out_trade_no: str, openid: str, now: float) -> Order:
        with self._lock:
            order = self._orders.get((mchid, out_trade_no))
            if order is None:
                raise SandboxStateError(f"no order {out_trade_no} for merchant {mchid}")
            if order.trade_state != "NOTPAY":
                raise SandboxStateError(f"order {out_trade_no} is {order.trade_state}")
            if order.expires_at is not None and now > order.expires_at:
                raise SandboxStateError(f"order {out_trade_no} expired at its time_expire")
            order.trade_state = "SUCCESS"
            order.transaction_id = new_transaction_id(now)
            order.success_time = now
            order.bank_type = "OTHERS"
            order.payer_openid = order.payer_openid or openid
            return replace(order)

    def settle_code(self, mchid: str, out_trade_no: str, now: float) -> Order:
        """A payer-code order (MICROPAY) the payer confirmed: USERPAYING → SUCCESS."""
        with self._lock:
            order = self._orders[(mchid, out_trade_no)]
            if order.trade_state != "USERPAYING":
                raise SandboxStateError(f"order {out_trade_no} is {order.trade_state}")
            order.trade_state = "SUCCESS"
            order.transaction_id = new_transaction_id(now)
            order.success_time = now
            order.bank_type = "OTHERS"
            return replace(order)

    def revoke_code(self, mchid: str, out_trade_no: str) -> Order:
        """A reversed payer-code order: REVOKED; a charge it had is given back to the payer, so
        it is no payment of the day's bill (success_time cleared)."""
        with self._lock:
            order = self._orders[(mchid, out_trade_no)]
            order.trade_state = "REVOKED"
            order.success_time = None
            return replace(order)

    # refunds ------------------------------------------------------------------------------

    def create_refund(self, refund: Refund, order_key: tuple[str, str]) -> tuple[Refund, bool]:
        """Accept a refund against a paid order; an exact retry returns the stored refund."""
        with self._lock:
            existing = self._refunds.get((refund.mchid, refund.out_refund_no))
            if existing is not None:
                if existing.fingerprint != refund.fingerprint:
                    raise invalid_request("退款单号已存在，但请求参数与之前不一致，请核实后再试")
                return replace(existing), False
            order = self._orders.get(order_key)
            if order is None:
                raise ApiError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
            if order.trade_state not in PAID_STATES:
                raise invalid_request("订单未支付，不能发起退款")
            if refund.total != order.total:
                raise invalid_request("退款请求中的订单金额total与原订单金额不一致")
            if order.refunded + refund.refund > order.total:
                raise invalid_request("申请退款金额超过订单可退金额")
            order.refunded += refund.refund
            order.trade_state = "REFUND"
            self._refunds[(refund.mchid, refund.out_refund_no)] = refund
            return replace(refund), True

    def refund(self, mchid: str, out_refund_no: str) -> Refund | None:
        with self._lock:
            found = self._refunds.get((mchid, out_refund_no))
            return replace(found) if found else None

    def refunds(self) -> list[Refund]:
        with self._lock:
            return [replace(refund) for refund in self._refunds.values()]

    def reissue_refund(self, mchid: str, out_refund_no: str, channel: str, account: str) -> Refund:
        """ABNORMAL → PROCESSING, paid out again to ``account`` (apply-abnormal-refund)."""
        with self._lock:
            refund = self._refunds.get((mchid, out_refund_no))
            if refund is None:
                raise SandboxStateError(f"no refund {out_refund_no} for merchant {mchid}")
            if refund.status != "ABNORMAL":
                raise invalid_request("退款单状态不是退款异常，不能发起异常退款")
            refund.status, refund.channel, refund.user_received_account = "PROCESSING", channel, account
            return replace(refund)

    def finish_refund(self, mchid: str, out_refund_no: str, status: str, now: float) -> Refund:
        """PROCESSING → SUCCESS or ABNORMAL."""
        with self._lock:
            refund = self._refunds.get((mchid, out_refund_no))
            if refund is None:
                raise SandboxStateError(f"no refund {out_refund_no} for merchant {mchid}")
            if refund.status != "PROCESSING":
                raise SandboxStateError(f"refund {out_refund_no} is already {refund.status}")
            refund.status = status
            if status == "SUCCESS":
                refund.success_time = now
            return replace(refund)
