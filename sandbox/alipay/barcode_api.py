"""``alipay.trade.pay`` with ``scene=bar_code`` (the payer's payment code, 条码支付) and
``alipay.trade.cancel``, as the sandbox's gateway serves them (signed like every answer).

What a code does (``PayerCodes``), by its last two digits unless scripted: ``00`` paid at once
(10000); ``01`` 10003 (WAIT_BUYER_PAY, the payer confirms), then paid after 3 queries; ``02``
10003 forever; ``03`` 40004 ACQ.PAYMENT_AUTH_CODE_INVALID; ``04`` 40004
ACQ.BUYER_BALANCE_NOT_ENOUGH; ``05`` 20000 (isp.unknow-error) although paid; anything else paid.
A refused code makes no trade. A repeated trade.pay of the same out_trade_no never charges again
(the store answers it as Alipay does: ACQ.TRADE_HAS_SUCCESS, ACQ.CONTEXT_INCONSISTENT, or 10003
while the payer still confirms). trade.cancel closes a waiting trade (``action`` close) or
refunds a paid one in full (``action`` refund); ``retry_flag`` is Y for the next
``retry_next_cancels`` cancels (the trade unchanged)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.alipay.envelope import GatewayRequest
from sandbox.alipay.errors import GatewayError, business, invalid_parameter
from sandbox.alipay.orders import build_trade
from sandbox.alipay.store import PAID_STATES, WAIT_BUYER_PAY, SandboxStore, new_buyer_id
from sandbox.alipay.times import alipay_time
from sandbox.alipay.validation import text, trade_reference

KINDS = ("paid", "userpaying_then_paid", "userpaying", "invalid", "not_enough", "system_error")
BY_DIGITS = dict(zip(("00", "01", "02", "03", "04", "05"), KINDS, strict=True))
FAILURES = {
    "invalid": (
        "ACQ.PAYMENT_AUTH_CODE_INVALID",
        "支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款",
    ),
    "not_enough": ("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足"),
}


@dataclass
class Script:
    kind: str
    queries_left: int = 3


class PayerCodes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, Script] = {}
        self._waiting: dict[tuple[str, str], Script] = {}
        self.retries = 0  # cancels still to answer retry_flag Y

    def script(self, code: str, kind: str, queries: int = 3) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        with self._lock:
            self._scripts[code] = Script(kind, queries)

    def kind(self, code: str) -> Script:
        with self._lock:
            found = self._scripts.get(code)
        return Script(found.kind, found.queries_left) if found else Script(BY_DIGITS.get(code[-2:], "paid"))

    def wait(self, key: tuple[str, str], script: Script) -> None:
        with self._lock:
            self._waiting.setdefault(key, script)

    def queried(self, key: tuple[str, str]) -> bool:
        with self._lock:
            script = self._waiting.get(key)
            if script is None or script.kind != "userpaying_then_paid":
                return False
            script.queries_left -= 1
            if script.queries_left > 0:
                return False
            del self._waiting[key]
            return True

    def take_retry(self) -> bool:
        with self._lock:
            if self.retries <= 0:
                return False
            self.retries -= 1
            return True


def _waiting() -> GatewayError:
    return GatewayError("10003", "Waiting for buyer to pay (等待用户付款)")


class BarcodeApi:
    def __init__(
        self,
        store: SandboxStore,
        clock: Callable[[], float],
        codes: PayerCodes,
        query: Callable[[GatewayRequest], dict[str, Any]],
    ) -> None:
        self._store, self._clock, self._codes, self._query = store, clock, codes, query
        self.handlers = {
            "alipay.trade.pay": self.pay,
            "alipay.trade.cancel": self.cancel,
            "alipay.trade.query": self.query,
        }

    def pay(self, request: GatewayRequest) -> dict[str, Any]:
        biz = request.biz
        if biz.get("scene") != "bar_code":
            raise invalid_parameter("参数无效：scene只支持bar_code")
        code = text(biz, "auth_code", required=True, maximum=32)
        script = self._codes.kind(code)
        if script.kind in FAILURES:
            raise business(*FAILURES[script.kind])
        now = self._clock()
        trade = self._store.place(build_trade(request, now, require_https_notify=False), now)
        key = (trade.app_id, trade.out_trade_no)
        if trade.status != WAIT_BUYER_PAY:
            raise business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
        if script.kind in ("userpaying", "userpaying_then_paid"):
            self._codes.wait(key, script)
            raise _waiting()
        paid = self._store.pay(
            trade.app_id, trade.out_trade_no, new_buyer_id(), request.merchant.fee_rate_bp, now
        )
        if script.kind == "system_error":
            raise GatewayError("20000", "Service Currently Unavailable", "isp.unknow-error", "系统繁忙")
        return {
            "trade_no": paid.trade_no,
            "out_trade_no": paid.out_trade_no,
            "buyer_user_id": paid.buyer_id,
            "total_amount": f"{paid.total // 100}.{paid.total % 100:02d}",
            "receipt_amount": f"{paid.total // 100}.{paid.total % 100:02d}",
            "gmt_payment": alipay_time(now),
        }

    def query(self, request: GatewayRequest) -> dict[str, Any]:
        """trade.query; a payer who confirms meanwhile has paid by this query."""
        out_trade_no, _ = trade_reference(request.biz)
        key = (request.merchant.app_id, out_trade_no)
        now = self._clock()
        trade = self._store.trade(key[0], out_trade_no, now) if out_trade_no else None
        if trade is not None and trade.status == WAIT_BUYER_PAY and self._codes.queried(key):
            self._store.pay(key[0], out_trade_no, new_buyer_id(), request.merchant.fee_rate_bp, now)
        return self._query(request)

    def cancel(self, request: GatewayRequest) -> dict[str, Any]:
        out_trade_no, trade_no = trade_reference(request.biz)
        now = self._clock()
        trade = self._store.existing(request.merchant.app_id, out_trade_no, trade_no, now)
        if self._codes.take_retry():  # "call again": nothing was done
            return {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no, "retry_flag": "Y"}
        if trade.status == WAIT_BUYER_PAY:
            self._store.close(trade.app_id, trade.out_trade_no, "", now)
            action = "close"
        elif trade.status in PAID_STATES:
            self._store.refund(trade.app_id, (trade.out_trade_no, ""), None, trade.total, "cancel", now)
            action = "refund"
        else:
            action = ""  # closed already: nothing to do
        return {
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "retry_flag": "N",
            "action": action,
        }
