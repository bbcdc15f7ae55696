"""HTTP plumbing: ``/gateway.do`` (authenticate, dispatch, sign the answer) and ``/sandbox/``.

Server-to-server answers are ``HTTP 200`` with ``Content-Type: text/html;charset=<charset>``
(as Alipay's gateway sends) and the JSON text ``{"<method>_response":{…},"sign":"…"}``: the
response object is serialised once (compact, non-ASCII kept raw) and exactly those bytes are
signed with Alipay's private key. An answer is unsigned only when the request named no
registered ``app_id``. Page/wap methods answer HTML: a redirect to the cashier, or an error
page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.alipay import pages
from sandbox.alipay.api import Handler
from sandbox.alipay.apps import AppRegistry
from sandbox.alipay.crypto import rsa2_sign
from sandbox.alipay.envelope import GatewayRequest, authenticate, parse_params, response_key
from sandbox.alipay.errors import ERROR_RESPONSE, GatewayError, SandboxStateError
from sandbox.alipay.store import SandboxStore, Trade

log = logging.getLogger("sandbox.alipay")

PAGE_METHODS = frozenset({"alipay.trade.page.pay", "alipay.trade.wap.pay"})
Answer = tuple[int, dict[str, str], bytes]


def render_response(
    key: str, payload: Mapping[str, Any], signer: rsa.RSAPrivateKey | None, charset: str
) -> bytes:
    """``{"<key>":<payload>,"sign":"…"}`` with the signature over the exact payload bytes."""
    inner = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(charset, errors="replace")
    head = b'{"' + key.encode("ascii") + b'":' + inner
    if signer is None:
        return head + b"}"
    return head + b',"sign":"' + rsa2_sign(signer, inner).encode("ascii") + b'"}'


class PayerHooks(Protocol):
    """What the pages need from the sandbox around them."""

    def scan(self, app_id: str, out_trade_no: str, buyer_id: str | None = None) -> dict[str, Any]: ...

    def pay(self, app_id: str, out_trade_no: str, buyer_id: str | None = None) -> dict[str, Any]: ...

    def return_url_after_payment(self, app_id: str, out_trade_no: str) -> str | None: ...

    def open_cashier(self, request: GatewayRequest) -> Trade: ...

    def pay_app_order(self, order_string: str) -> dict[str, Any]: ...

    def cancel_app_order(self, order_string: str) -> dict[str, Any]: ...


@dataclass
class GatewayConfig:
    apps: AppRegistry
    store: SandboxStore
    handlers: dict[str, Handler]
    alipay_key: rsa.RSAPrivateKey
    clock: Callable[[], float]
    timestamp_tolerance: float | None
    base_url: Callable[[], str]
    bill_download: Callable[[str], Answer]
    resolve_token: Callable[[str, str], str] | None = None  # third-party app_auth_token → merchant app
    auth_page: Callable[[str, str, dict[str, str], dict[str, str], bool], Answer] | None = None
    # the Alipay app's side of JSAPI (sandbox/alipay/jsapi.py): openauth's page, tradePay's cashier
    in_app: Callable[[str, str, dict[str, str], bytes], Answer] | None = None
    in_app_paths: tuple[str, ...] = ()


class GatewayApp:
    def __init__(self, config: GatewayConfig, hooks: PayerHooks) -> None:
        self._config = config
        self._hooks = hooks
        self._methods: Collection[str] = frozenset(config.handlers) | PAGE_METHODS

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Answer:
        parts = urlsplit(target)
        if parts.path == "/gateway.do":
            if method not in ("GET", "POST"):
                return 405, {"Allow": "GET, POST"}, b""
            return self._gateway(parts.query, headers, body)
        if parts.path in self._config.in_app_paths and self._config.in_app is not None:
            return self._config.in_app(method, parts.path, dict(parse_qsl(parts.query)), body)
        if parts.path == "/sandbox" or parts.path.startswith("/sandbox/"):
            try:
                return self._page(method, parts.path, dict(parse_qsl(parts.query)), headers, body)
            except Exception:
                log.exception("sandbox page error on %s %s", method, parts.path)
                return _html(500, pages.render_message("sandbox error", "see the sandbox log"))
        return 404, {"Content-Type": "text/plain;charset=utf-8"}, b"not found"

    # the gateway --------------------------------------------------------------------------

    def _gateway(self, query: str, headers: Message, body: bytes) -> Answer:
        config = self._config
        params, charset = parse_params(query, body, headers.get("Content-Type"))
        method = params.get("method", "")
        signer = config.alipay_key if config.apps.get(params.get("app_id", "")) else None
        try:
            request = authenticate(
                params,
                charset,
                config.apps,
                self._methods,
                config.clock,
                config.timestamp_tolerance,
                config.resolve_token,
            )
            if request.method in PAGE_METHODS:
                trade = self._hooks.open_cashier(request)
                return (
                    302,
                    {"Location": f"{config.base_url()}/sandbox/cashier?token={trade.cashier_token}"},
                    b"",
                )
            payload = {"code": "10000", "msg": "Success"} | config.handlers[request.method](request)
            return self._json(response_key(request.method), payload, signer, charset)
        except GatewayError as exc:
            if method in PAGE_METHODS:
                return _html(200, pages.render_gateway_error(exc.sub_code, exc.sub_msg))
            key = exc.response_key or response_key(method)
            return self._json(key, exc.body(), signer, charset)
        except Exception:
            log.exception("sandbox error on %s", method)
            error = GatewayError(
                "20000", "Service Currently Unavailable", "isp.unknow-error", "服务暂不可用（业务系统不可用）"
            )
            return self._json(
                response_key(method) if method else ERROR_RESPONSE, error.body(), signer, charset
            )

    def _json(
        self, key: str, payload: Mapping[str, Any], signer: rsa.RSAPrivateKey | None, charset: str
    ) -> Answer:
        content = render_response(key, payload, signer, charset)
        return 200, {"Content-Type": f"text/html;charset={charset}"}, content

    # person-facing pages ------------------------------------------------------------------

    def _page(self, method: str, path: str, query: dict[str, str], headers: Message, body: bytes) -> Answer:
        now = self._config.clock()
        store = self._config.store
        if path in ("/sandbox", "/sandbox/") and method == "GET":
            return _html(200, pages.render_index(store.trades(now)))
        if path == "/sandbox/bill/download" and method == "GET":
            return self._config.bill_download(query.get("token", ""))
        if path == "/sandbox/scan" and method == "GET":
            return self._scan_page(query.get("code", ""))
        if path == "/sandbox/cashier" and method == "GET":
            trade = store.by_cashier_token(query.get("token", ""), now)
            if trade is None:
                return _html(404, pages.render_message("Unknown cashier", "No order has this cashier token."))
            return _html(200, pages.render_cashier(trade))
        if path.startswith("/sandbox/app-auth") and self._config.auth_page is not None:
            form = _form(body, headers) if method == "POST" else {}
            return self._config.auth_page(method, path, query, form, _wants_json(headers))
        if path == "/sandbox/app" and method == "GET":
            return _html(200, pages.render_app())
        if method == "POST" and path in ("/sandbox/scan", "/sandbox/cashier"):
            return self._payer_action(path, headers, body)
        if method == "POST" and path == "/sandbox/app":
            return self._app_action(headers, body)
        return _html(404, pages.render_message("Not found", path))

    def _scan_page(self, code: str) -> Answer:
        """Opening the QR code's URL is the scan: from now on the trade exists."""
        now = self._config.clock()
        trade = self._config.store.by_qr_code(code, now)
        if trade is None:
            return _html(404, pages.render_message("Unknown QR code", "No order has this QR code."))
        message = None
        try:
            if trade.status is None:
                self._hooks.scan(trade.app_id, trade.out_trade_no)
        except SandboxStateError as exc:
            message = str(exc)
        trade = self._config.store.by_qr_code(code, now) or trade
        qr_url = f"{self._config.base_url()}/sandbox/scan?code={code}"
        return _html(200, pages.render_scan(trade, qr_url, message))

    def _payer_action(self, path: str, headers: Message, body: bytes) -> Answer:
        wants_json = _wants_json(headers)
        form = _form(body, headers)
        now = self._config.clock()
        store = self._config.store
        scanning = path == "/sandbox/scan"
        trade = (
            store.by_qr_code(form.get("code", ""), now)
            if scanning
            else store.by_cashier_token(form.get("token", ""), now)
        )
        if trade is None:
            if wants_json:
                return _json_answer(404, {"error": "unknown code or token"})
            return _html(404, pages.render_message("Unknown order", "No order has this code or token."))
        status, message, redirect = 200, "Nothing happened: the payer cancelled and the trade waits.", None
        try:
            if form.get("action", "pay") == "pay":
                self._hooks.pay(trade.app_id, trade.out_trade_no, form.get("buyer_id") or None)
                message = "Paid. The merchant is being notified."
                redirect = self._hooks.return_url_after_payment(trade.app_id, trade.out_trade_no)
            elif scanning and trade.status is None:
                self._hooks.scan(trade.app_id, trade.out_trade_no, form.get("buyer_id") or None)
            elif not scanning:
                redirect = trade.quit_url
        except SandboxStateError as exc:
            status, message = 409, str(exc)
        trade = store.by_cashier_token(trade.cashier_token, now) or trade
        if wants_json:
            payload = {"out_trade_no": trade.out_trade_no, "trade_status": trade.status, "message": message}
            return _json_answer(status, payload | ({"redirect": redirect} if redirect else {}))
        if redirect:
            return 303, {"Location": redirect}, b""
        if scanning:
            qr_url = f"{self._config.base_url()}/sandbox/scan?code={trade.qr_code}"
            return _html(status, pages.render_scan(trade, qr_url, message))
        return _html(status, pages.render_cashier(trade, message))

    def _app_action(self, headers: Message, body: bytes) -> Answer:
        form = _form(body, headers)
        order_string = form.get("order_string", "")
        if form.get("action", "pay") == "pay":
            result = self._hooks.pay_app_order(order_string)
        else:
            result = self._hooks.cancel_app_order(order_string)
        if _wants_json(headers):
            return _json_answer(200, result)
        shown = {"resultStatus": result["resultStatus"], "memo": result["memo"], "result": result["result"]}
        return _html(
            200,
            pages.render_app(
                f"resultStatus {result['resultStatus']}", json.dumps(shown, ensure_ascii=False, indent=2)
            ),
        )


def _wants_json(headers: Message) -> bool:
    return "application/json" in (headers.get("Accept") or "") or "application/json" in (
        headers.get("Content-Type") or ""
    )


def _form(body: bytes, headers: Message) -> dict[str, str]:
    text = body.decode("utf-8", errors="replace")
    if "application/json" in (headers.get("Content-Type") or ""):
        try:
            payload = json.loads(text or "{}")
        except json.JSONDecodeError:
            return {}
        return {str(k): str(v) for k, v in payload.items()} if isinstance(payload, dict) else {}
    return dict(parse_qsl(text, keep_blank_values=True))


def _html(status: int, content: str) -> Answer:
    return status, {"Content-Type": "text/html; charset=utf-8"}, content.encode("utf-8")


def _json_answer(status: int, payload: Mapping[str, Any]) -> Answer:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return status, {"Content-Type": "application/json; charset=utf-8"}, data
