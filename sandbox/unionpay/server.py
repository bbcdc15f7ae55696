"""HTTP plumbing: route, authenticate, call the endpoint, sign and write the answer.

Order of checks on the API paths: the envelope (version, encoding, signMethod, txnType), who
signed (certId and signature), then the endpoint's own rules. Every answer, refusals
included, is a signed ``k=v&…`` text: sorted fields, then ``signPubKeyCert`` and
``signature`` (the order real answers show). Values are not URL-encoded, as UnionPay sends
them (``fileContent`` and ``signPubKeyCert`` hold ``+``, ``/``, ``=`` and CRLF).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from urllib.parse import parse_qsl, urlsplit

from sandbox.unionpay import pages
from sandbox.unionpay.back_api import BackApi
from sandbox.unionpay.errors import AcpError, SandboxStateError
from sandbox.unionpay.file_api import FileApi
from sandbox.unionpay.front_api import FrontApi
from sandbox.unionpay.merchants import MerchantRegistry
from sandbox.unionpay.messages import MessageSigner, echo
from sandbox.unionpay.payments import Payments
from sandbox.unionpay.query_api import QueryApi
from sandbox.unionpay.request import Answer, Request
from sandbox.unionpay.store import TransactionStore
from sandbox.unionpay.validation import check_envelope

log = logging.getLogger("sandbox.unionpay")
Reply = tuple[int, dict[str, str], bytes]
BACK_PATH = "/gateway/api/backTransReq.do"
FRONT_PATH = "/gateway/api/frontTransReq.do"
QUERY_PATH = "/gateway/api/queryTrans.do"
APP_PATH = "/gateway/api/appTransReq.do"
FILE_PATH = "/"
_TEXT = {"Content-Type": "text/plain; charset=UTF-8"}


@dataclass(frozen=True)
class Endpoints:
    store: TransactionStore
    merchants: MerchantRegistry
    signer: MessageSigner
    payments: Payments
    back: BackApi
    query: QueryApi
    files: FileApi
    front: FrontApi
    clock: Callable[[], float]


def render_answer(fields: dict[str, str]) -> bytes:
    tail = ("signPubKeyCert", "signature")
    keys = [key for key in sorted(fields) if key not in tail] + [key for key in tail if key in fields]
    return "&".join(f"{key}={fields[key]}" for key in keys).encode("utf-8")


def parse_form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


class GatewayApp:
    def __init__(self, endpoints: Endpoints) -> None:
        self._e = endpoints
        self._api: dict[str, Callable[[Request], Answer]] = {
            BACK_PATH: endpoints.back.handle,
            APP_PATH: endpoints.back.handle_app,
            QUERY_PATH: endpoints.query.handle,
            FILE_PATH: endpoints.files.handle,
        }

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        parts = urlsplit(target)
        try:
            if parts.path == "/sandbox" or parts.path.startswith("/sandbox/"):
                return self._page(method, parts.path, dict(parse_qsl(parts.query)), headers, body)
            if method != "POST":
                return (405 if parts.path in (*self._api, FRONT_PATH) else 404), {}, b""
            if parts.path == FRONT_PATH:
                return self._front(parse_form(body))
            if parts.path in self._api:
                return self._answer(parts.path, parse_form(body))
        except Exception:
            log.exception("sandbox error on %s %s", method, parts.path)
            return _html(500, pages.page("sandbox error", ""))
        return 404, {}, b""

    def _authenticated(self, fields: dict[str, str]) -> Request:
        check_envelope(fields)
        caller = self._e.merchants.authenticate(fields)
        return Request(fields, caller, self._e.clock())

    def _answer(self, path: str, fields: dict[str, str]) -> Reply:
        try:
            answer = self._api[path](self._authenticated(fields))
        except AcpError as exc:
            answer = {"respCode": exc.resp_code, "respMsg": exc.resp_msg}
        except Exception:  # never a 5xx: UnionPay answers a system error in the message
            log.exception("sandbox error on %s", path)
            answer = {"respCode": "06", "respMsg": "系统繁忙，请稍后再试"}
        signed = self._e.signer.sign(echo(fields) | answer)
        return 200, dict(_TEXT), render_answer(signed)

    def _front(self, fields: dict[str, str]) -> Reply:
        try:
            txn = self._e.front.accept(self._authenticated(fields))
        except AcpError as exc:
            return _html(200, pages.render_refused(exc.resp_code, exc.resp_msg))
        return _html(200, pages.render_cashier(txn))

    # person-facing pages ------------------------------------------------------------------

    def _page(self, method: str, path: str, query: dict[str, str], headers: Message, body: bytes) -> Reply:
        if path in ("/sandbox", "/sandbox/") and method == "GET":
            return _html(200, pages.render_index(self._e.store.all()))
        views = {"/sandbox/qr": pages.render_qr_page, "/sandbox/gateway": pages.render_cashier}
        if path in views and method == "GET":
            txn = self._e.store.by_token(query.get("code", ""))
            if txn is None:
                return _html(404, pages.render_not_found(query.get("code", "")))
            return _html(200, views[path](txn))
        if path in ("/sandbox/pay", "/sandbox/gateway/pay") and method == "POST":
            return self._pay_from_page(path, headers, body)
        return _html(404, pages.render_not_found(path))

    def _pay_from_page(self, path: str, headers: Message, body: bytes) -> Reply:
        wants_json = "application/json" in (headers.get("Content-Type") or "")
        form = _json_form(body) if wants_json else parse_form(body)
        txn = self._e.store.by_token(form.get("code", ""))
        if txn is None:
            return _reply(
                404, {"error": "unknown code"}, pages.render_not_found(form.get("code", "")), wants_json
            )
        status, message = 200, "Nothing happened: the payer walked away."
        if form.get("action", "pay") == "pay":
            try:
                txn = self._e.payments.pay(txn.order_id, txn.mer_id)
                message = "Paid. The merchant is being notified."
            except SandboxStateError as exc:
                status, message = 409, str(exc)
        payload: dict[str, object] = {"orderId": txn.order_id, "origRespCode": txn.orig_resp_code}
        payload["message"] = message
        if path == "/sandbox/gateway/pay" and status == 200 and txn.paid:
            notify = self._e.front.front_notify(txn)
            if wants_json:
                return _reply(200, payload | {"frontUrl": txn.front_url, "frontNotify": notify}, "", True)
            return _html(200, pages.render_auto_post(txn.front_url, notify))
        view = pages.render_cashier if path == "/sandbox/gateway/pay" else pages.render_qr_page
        return _reply(status, payload, view(txn, message), wants_json)


def _json_form(body: bytes) -> dict[str, str]:
    try:
        payload = json.loads(body.decode("utf-8", errors="replace") or "{}")
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in payload.items()} if isinstance(payload, dict) else {}


def _reply(status: int, payload: dict[str, object], html: str, as_json: bool) -> Reply:
    if as_json:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return status, {"Content-Type": "application/json; charset=utf-8"}, data
    return _html(status, html)


def _html(status: int, page: str) -> Reply:
    return status, {"Content-Type": "text/html; charset=utf-8"}, page.encode("utf-8")
