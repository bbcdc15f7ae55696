"""``HuifuSandbox``: a local Huifu 斗拱 (e-CNY) API, its keys, its payers and its notifies."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable, Sequence
from datetime import date
from email.message import Message
from typing import Any

from sandbox.common.http import Reply, ServingThread
from sandbox.common.lifecycle import ServedSandbox
from sandbox.huifu.api import JSON, SysIds, TradeApi
from sandbox.huifu.bill import Bills
from sandbox.huifu.keys import GeneratedSysId, new_key, public_pem
from sandbox.huifu.notify import NOTIFY_DELAYS, NotifyAttempt, NotifyDispatcher
from sandbox.huifu.orders import Order, OrderBook
from sandbox.huifu.payments import Payments, Refused

HTML = {"Content-Type": "text/html; charset=utf-8"}


class HuifuSandbox(ServedSandbox):
    """See sandbox/huifu/README.md."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        notify_time_scale: float = 1.0,
        notify_delays: Sequence[float] = NOTIFY_DELAYS,
    ) -> None:
        self._host, self._port, self._clock = host, port, clock
        self._key = new_key()  # Huifu's own: signs answers and notifies
        self._book = OrderBook()
        self._sys_ids = SysIds()
        self._notifier = NotifyDispatcher(clock, notify_delays, notify_time_scale)
        self._http = ServingThread("huifu-sandbox-http")
        self._payments = Payments(self._book, self._notifier, self._key, clock, lambda: self.base_url)
        self._bills = Bills(self._book, clock, lambda: self.base_url)
        self._api = TradeApi(self._book, self._payments, self._sys_ids, self._key, clock)

    # lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        if self._http.start(self._host, self._port, self, logging.getLogger("sandbox.huifu")):
            self._notifier.start()

    def stop(self) -> None:
        self._notifier.stop()
        self._http.stop()

    @property
    def public_key_pem(self) -> bytes:
        """Huifu's public key: what a merchant verifies answers and notifies with."""
        return public_pem(self._key.public_key())

    # merchants -------------------------------------------------------------------------------
    def register(self, identity: GeneratedSysId, sub_merchants: Sequence[str] = ()) -> None:
        """A sys_id (its public key verifies its requests) and the huifu_ids it acts for: itself,
        and for a service provider (渠道商) the merchants it onboarded."""
        self._sys_ids.register(identity, tuple(sub_merchants))

    # the payer's side ------------------------------------------------------------------------
    def order(self, req_seq_id: str) -> Order:
        return self._book.find(req_seq_id)

    def orders(self) -> list[Order]:
        return self._book.all()

    def pay(self, req_seq_id: str) -> Order:
        """The payer scans and pays a QR code, or confirms a pending payer code; notified."""
        return self._payments.pay(req_seq_id)

    def pay_late(self, req_seq_id: str) -> Order:
        """The wallet's payment completes after the order timed out (F) at Huifu: paid anyway."""
        return self._payments.pay(req_seq_id, late=True)

    def fail(self, req_seq_id: str) -> Order:
        return self._payments.fail(req_seq_id)

    def script_payer_code(self, auth_code: str, outcome: str) -> None:
        """What a D_MICROPAY with `auth_code` answers: S paid (the default), P pending (the
        payer confirms in the wallet: `pay` or `fail` later), F refused (90000000), or another
        8-digit resp_code, answered as it stands while the order is left pending (P) behind it
        (a code whose answer says nothing paymux can rely on: `pay` or `fail` later)."""
        if outcome not in ("S", "P", "F") and not (len(outcome) == 8 and outcome.isdigit()):
            raise ValueError("outcome is S, P, F or an 8-digit resp_code")
        self._payments.payer_codes[auth_code] = outcome

    @property
    def auto_complete_refunds(self) -> bool:
        return self._payments.auto_complete_refunds

    @auto_complete_refunds.setter
    def auto_complete_refunds(self, value: bool) -> None:
        self._payments.auto_complete_refunds = value

    def complete_refunds(self) -> list[str]:
        done = []
        for order in self._book.all():
            for refund in order.refunds:
                if refund.stat == "P":
                    self._payments.finish_refund(order, refund)
                    done.append(refund.req_seq_id)
        return done

    # notifies and files ----------------------------------------------------------------------
    def notice_form(self, data: dict[str, Any]) -> dict[str, str]:
        """`data` as a notify form signed by Huifu (crafted notifies in tests)."""
        return self._payments.notice_form(data)

    @property
    def notify_log(self) -> list[NotifyAttempt]:
        return self._notifier.log

    def wait_for_notifies(self, timeout: float = 5.0) -> bool:
        return self._notifier.wait_idle(timeout)

    def set_file_ready(self, day: date, ready: bool | None = True) -> None:
        self._bills.set_ready(day, ready)

    def statement_rows(self, huifu_id: str, day: date) -> list[dict[str, str]]:
        return self._bills.rows(huifu_id, day)

    # HTTP ------------------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        path = target.split("?", 1)[0]
        if method == "POST" and path.startswith("/v"):
            return self._api.handle(path, body, {"/v2/trade/check/filequery": self._bills.file_query})
        if method == "GET" and path.startswith("/files/"):
            raw = self._bills.download(path.removeprefix("/files/").removesuffix(".zip"))
            return (200, {"Content-Type": "application/zip"}, raw) if raw else (404, JSON, b"{}")
        if path.startswith("/ecny/qr/"):
            return self._pay_page(method, path.removeprefix("/ecny/qr/"))
        return 404, JSON, b'{"resp_code":"404"}'

    def _pay_page(self, method: str, hf: str) -> Reply:
        order = next((o for o in self._book.all() if o.hf_seq_id == hf.removesuffix("/pay")), None)
        if order is None:
            return 404, HTML, b"<p>no such e-CNY order</p>"
        if method == "POST":
            try:
                self._payments.pay(order.req_seq_id)
            except Refused as exc:
                return 409, HTML, f"<p>{html.escape(exc.desc)}</p>".encode()
        amount = f"{order.amount // 100}.{order.amount % 100:02d}"
        page = (
            f"<!doctype html><title>数字人民币 sandbox</title><h1>¥{amount}</h1>"
            f"<p>{html.escape(order.goods_desc)} — {order.stat}</p>"
            f'<form method="post" action="/ecny/qr/{order.hf_seq_id}/pay">'
            "<button>用数字人民币支付</button></form>"
        )
        return 200, HTML, page.encode()
