"""HTTP plumbing: route, authenticate, call the endpoint, sign the answer.

Order of checks on ``/v3/`` (as observed on WeChat): unknown path → 404/405 with an empty
body; a missing ``User-Agent``/``Accept`` outside ``/v3/pay/`` → 400; then the Authorization
check (401, unsigned); then the endpoint. Every authenticated answer, 204 and errors
included, is signed, except file downloads.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from urllib.parse import parse_qsl, urlsplit

from sandbox.wechat import pages
from sandbox.wechat.api import ApiRequest, ApiResponse, Handler, json_response
from sandbox.wechat.auth import new_request_id, verify_request
from sandbox.wechat.crypto import SigningKey
from sandbox.wechat.errors import ApiError, SandboxStateError
from sandbox.wechat.merchant import MerchantRegistry
from sandbox.wechat.micropay_api import PATHS as MICROPAY_PATHS
from sandbox.wechat.oauth import PATHS as OAUTH_PATHS
from sandbox.wechat.oauth import WebAuthorization
from sandbox.wechat.store import Order, SandboxStore

log = logging.getLogger("sandbox.wechat")

Route = tuple[str, re.Pattern[str], Handler]


@dataclass(frozen=True)
class KeyPolicy:
    """Which WeChat key answers a request, given the ``Wechatpay-Serial`` it sent."""

    response_key: Callable[[str | None], SigningKey]
    accepted_serials: Callable[[], set[str]]
    response_signer: Callable[[bytes, SigningKey], dict[str, str]]


class SandboxApp:
    def __init__(
        self,
        routes: list[Route],
        merchants: MerchantRegistry,
        store: SandboxStore,
        keys: KeyPolicy,
        clock: Callable[[], float],
        pay: Callable[[str, str, str | None], Order],
        web_authorization: WebAuthorization | None = None,
        v2: Callable[[str, bytes], tuple[int, dict[str, str], bytes]] | None = None,
    ) -> None:
        self._web_authorization = web_authorization
        self._v2 = v2  # API v2's payer-code endpoints (micropay_api), XML and v2-signed
        self._routes = routes
        self._merchants = merchants
        self._store = store
        self._keys = keys
        self._clock = clock
        self._pay = pay

    def handle(
        self, method: str, target: str, headers: Message, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if parts.path == "/sandbox" or parts.path.startswith("/sandbox/"):
            try:
                return self._page(method, parts.path, query, headers, body)
            except Exception:
                log.exception("sandbox page error on %s %s", method, parts.path)
                return _html(500, "<h1>sandbox error</h1>")
        if parts.path in OAUTH_PATHS and method == "GET" and self._web_authorization:
            return self._web_authorization.handle(parts.path, query)
        request = ApiRequest(method, target, parts.path, query, headers, body)
        if parts.path in MICROPAY_PATHS and self._v2 is not None:
            return self._v2(parts.path, body) if method == "POST" else (405, {}, b"")
        if not parts.path.startswith("/v3/"):
            return 404, {}, b""
        try:
            return self._api(request)
        except Exception:
            log.exception("sandbox error on %s %s", method, parts.path)
            return self._finish(request, json_response(_system_error(), 500))

    def _api(self, request: ApiRequest) -> tuple[int, dict[str, str], bytes]:
        matched = [
            (method, found, handler)
            for method, pattern, handler in self._routes
            if (found := pattern.fullmatch(request.path))
        ]
        if not matched:
            return 404, {}, b""
        chosen = [(found, handler) for method, found, handler in matched if method == request.method]
        if not chosen:
            return 405, {}, b""
        match, handler = chosen[0]
        try:
            if not request.path.startswith("/v3/pay/"):
                _require_client_headers(request.headers)
            request.mchid = verify_request(
                request.headers.get("Authorization"),
                method=request.method,
                canonical_url=request.target,
                body=request.body,
                merchants=self._merchants,
                now=self._clock(),
            )
            self._check_wechatpay_serial(request.headers.get("Wechatpay-Serial"))
            response = handler(request, match.group(1))
        except ApiError as exc:
            response = json_response(exc.body(), exc.status)
            response.signed = exc.signed
        return self._finish(request, response)

    def _check_wechatpay_serial(self, serial: str | None) -> None:
        if serial and serial not in self._keys.accepted_serials():
            raise ApiError(400, "PARAM_ERROR", "平台证书序列号Wechatpay-Serial错误")

    def _finish(self, request: ApiRequest, response: ApiResponse) -> tuple[int, dict[str, str], bytes]:
        headers = dict(response.headers)
        headers["Request-ID"] = new_request_id()
        if response.content_type:
            headers["Content-Type"] = response.content_type
        if response.signed:
            key = self._keys.response_key(request.headers.get("Wechatpay-Serial"))
            headers |= self._keys.response_signer(response.body, key)
        return response.status, headers, response.body

    # person-facing pages ------------------------------------------------------------------

    def _page(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: Message,
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes]:
        if path in ("/sandbox", "/sandbox/") and method == "GET":
            return _html(200, pages.render_index(self._store.orders()))
        if path != "/sandbox/pay":
            return _html(404, pages.render_not_found(path))
        if method == "GET":
            order = self._store.order_by_token(query.get("code", ""))
            if order is None:
                return _html(404, pages.render_not_found(query.get("code", "")))
            return _html(200, pages.render_pay_page(order))
        if method == "POST":
            return self._pay_from_page(headers, body)
        return 405, {}, b""

    def _pay_from_page(self, headers: Message, body: bytes) -> tuple[int, dict[str, str], bytes]:
        wants_json = "application/json" in (headers.get("Content-Type") or "")
        form = _form(body, as_json=wants_json)
        code, action = form.get("code", ""), form.get("action", "pay")
        order = self._store.order_by_token(code)
        if order is None:
            if wants_json:
                return 404, {"Content-Type": "application/json"}, b'{"error":"unknown code"}'
            return _html(404, pages.render_not_found(code))
        message = "Nothing happened: the payer walked away."
        status = 200
        if action == "pay":
            try:
                order = self._pay(order.mchid, order.out_trade_no, form.get("openid") or None)
                message = "Paid. The merchant is being notified."
            except SandboxStateError as exc:
                status, message = 409, str(exc)
        if wants_json:
            payload = {"out_trade_no": order.out_trade_no, "trade_state": order.trade_state}
            payload |= {"message": message}
            data = json.dumps(payload, ensure_ascii=False).encode()
            return status, {"Content-Type": "application/json; charset=utf-8"}, data
        return _html(status, pages.render_pay_page(order, message))


def _system_error() -> dict[str, str]:
    return {"code": "SYSTEM_ERROR", "message": "系统错误"}


def _require_client_headers(headers: Message) -> None:
    if not headers.get("User-Agent") or not headers.get("Accept"):
        raise ApiError(400, "INVALID_REQUEST", "Http头缺少Accept或User-Agent", signed=False)


def _form(body: bytes, *, as_json: bool) -> dict[str, str]:
    text = body.decode("utf-8", errors="replace")
    if as_json:
        try:
            payload = json.loads(text or "{}")
        except json.JSONDecodeError:
            return {}
        return {str(k): str(v) for k, v in payload.items()} if isinstance(payload, dict) else {}
    return dict(parse_qsl(text, keep_blank_values=True))


def _html(status: int, page: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "text/html; charset=utf-8"}, page.encode("utf-8")
