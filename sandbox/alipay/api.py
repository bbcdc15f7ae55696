"""The server-to-server methods of ``/gateway.do``, after the envelope was authenticated.

Each handler takes a ``GatewayRequest`` and returns the business fields of a ``10000
Success`` answer, or raises ``GatewayError`` with Alipay's code and sub_code.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sandbox.alipay import resources
from sandbox.alipay.envelope import GatewayRequest
from sandbox.alipay.errors import GatewayError
from sandbox.alipay.misreports import Misreports
from sandbox.alipay.orders import build_trade
from sandbox.alipay.store import SandboxStore
from sandbox.alipay.validation import amount_fen, text, trade_reference

Handler = Callable[[GatewayRequest], dict[str, Any]]


class TradeApi:
    def __init__(
        self,
        store: SandboxStore,
        clock: Callable[[], float],
        base_url: Callable[[], str],
        *,
        require_https_notify: bool,
        misreports: Misreports | None = None,
    ) -> None:
        self._misreports = misreports or Misreports()
        self._store = store
        self._clock = clock
        self._base_url = base_url
        self._require_https_notify = require_https_notify
        self.refund_faults: list[GatewayError] = []  # a test's injected refusals, oldest first
        self._faults_lock = threading.Lock()
        self.handlers: dict[str, Handler] = {
            "alipay.trade.precreate": self.precreate,
            "alipay.trade.query": self.query,
            "alipay.trade.close": self.close,
            "alipay.trade.refund": self.refund,
            "alipay.trade.fastpay.refund.query": self.refund_query,
        }

    def precreate(self, request: GatewayRequest) -> dict[str, Any]:
        """The QR order; it becomes a trade only once a payer scans ``qr_code``."""
        now = self._clock()
        trade = self._store.place(
            build_trade(request, now, require_https_notify=self._require_https_notify), now
        )
        return {
            "out_trade_no": trade.out_trade_no,
            "qr_code": f"{self._base_url()}/sandbox/scan?code={trade.qr_code}",
        }

    def query(self, request: GatewayRequest) -> dict[str, Any]:
        out_trade_no, trade_no = trade_reference(request.biz)
        trade = self._store.existing(request.merchant.app_id, out_trade_no, trade_no, self._clock())
        return self._misreports.report(trade, resources.trade_query(trade))

    def close(self, request: GatewayRequest) -> dict[str, Any]:
        out_trade_no, trade_no = trade_reference(request.biz)
        trade = self._store.close(request.merchant.app_id, out_trade_no, trade_no, self._clock())
        return {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no}

    def refund(self, request: GatewayRequest) -> dict[str, Any]:
        """Synchronous: the money is back when the answer says ``fund_change`` Y."""
        with self._faults_lock:
            fault = self.refund_faults.pop(0) if self.refund_faults else None
        if fault is not None:
            raise fault
        biz = request.biz
        reference = trade_reference(biz)
        amount = amount_fen(biz, "refund_amount")
        out_request_no = text(biz, "out_request_no", maximum=64) or None
        reason = text(biz, "refund_reason", maximum=256) or None
        refund, trade, new = self._store.refund(
            request.merchant.app_id, reference, out_request_no, amount, reason, self._clock()
        )
        return resources.refund_answer(refund, trade, fund_change=new)

    def refund_query(self, request: GatewayRequest) -> dict[str, Any]:
        """An unknown ``out_request_no`` is a Success without refund fields (Alipay's way of
        saying "no such refund"); an unknown trade is ACQ.TRADE_NOT_EXIST."""
        biz = request.biz
        reference = trade_reference(biz)
        out_request_no = text(biz, "out_request_no", required=True, maximum=64)
        trade = self._store.existing(request.merchant.app_id, reference[0], reference[1], self._clock())
        refund = self._store.refund_record(request.merchant.app_id, trade, out_request_no)
        if refund is None:
            return {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no}
        return resources.refund_query(refund, trade)
