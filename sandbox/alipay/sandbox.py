"""``AlipaySandbox``: a local Alipay OpenAPI gateway, its key, its payers and its notifications."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode, urlsplit

from sandbox.alipay import resources
from sandbox.alipay.api import TradeApi
from sandbox.alipay.apps import AppRegistry, SandboxApp
from sandbox.alipay.auth_api import AuthApi
from sandbox.alipay.authorization import AppAuthorizations
from sandbox.alipay.barcode_api import BarcodeApi, PayerCodes
from sandbox.alipay.bill_api import BillApi
from sandbox.alipay.crypto import NOTIFY_EXCLUDED, new_rsa_key, public_pem, rsa2_sign, sign_content
from sandbox.alipay.envelope import (
    DEFAULT_TIMESTAMP_TOLERANCE,
    GatewayRequest,
    authenticate,
    parse_order_string,
    response_key,
)
from sandbox.alipay.errors import GatewayError, SandboxStateError, business
from sandbox.alipay.jsapi import PATHS as JSAPI_PATHS
from sandbox.alipay.jsapi import InApp, JsapiTradeApi, UserAuthorizations
from sandbox.alipay.mini_program import PATHS as MINI_PROGRAM_PATHS
from sandbox.alipay.mini_program import MiniPrograms
from sandbox.alipay.misreports import Change, Misreports
from sandbox.alipay.notify import ALIPAY_NOTIFY_DELAYS, Notification, NotifyAttempt, NotifyDispatcher
from sandbox.alipay.orders import build_trade
from sandbox.alipay.server import GatewayApp, GatewayConfig, render_response
from sandbox.alipay.store import Event, Refund, SandboxStore, Trade
from sandbox.alipay.times import alipay_time
from sandbox.alipay.validation import yuan
from sandbox.common.http import ServingThread
from sandbox.common.lifecycle import ServedSandbox

APP_PAY_METHOD = "alipay.trade.app.pay"
_SWEEP_INTERVAL_SECONDS = 0.2


class AlipaySandbox(ServedSandbox):
    """See ``sandbox/alipay/README.md`` for the behaviour; the constructor only builds a key."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        notify_retry_delays: Sequence[float] = ALIPAY_NOTIFY_DELAYS,
        notify_time_scale: float = 1.0,
        require_https_notify: bool = False,
        notify_on_close: bool = False,
        *,
        notify_on_finish: bool = False,
        timestamp_tolerance: float | None = DEFAULT_TIMESTAMP_TOLERANCE,
    ) -> None:
        self._host, self._port = host, port
        self._clock = clock
        self._require_https_notify = require_https_notify
        self._notify_on_close = notify_on_close
        self._notify_on_finish = notify_on_finish
        self._timestamp_tolerance = timestamp_tolerance
        self._alipay_key = new_rsa_key()
        self._apps = AppRegistry()
        self._store = SandboxStore(self._on_event)
        self._notifier = NotifyDispatcher(self._alipay_key, clock, notify_retry_delays, notify_time_scale)
        self._http = ServingThread("alipay-sandbox-http")
        self._stopping = threading.Event()
        self._sweeper: threading.Thread | None = None
        self._stopped = False
        self._misreports = Misreports()
        self._trades = trades = TradeApi(
            self._store,
            clock,
            lambda: self.base_url,
            require_https_notify=require_https_notify,
            misreports=self._misreports,
        )
        self._payer_codes = PayerCodes()
        barcode = BarcodeApi(self._store, clock, self._payer_codes, trades.query)
        self._bills = BillApi(self._store, clock, lambda: self.base_url)
        self.app_auth = AppAuthorizations(self._apps, clock, self._notifier.submit)  # 第三方应用授权
        auth_api = AuthApi(self.app_auth)
        self.user_auth = UserAuthorizations(self._apps, clock)  # 网页授权 of users (JSAPI)
        jsapi = JsapiTradeApi(self._store, self.user_auth, clock, require_https_notify=require_https_notify)
        in_app = InApp(self.user_auth, self._store, clock, self.pay)
        self.mini_programs = MiniPrograms(self.user_auth, in_app)  # my.getAuthCode, my.tradePay
        config = GatewayConfig(
            apps=self._apps,
            store=self._store,
            handlers=trades.handlers
            | barcode.handlers
            | self._bills.handlers
            | auth_api.handlers
            | jsapi.handlers,
            alipay_key=self._alipay_key,
            clock=clock,
            timestamp_tolerance=timestamp_tolerance,
            base_url=lambda: self.base_url,
            bill_download=self._bills.download,
            resolve_token=self.app_auth.resolve,
            auth_page=auth_api.page,
            in_app=self.mini_programs.handle,  # its own paths; JSAPI's go to in_app.handle
            in_app_paths=JSAPI_PATHS + MINI_PROGRAM_PATHS,
        )
        self._app = GatewayApp(config, self)

    # lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        if self._stopped:
            raise RuntimeError("a stopped sandbox cannot be started again; make a new one")
        if not self._http.start(self._host, self._port, self._app, logging.getLogger("sandbox.alipay")):
            return
        self._notifier.start()
        if self._notify_on_close:  # timeouts must be noticed even when nobody asks
            self._sweeper = threading.Thread(
                target=self._sweep_loop, name="alipay-sandbox-sweeper", daemon=True
            )
            self._sweeper.start()

    def stop(self) -> None:
        """Stop serving and cancel every pending notification resend."""
        self._stopped = True
        self._stopping.set()
        self._notifier.stop()
        self._http.stop()
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)

    @property
    def gateway_url(self) -> str:
        return f"{self.base_url}/gateway.do"

    @property
    def alipay_public_key_pem(self) -> bytes:
        """The key Alipay signs answers, notifications and page returns with (not the app key)."""
        return public_pem(self._alipay_key)

    # applications and state ---------------------------------------------------------------

    def register_app(self, app: SandboxApp) -> None:
        self._apps.register(app)

    @property
    def trades(self) -> Mapping[str, dict[str, Any]]:
        """out_trade_no → the query answer's fields plus the sandbox's view of the order."""
        return MappingProxyType(
            {
                trade.out_trade_no: resources.trade_view(trade, self.base_url)
                for trade in self._store.trades(self._clock())
            }
        )

    @property
    def refunds(self) -> Mapping[tuple[str, str], dict[str, Any]]:
        """(out_trade_no, out_request_no) → the refund."""
        return MappingProxyType(
            {(r.out_trade_no, r.out_request_no): resources.refund_view(r) for r in self._store.refunds()}
        )

    def fail_next_refunds(self, code: str, sub_code: str, sub_msg: str, times: int = 1) -> None:
        """The next ``times`` alipay.trade.refund calls are refused with ``code``/``sub_code``
        (e.g. 40004 ACQ.SELLER_BALANCE_NOT_ENOUGH, 20000 ACQ.SYSTEM_ERROR), refunding nothing."""
        message = {"20000": "Service Currently Unavailable", "40004": "Business Failed"}.get(code, "Failed")
        self._trades.refund_faults.extend(
            GatewayError(code, message, sub_code, sub_msg) for _ in range(times)
        )

    def script_payer_code(self, code: str, kind: str, queries: int = 3) -> None:
        """What the payer of `code` does (barcode_api.KINDS), instead of its last two digits."""
        self._payer_codes.script(code, kind, queries)

    def retry_next_cancels(self, times: int = 1) -> None:
        """The next `times` trade.cancel answers say retry_flag Y and do nothing."""
        self._payer_codes.retries = times

    def clear_refund_faults(self) -> None:
        self._trades.refund_faults.clear()

    def sweep(self) -> None:
        """Close every unpaid trade whose time is up now (reads do it lazily anyway)."""
        self._store.sweep(self._clock())

    def finish_trades(self, app_id: str | None = None) -> list[str]:
        """The refund window is over: every TRADE_SUCCESS trade becomes TRADE_FINISHED."""
        return [trade.out_trade_no for trade in self._store.finish(app_id, self._clock())]

    # the payer's side ---------------------------------------------------------------------

    def scan(self, app_id: str, out_trade_no: str, buyer_id: str | None = None) -> dict[str, Any]:
        """The payer scans a precreate QR code: the trade now exists (WAIT_BUYER_PAY)."""
        return resources.trade_view(
            self._store.scan(app_id, out_trade_no, buyer_id, self._clock()), self.base_url
        )

    def pay(self, app_id: str, out_trade_no: str, buyer_id: str | None = None) -> dict[str, Any]:
        """The payer pays (scanning first if needed): TRADE_SUCCESS, notified in the background."""
        app = self._apps.get(app_id)
        if app is None:
            raise SandboxStateError(f"unknown app {app_id}")
        trade = self._store.pay(app_id, out_trade_no, buyer_id, app.fee_rate_bp, self._clock())
        return resources.trade_view(trade, self.base_url)

    def abandon(self, app_id: str, out_trade_no: str) -> None:
        """The payer walks away: nothing happens (the trade waits until it expires or is closed)."""
        if self._store.trade(app_id, out_trade_no, self._clock()) is None:
            raise SandboxStateError(f"no order {out_trade_no} for app {app_id}")

    def pay_app_order(self, order_string: str) -> dict[str, Any]:
        """What the Alipay app does with an ``alipay.trade.app.pay`` order string: verify it,
        create and pay the trade, notify. Returns the app SDK's result: ``resultStatus`` 9000
        and ``result`` (the signed ``alipay_trade_app_pay_response`` JSON text), or 4000 with
        the error; plus the sandbox's ``trade`` view when paid."""
        try:
            request, trade = self._submit_app_order(order_string)
            app = request.merchant
            paid = self._store.pay(app.app_id, trade.out_trade_no, None, app.fee_rate_bp, self._clock())
        except GatewayError as exc:
            return _app_result(
                "4000",
                exc.sub_msg or exc.msg,
                render_response(response_key(APP_PAY_METHOD), exc.body(), None, "utf-8").decode(),
            )
        except SandboxStateError as exc:
            error = business("ACQ.TRADE_STATUS_ERROR", str(exc))
            return _app_result(
                "4000",
                str(exc),
                render_response(response_key(APP_PAY_METHOD), error.body(), None, "utf-8").decode(),
            )
        answer = {
            "code": "10000",
            "msg": "Success",
            "app_id": request.app.app_id,
            "auth_app_id": app.app_id,
            "charset": request.charset,
            "timestamp": alipay_time(self._clock()),
            "out_trade_no": paid.out_trade_no,
            "total_amount": yuan(paid.total),
            "trade_no": paid.trade_no,
            "seller_id": app.pid,
        }
        text = render_response(response_key(APP_PAY_METHOD), answer, self._alipay_key, request.charset)
        result = text[:-1].decode(request.charset) + ',"sign_type":"RSA2"}'
        return _app_result("9000", "", result) | {"trade": resources.trade_view(paid, self.base_url)}

    def cancel_app_order(self, order_string: str) -> dict[str, Any]:
        """The payer opens the app cashier and cancels: the trade exists, unpaid (6001)."""
        try:
            self._submit_app_order(order_string)
        except GatewayError as exc:
            return _app_result(
                "4000",
                exc.sub_msg or exc.msg,
                render_response(response_key(APP_PAY_METHOD), exc.body(), None, "utf-8").decode(),
            )
        return _app_result("6001", "用户中途取消", "")

    def _submit_app_order(self, order_string: str) -> tuple[GatewayRequest, Trade]:
        params, charset = parse_order_string(order_string)
        request = authenticate(
            params,
            charset,
            self._apps,
            {APP_PAY_METHOD},
            self._clock,
            self._timestamp_tolerance,
            self.app_auth.resolve,
        )
        return request, self.open_cashier(request)

    # hooks for the HTTP side ---------------------------------------------------------------

    def open_cashier(self, request: GatewayRequest) -> Trade:
        """A page/wap/app order reaches Alipay's cashier: the trade exists from now on."""
        now = self._clock()
        return self._store.place(
            build_trade(request, now, require_https_notify=self._require_https_notify), now
        )

    def return_url_after_payment(self, app_id: str, out_trade_no: str) -> str | None:
        """Where the browser goes after a page/wap payment: ``return_url`` with signed params."""
        trade = self._store.trade(app_id, out_trade_no, self._clock())
        app = self._apps.get(app_id)
        if trade is None or app is None or not trade.return_url or trade.qr_code:
            return None
        params = resources.page_return_params(app, trade, self._clock())
        content = sign_content(params, NOTIFY_EXCLUDED)
        params["sign"] = rsa2_sign(self._alipay_key, content.encode(trade.charset, errors="replace"))
        separator = "&" if urlsplit(trade.return_url).query else "?"
        return f"{trade.return_url}{separator}{urlencode(params, encoding=trade.charset)}"

    # notifications ------------------------------------------------------------------------

    def sign_notify(self, form: Mapping[str, str]) -> dict[str, str]:
        """``form`` signed with Alipay's key exactly as a notify is (sign and sign_type left out
        of the content, empty values dropped): for tests of a *genuine* notify whose content
        disagrees with the merchant's order, which only a misbehaving Alipay could send."""
        signed = {k: v for k, v in form.items() if k != "sign"}
        content = sign_content(signed, NOTIFY_EXCLUDED)
        charset = signed.get("charset", "utf-8")
        signed["sign"] = rsa2_sign(self._alipay_key, content.encode(charset))
        return signed

    def misreport(self, app_id: str, out_trade_no: str, change: Change | None) -> None:
        """Fault injection: from now on every ``alipay.trade.query`` answer and payment notify
        the sandbox signs for this trade is ``change(fields)``, e.g. without ``total_amount``
        or with another ``seller_id``; ``None`` stops it. ``trades`` and the bill keep the truth."""
        self._misreports.set(app_id, out_trade_no, change)

    @property
    def notify_log(self) -> list[NotifyAttempt]:
        return self._notifier.log

    def wait_for_notifications(self, timeout: float = 5.0) -> bool:
        """Block until no notification is pending or in flight (False when ``timeout`` ran out)."""
        return self._notifier.wait_idle(timeout)

    def _on_event(self, event: Event, trade: Trade, refund: Refund | None) -> None:
        if event == "closed" and not self._notify_on_close:
            return
        if event == "finished" and not self._notify_on_finish:
            return
        app = self._apps.get(trade.app_id)
        if app is None or not trade.notify_url:
            return
        notify_id = resources.new_notify_id(self._clock())
        fields = resources.notify_fields(app, trade, notify_id, refund)
        if refund is None:
            fields = self._misreports.report(trade, fields)
        self._notifier.submit(Notification(notify_id, trade.notify_url, fields, trade.charset))

    def _sweep_loop(self) -> None:
        while not self._stopping.wait(_SWEEP_INTERVAL_SECONDS):
            self.sweep()


def _app_result(status: str, memo: str, result: str) -> dict[str, Any]:
    return {"resultStatus": status, "memo": memo, "result": result}
