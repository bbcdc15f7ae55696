"""``alipay.open.auth.token.app`` and ``.query`` on the gateway, and the person-facing
authorization page standing in for ``openauth.alipay.com/oauth2/appToAppAuth.htm``:
``GET /sandbox/app-auth?app_id=<ISV app>&redirect_uri=<url>`` shows the page, the POST (field
``merchant_app_id``) authorizes and redirects (303) to ``redirect_uri`` with ``app_id`` and
``app_auth_code``; ``POST /sandbox/app-auth/cancel`` (``app_id``, ``merchant_app_id``) is the
merchant cancelling. POSTs answer JSON when asked (``Accept: application/json``)."""

from __future__ import annotations

import json
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from sandbox.alipay.authorization import AppAuthorizations
from sandbox.alipay.envelope import GatewayRequest
from sandbox.alipay.errors import ERROR_RESPONSE, GatewayError, invalid_parameter
from sandbox.alipay.pages import page
from sandbox.alipay.validation import text

Answer = tuple[int, dict[str, str], bytes]


class AuthApi:
    def __init__(self, authorizations: AppAuthorizations) -> None:
        self._auth = authorizations
        self.handlers = {
            "alipay.open.auth.token.app": self.token,
            "alipay.open.auth.token.app.query": self.query,
        }

    def token(self, request: GatewayRequest) -> dict[str, Any]:
        grant_type = text(request.biz, "grant_type", required=True)
        isv = request.app.app_id
        if grant_type == "authorization_code":
            return self._auth.exchange(isv, text(request.biz, "code", required=True, maximum=40))
        if grant_type == "refresh_token":
            return self._auth.refresh(isv, text(request.biz, "refresh_token", required=True, maximum=40))
        raise GatewayError(
            "40002",
            "Invalid Arguments",
            "isv.grant-type-invalid",
            "grant_type参数不正确",
            response_key=ERROR_RESPONSE,
        )

    def query(self, request: GatewayRequest) -> dict[str, Any]:
        return self._auth.query(request.app.app_id, text(request.biz, "app_auth_token", required=True))

    # the person-facing page -----------------------------------------------------------------

    def page(
        self, method: str, path: str, query: dict[str, str], form: dict[str, str], wants_json: bool
    ) -> Answer:
        if path == "/sandbox/app-auth" and method == "GET":
            return _html(200, _render(query.get("app_id", ""), query.get("redirect_uri", "")))
        fields = query | form
        isv, merchant = fields.get("app_id", ""), fields.get("merchant_app_id", "")
        try:
            if path == "/sandbox/app-auth/cancel":
                self._auth.revoke(isv, merchant)
                return (
                    _json(200, {"cancelled": True})
                    if wants_json
                    else _html(200, page("取消授权", "<p>已取消</p>"))
                )
            redirect = fields.get("redirect_uri", "")
            if urlsplit(redirect).scheme not in ("http", "https"):
                raise invalid_parameter("redirect_uri必须是http或https地址")
            code = self._auth.authorize(isv, merchant)
        except (ValueError, GatewayError) as exc:
            return (
                _json(409, {"error": str(exc)})
                if wants_json
                else _html(409, page("授权失败", escape(str(exc))))
            )
        separator = "&" if urlsplit(redirect).query else "?"
        location = f"{redirect}{separator}{urlencode({'app_id': isv, 'app_auth_code': code})}"
        if wants_json:
            return _json(200, {"app_auth_code": code, "redirect": location})
        return 303, {"Location": location}, b""


def _render(isv: str, redirect: str) -> str:
    form = (
        "<form method='post' action='/sandbox/app-auth'>"
        f"<input type='hidden' name='app_id' value='{escape(isv)}'>"
        f"<input type='hidden' name='redirect_uri' value='{escape(redirect)}'>"
        "<label>商家应用 app_id <input name='merchant_app_id' size='20'></label>"
        "<p><button class='pay'>确认授权</button></p></form>"
    )
    return page("第三方应用授权 (sandbox)", f"<p>授权给应用 {escape(isv)}</p>{form}")


def _html(status: int, content: str) -> Answer:
    return status, {"Content-Type": "text/html; charset=utf-8"}, content.encode("utf-8")


def _json(status: int, payload: dict[str, Any]) -> Answer:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(payload).encode()
