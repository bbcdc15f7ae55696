"""Alipay's in-app payment (JSAPI, 支付宝内 H5 / 生活号 pages) as a merchant page inside the
Alipay app meets it:

* the user's authorization (网页授权, scope ``auth_base``, silent):
  ``GET /oauth2/publicAppAuthorize.htm?app_id=…&scope=auth_base&redirect_uri=…&state=…`` (what
  openauth.alipay.com serves) sends the browser back (302) to ``redirect_uri`` with
  ``app_id``, ``source=alipay_wallet``, ``scope``, ``auth_code`` and ``state`` in the query string;
* ``alipay.system.oauth.token`` (``grant_type=authorization_code``, ``code``: request parameters,
  not biz_content) exchanges an auth_code once, within 5 minutes, for the user's id in that app:
  ``open_id`` for an application created after 2023 (Alipay's new user identity), ``user_id``
  (``2088…``, 16 digits) for an older one (`use_user_id`), with an access and a refresh token;
* ``alipay.trade.create`` (``product_code`` JSAPI_PAY) with ``buyer_open_id`` (or ``buyer_id``)
  creates the trade at once (WAIT_BUYER_PAY) and answers its ``trade_no``, which the page hands
  to ``AlipayJSBridge.call("tradePay", {tradeNO})``. An open_id the sandbox gave another app is
  refused;
* the Alipay app's cashier, which ``tradePay`` opens, stands here as
  ``POST /sandbox/trade-pay`` (JSON ``{"app_id", "trade_no", "action": "pay"|"cancel"}``): it pays
  the trade (TRADE_SUCCESS, notified) and answers tradePay's ``resultCode`` (9000 paid, 6001
  cancelled, 4000 refused)."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from sandbox.alipay.apps import AppRegistry
from sandbox.alipay.envelope import GatewayRequest
from sandbox.alipay.errors import (
    ERROR_RESPONSE,
    GatewayError,
    SandboxStateError,
    business,
    invalid,
    invalid_parameter,
)
from sandbox.alipay.orders import build_trade
from sandbox.alipay.pages import page
from sandbox.alipay.store import SandboxStore
from sandbox.alipay.validation import text

AUTHORIZE_PATH = "/oauth2/publicAppAuthorize.htm"
TRADE_PAY_PATH = "/sandbox/trade-pay"
PATHS = (AUTHORIZE_PATH, TRADE_PAY_PATH)
CODE_SECONDS = 300
Answer = tuple[int, dict[str, str], bytes]


class UserAuthorizations:
    """auth_codes of users who opened a merchant page in the Alipay app, and the ids they give."""

    def __init__(self, apps: AppRegistry, clock: Callable[[], float]) -> None:
        self._apps = apps
        self._clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, tuple[str, str, float]] = {}  # auth_code → (app_id, payer, issued)
        self._user_id_apps: set[str] = set()
        self._issued: dict[str, str] = {}  # open_id → the app it was given in
        self._mini_programs: set[str] = set()  # apps whose codes came from my.getAuthCode

    def use_user_id(self, app_id: str) -> None:
        """`app_id` is an application created before open_id: its users are their user_id."""
        with self._lock:
            self._user_id_apps.add(app_id)

    @staticmethod
    def open_id(app_id: str, payer: str = "sandbox-payer") -> str:
        """The payer's open_id in `app_id` (stable; another app gets another one)."""
        return "0" + hashlib.sha256(f"open_id\n{app_id}\n{payer}".encode()).hexdigest()[:46]

    @staticmethod
    def user_id(payer: str = "sandbox-payer") -> str:
        """The payer's user_id: one per Alipay user, the same in every app."""
        return "2088" + str(int(hashlib.sha256(payer.encode()).hexdigest(), 16))[:12]

    def app_of(self, open_id: str) -> str | None:
        with self._lock:
            return self._issued.get(open_id)

    def knows(self, app_id: str) -> bool:
        return self._apps.get(app_id) is not None

    def is_mini_program(self, app_id: str) -> bool:
        with self._lock:
            return app_id in self._mini_programs

    def issue(self, app_id: str, payer: str = "sandbox-payer", *, mini_program: bool = False) -> str:
        """A fresh auth_code of `payer` for `app_id` (the page's, or a mini program's getAuthCode)."""
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = (app_id, payer, self._clock())
            if mini_program:
                self._mini_programs.add(app_id)
        return code

    def page(self, method: str, query: dict[str, str]) -> Answer:
        """The authorize URL: with scope auth_base the user is sent back at once, with a code."""
        app_id, redirect = query.get("app_id", ""), query.get("redirect_uri", "")
        parts = urlsplit(redirect)
        if method != "GET":
            return 405, {"Allow": "GET"}, b""
        if self._apps.get(app_id) is None or parts.scheme not in ("http", "https") or not parts.netloc:
            return _html(400, page("授权失败", "<p>app_id 或 redirect_uri 参数错误</p>"))
        if query.get("scope") not in ("auth_base", "auth_user"):
            return _html(400, page("授权失败", "<p>scope 参数错误</p>"))
        code = self.issue(app_id)
        back = {"app_id": app_id, "source": "alipay_wallet", "scope": query["scope"], "auth_code": code}
        back["state"] = query.get("state", "")
        joined = "&" if parts.query else "?"
        return 302, {"Location": f"{redirect}{joined}{urlencode(back)}"}, b""

    def token(self, request: GatewayRequest) -> dict[str, Any]:
        """alipay.system.oauth.token: the user's id in the calling app, once per code."""
        grant_type = request.params.get("grant_type", "")
        if grant_type != "authorization_code":
            raise invalid("isv.grant-type-invalid", "grant_type参数不正确", response_key=ERROR_RESPONSE)
        code = request.params.get("code", "")
        with self._lock:
            issued = self._codes.pop(code, None)
        app_id = request.merchant.app_id  # a third-party application asks for its merchant's app
        if issued is None or issued[0] != app_id or self._clock() - issued[2] > CODE_SECONDS:
            raise invalid("isv.code-invalid", "授权码code无效", response_key=ERROR_RESPONSE)
        answer: dict[str, Any] = {
            "access_token": "authbseB" + secrets.token_hex(16),
            "expires_in": 1296000,
            "refresh_token": "authbseB" + secrets.token_hex(16),
            "re_expires_in": 2592000,
            "auth_start": "",
        }
        with self._lock:
            if app_id in self._user_id_apps:
                return answer | {"user_id": self.user_id(issued[1])}
            open_id = self.open_id(app_id, issued[1])
            self._issued[open_id] = app_id
        return answer | {"open_id": open_id}


class JsapiTradeApi:
    """alipay.trade.create for JSAPI_PAY: the trade exists at once, paid in the Alipay app."""

    def __init__(
        self,
        store: SandboxStore,
        users: UserAuthorizations,
        clock: Callable[[], float],
        *,
        require_https_notify: bool,
    ) -> None:
        self._store = store
        self._users = users
        self._clock = clock
        self._require_https_notify = require_https_notify
        self.handlers = {"alipay.trade.create": self.create, "alipay.system.oauth.token": users.token}

    def create(self, request: GatewayRequest) -> dict[str, Any]:
        biz = request.biz
        open_id = text(biz, "buyer_open_id", maximum=128)
        user_id = text(biz, "buyer_id", maximum=28)
        if bool(open_id) == bool(user_id):
            raise invalid_parameter("参数无效：buyer_id与buyer_open_id必须且只能传一个")
        self._check_buyer(request, open_id)
        now = self._clock()
        trade = build_trade(request, now, require_https_notify=self._require_https_notify)
        trade.buyer_id = user_id or None
        placed = self._store.place(trade, now)
        return {"out_trade_no": placed.out_trade_no, "trade_no": placed.trade_no}

    def _check_buyer(self, request: GatewayRequest, open_id: str) -> None:
        """The open_id must be the paying app's: `op_app_id` (the mini program a third-party
        application orders for; it must be the authorizing merchant's), else the merchant's."""
        op_app_id = text(request.biz, "op_app_id", maximum=32)
        if op_app_id and op_app_id != request.merchant.app_id:
            raise business("ACQ.INVALID_PARAMETER", "参数无效：op_app_id不是授权商户的小程序")
        owner = self._users.app_of(open_id) if open_id else None
        if owner is not None and owner != request.merchant.app_id:
            raise business("ACQ.INVALID_PARAMETER", "参数无效：buyer_open_id不是本应用下的用户标识")
        provider_order = request.authorizer is not None and not op_app_id
        if owner is not None and provider_order and self._users.is_mini_program(owner):
            raise invalid_parameter("参数无效：服务商代小程序下单，op_app_id必填")


class InApp:
    """The Alipay app's side of JSAPI: the user authorization page and the tradePay cashier."""

    def __init__(
        self,
        users: UserAuthorizations,
        store: SandboxStore,
        clock: Callable[[], float],
        pay: Callable[[str, str], Any],
    ) -> None:
        self._users = users
        self._store = store
        self._clock = clock
        self._pay = pay

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> Answer:
        if path == AUTHORIZE_PATH:
            return self._users.page(method, query)
        if method != "POST":
            return 405, {"Allow": "POST"}, b""
        try:
            asked = json.loads(body or b"{}")
        except ValueError:
            asked = None
        if not isinstance(asked, dict):
            return _json(400, {"resultCode": "4000", "memo": "a JSON object is expected"})
        app_id, trade_no = str(asked.get("app_id", "")), str(asked.get("trade_no", ""))
        return _json(*self.trade_pay(app_id, trade_no, str(asked.get("action", "pay"))))

    def trade_pay(self, app_id: str, trade_no: str, action: str = "pay") -> tuple[int, dict[str, Any]]:
        """The cashier tradePay opens in `app_id`: (HTTP status, its answer)."""
        try:
            trade = self._store.existing(app_id, "", trade_no, self._clock())
        except GatewayError:
            return 404, {"resultCode": "4000", "memo": "交易不存在"}
        if action == "cancel":
            return 200, {"resultCode": "6001", "memo": "用户中途取消"}
        try:
            self._pay(app_id, trade.out_trade_no)
        except SandboxStateError as exc:
            return 409, {"resultCode": "4000", "memo": str(exc)}
        return 200, {"resultCode": "9000", "memo": "", "trade_no": trade_no}


def _json(status: int, payload: dict[str, Any]) -> Answer:
    return status, {"Content-Type": "application/json;charset=utf-8"}, json.dumps(payload).encode()


def _html(status: int, content: str) -> Answer:
    return status, {"Content-Type": "text/html;charset=utf-8"}, content.encode("utf-8")
