"""Alipay's mini program payment (小程序支付) as a mini program meets it:

* ``my.getAuthCode({scopes: "auth_base"})`` inside the mini program gives an auth_code of the
  user for the mini program's app_id, with no page and no redirect; here
  :meth:`MiniPrograms.get_auth_code` (or ``POST /sandbox/mini-program/auth-code`` with JSON
  ``{"app_id"}``, answering ``{"authCode"}``). The merchant's server exchanges it with
  ``alipay.system.oauth.token`` (sandbox/alipay/jsapi.py) for the user's open_id in that mini
  program (or user_id for an app made before open_id);
* ``alipay.trade.create`` (``product_code`` JSAPI_PAY, the mini program scene) with
  ``buyer_open_id`` (or ``buyer_id``) makes the trade (sandbox/alipay/jsapi.py). A third-party
  application ordering for a merchant's mini program must name it in ``op_app_id`` (the
  authorizing merchant's application); an open_id given to another app is refused;
* ``my.tradePay({tradeNO})`` opens the cashier inside the mini program: here
  :meth:`MiniPrograms.trade_pay` (or ``POST /sandbox/mini-program/trade-pay`` with JSON
  ``{"app_id", "trade_no", "action": "pay"|"cancel"}``), answering tradePay's ``resultCode``
  (9000 paid and notified, 6001 cancelled, 4000 refused)."""

from __future__ import annotations

import json
from typing import Any

from sandbox.alipay.jsapi import Answer, InApp, UserAuthorizations

AUTH_CODE_PATH = "/sandbox/mini-program/auth-code"
TRADE_PAY_PATH = "/sandbox/mini-program/trade-pay"
PATHS = (AUTH_CODE_PATH, TRADE_PAY_PATH)


class MiniPrograms:
    """The mini program's side: my.getAuthCode and my.tradePay."""

    def __init__(self, users: UserAuthorizations, in_app: InApp) -> None:
        self._users = users
        self._in_app = in_app

    def get_auth_code(self, app_id: str, payer: str = "sandbox-payer") -> str:
        """my.getAuthCode in the mini program `app_id`: an auth_code for its server to exchange."""
        return self._users.issue(app_id, payer, mini_program=True)

    def trade_pay(self, app_id: str, trade_no: str, action: str = "pay") -> tuple[int, dict[str, Any]]:
        """my.tradePay in the mini program `app_id`: (HTTP status, tradePay's answer)."""
        return self._in_app.trade_pay(app_id, trade_no, action)

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> Answer:
        """The Alipay app's in-app paths: the mini program's here, JSAPI's (the page) to InApp."""
        if path not in PATHS:
            return self._in_app.handle(method, path, query, body)
        if method != "POST":
            return 405, {"Allow": "POST"}, b""
        try:
            asked = json.loads(body or b"{}")
        except ValueError:
            asked = None
        if not isinstance(asked, dict):
            return _json(400, {"resultCode": "4000", "memo": "a JSON object is expected"})
        app_id = str(asked.get("app_id", ""))
        if path == AUTH_CODE_PATH:
            if not self._users.knows(app_id):
                return _json(400, {"error": "INVALID_APP", "errorMessage": "unknown app_id"})
            return _json(200, {"authCode": self.get_auth_code(app_id)})
        trade_no, action = str(asked.get("trade_no", "")), str(asked.get("action", "pay"))
        return _json(*self.trade_pay(app_id, trade_no, action))


def _json(status: int, payload: dict[str, Any]) -> Answer:
    return status, {"Content-Type": "application/json;charset=utf-8"}, json.dumps(payload).encode()
