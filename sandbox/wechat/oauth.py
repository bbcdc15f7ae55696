"""WeChat's web authorization (网页授权, snsapi_base) as an official account's page meets it:
`GET /connect/oauth2/authorize` sends the browser back to `redirect_uri` with `?code=…&state=…`
in the query string (before any `#`), and `GET /sns/oauth2/access_token` exchanges a code, once,
within 5 minutes, for the payer's openid in that appid. An openid is one appid's: an order that
names it with another appid is refused as WeChat Pay does (`app_of`, checked by the order APIs).
Served on the sandbox's own base URL, which stands in for open.weixin.qq.com and
api.weixin.qq.com."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

PATHS = ("/connect/oauth2/authorize", "/sns/oauth2/access_token")
CODE_SECONDS = 300
Response = tuple[int, dict[str, str], bytes]


class WebAuthorization:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._secrets: dict[str, str] = {}
        self._codes: dict[str, tuple[str, float]] = {}
        self._issued: dict[str, str] = {}  # openid → the appid it was given in
        self._lock = threading.Lock()

    def app_secret(self, appid: str) -> str:
        """The official account's AppSecret (created on first ask), for paymux's configuration."""
        with self._lock:
            return self._secrets.setdefault(appid, secrets.token_hex(16))

    def openid(self, appid: str, payer: str = "sandbox-payer") -> str:
        """The openid this sandbox gives `payer` in `appid` (stable, as WeChat's are)."""
        return "o" + hashlib.sha256(f"{appid}\n{payer}".encode()).hexdigest()[:27]

    def app_of(self, openid: str) -> str | None:
        """The appid an openid handed out by this authorization belongs to (None: not one of its)."""
        with self._lock:
            return self._issued.get(openid)

    def handle(self, path: str, query: dict[str, str]) -> Response:
        return self._authorize(query) if path == PATHS[0] else self._exchange(query)

    def _authorize(self, query: dict[str, str]) -> Response:
        appid, redirect = query.get("appid", ""), query.get("redirect_uri", "")
        parts = urlsplit(redirect)
        if (
            appid not in self._secrets
            or parts.scheme not in ("http", "https")
            or query.get("response_type") != "code"
        ):
            return 400, {"Content-Type": "text/plain; charset=utf-8"}, "redirect_uri 参数错误".encode()
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = (appid, self._clock())
        joined = "&" if parts.query else "?"
        location = f"{parts.scheme}://{parts.netloc}{parts.path}{'?' + parts.query if parts.query else ''}"
        location += joined + urlencode({"code": code, "state": query.get("state", "")}) + "#wechat_redirect"
        return 302, {"Location": location}, b""

    def _exchange(self, query: dict[str, str]) -> Response:
        appid, code = query.get("appid", ""), query.get("code", "")
        with self._lock:
            issued = self._codes.pop(code, None)
        if self._secrets.get(appid) != query.get("secret") or query.get("grant_type") != "authorization_code":
            return _json({"errcode": 40125, "errmsg": "invalid appsecret"})
        if issued is None or issued[0] != appid or self._clock() - issued[1] > CODE_SECONDS:
            return _json({"errcode": 40029, "errmsg": "invalid code"})
        with self._lock:
            self._issued[self.openid(appid)] = appid
        return _json(
            {
                "access_token": secrets.token_hex(16),
                "expires_in": 7200,
                "refresh_token": secrets.token_hex(16),
                "openid": self.openid(appid),
                "scope": "snsapi_base",
            }
        )


def _json(payload: dict[str, object]) -> Response:
    return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(payload).encode()
