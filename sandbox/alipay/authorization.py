"""Third-party application authorization (第三方应用授权) as Alipay holds it.

A merchant's application authorizes a third-party (ISV) application; Alipay issues an
``app_auth_code`` (single use, 24 h), which the ISV application exchanges with
``alipay.open.auth.token.app`` for an ``app_auth_token`` and an ``app_refresh_token``
(``expires_in`` / ``re_expires_in`` seconds: 31536000 / 32140800 as captured answers show).
A call signed by the ISV application and carrying the token acts for the authorizing
merchant. Refusals are Alipay's: 20001 ``aop.invalid-app-auth-token`` (wrong, another ISV's,
revoked, replaced) and 20001 ``aop.app-auth-token-time-out`` (expired).

* A refresh issues a new pair; the token it replaces keeps working for ``superseded_grace``
  (10 minutes, as Alipay's support answered). ⚑ The old refresh token is not used up: it
  stays valid until its own expiry (the docs: the old refresh_token lapses "after a while").
* Authorizing again makes a new grant: every earlier token of the pair stops working.
* Revoking (the merchant cancels) stops the tokens and the refresh tokens at once and sends
  ``alipay.open.auth.appauth.cancelled`` to the ISV application's gateway URL, if it set one.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.alipay.apps import AppRegistry, SandboxApp
from sandbox.alipay.errors import ERROR_RESPONSE, GatewayError
from sandbox.alipay.notify import Notification
from sandbox.alipay.times import alipay_time, cst

CODE_LIFETIME = 86400.0
TOKEN_LIFETIME = 31536000
REFRESH_LIFETIME = 32140800
SUPERSEDED_GRACE = 600.0
CANCELLED_MESSAGE = "alipay.open.auth.appauth.cancelled"
AUTHORIZED_METHODS = (
    "alipay.trade.precreate",
    "alipay.trade.page.pay",
    "alipay.trade.wap.pay",
    "alipay.trade.app.pay",
    "alipay.trade.query",
    "alipay.trade.close",
    "alipay.trade.refund",
    "alipay.trade.fastpay.refund.query",
    "alipay.data.dataservice.bill.downloadurl.query",
)
Pair = tuple[str, str]  # (ISV app_id, merchant app_id)


def _token_error(sub_code: str, sub_msg: str) -> GatewayError:
    return GatewayError("20001", "Insufficient Token Permissions", sub_code, sub_msg)


def _grant_error(sub_code: str, sub_msg: str) -> GatewayError:
    # ⚑ as captured for alipay.system.oauth.token: under error_response, 40002
    return GatewayError("40002", "Invalid Arguments", sub_code, sub_msg, response_key=ERROR_RESPONSE)


def _new(prefix_time: float, tail: str) -> str:
    """40 characters, e.g. ``201912BB816db31487d74374a493209db2f32X87`` (a captured token):
    the month, ``BB``, 29 hex digits and a tail."""
    return f"{cst(prefix_time):%Y%m}BB{secrets.token_hex(15)[:29]}{tail}"


@dataclass
class _Grant:
    pair: Pair
    user_id: str
    authorized_at: float
    generation: int
    revoked_at: float | None = None


@dataclass
class _Token:
    pair: Pair
    generation: int
    expires_at: float
    superseded_at: float | None = None


class AppAuthorizations:
    """Codes, grants and tokens, behind one lock. ``submit`` sends a notification."""

    def __init__(
        self, apps: AppRegistry, clock: Callable[[], float], submit: Callable[[Notification], None]
    ) -> None:
        self._apps, self._clock, self._submit = apps, clock, submit
        self._lock = threading.Lock()
        self._codes: dict[str, tuple[Pair, float]] = {}
        self._grants: dict[Pair, _Grant] = {}
        self._tokens: dict[str, _Token] = {}
        self._refresh: dict[str, _Token] = {}
        self._gateways: dict[str, str] = {}
        self.expires_in = TOKEN_LIFETIME
        self.re_expires_in = REFRESH_LIFETIME
        self.code_lifetime = CODE_LIFETIME
        self.superseded_grace = SUPERSEDED_GRACE

    # the merchant's side ------------------------------------------------------------------

    def set_gateway(self, app_id: str, url: str) -> None:
        """The application's gateway URL (应用网关), where messages to it are sent."""
        self._gateways[app_id] = url

    def authorize(self, isv_app_id: str, merchant_app_id: str) -> str:
        """The merchant's application authorizes the ISV application: a fresh app_auth_code."""
        isv, merchant = self._apps.get(isv_app_id), self._apps.get(merchant_app_id)
        if isv is None or merchant is None:
            raise ValueError(f"unknown application {isv_app_id if isv is None else merchant_app_id}")
        now, pair = self._clock(), (isv_app_id, merchant_app_id)
        with self._lock:
            previous = self._grants.get(pair)
            generation = previous.generation + 1 if previous else 1
            self._grants[pair] = _Grant(pair, merchant.pid, now, generation)
            code = secrets.token_hex(16)
            self._codes[code] = (pair, now)
        return code

    def revoke(self, isv_app_id: str, merchant_app_id: str) -> None:
        """The merchant cancels the authorization: its tokens stop working, the ISV is told."""
        now, pair = self._clock(), (isv_app_id, merchant_app_id)
        with self._lock:
            grant = self._grants.get(pair)
            if grant is None or grant.revoked_at is not None:
                raise ValueError(f"{merchant_app_id} has not authorized {isv_app_id}")
            grant.revoked_at = now
        url = self._gateways.get(isv_app_id)
        if url:
            self._submit(_cancelled(grant, now, url))

    # the gateway's side -------------------------------------------------------------------

    def _live(self, token: _Token | None, isv_app_id: str) -> _Grant | None:
        grant = self._grants.get(token.pair) if token else None
        if token is None or grant is None or token.pair[0] != isv_app_id:
            return None
        if grant.revoked_at is not None or grant.generation != token.generation:
            return None
        return grant

    def resolve(self, isv_app_id: str, token: str) -> str:
        """The merchant application a call with ``token`` acts for, or Alipay's refusal."""
        now = self._clock()
        with self._lock:
            found = self._tokens.get(token)
            if self._live(found, isv_app_id) is None or found is None:
                raise _token_error("aop.invalid-app-auth-token", "无效的应用授权令牌")
            if found.superseded_at is not None and now > found.superseded_at + self.superseded_grace:
                raise _token_error("aop.invalid-app-auth-token", "无效的应用授权令牌")
            if now > found.expires_at:
                raise _token_error("aop.app-auth-token-time-out", "应用授权令牌已过期")
            return found.pair[1]

    def exchange(self, isv_app_id: str, code: str) -> dict[str, Any]:
        now = self._clock()
        with self._lock:
            entry = self._codes.pop(code, None)  # single use, whatever happens next
            grant = self._grants.get(entry[0]) if entry else None
            if entry is None or grant is None or entry[0][0] != isv_app_id or grant.revoked_at:
                raise _grant_error("isv.code-invalid", "授权码code无效")
            if now > entry[1] + self.code_lifetime:
                raise _grant_error("isv.code-invalid", "授权码code无效")
            return {"tokens": [self._issue(grant, now)]}

    def refresh(self, isv_app_id: str, refresh_token: str) -> dict[str, Any]:
        """⚑ the refresh answer carries the fields flat (the docs' top-level fields)."""
        now = self._clock()
        with self._lock:
            found = self._refresh.get(refresh_token)
            grant = self._live(found, isv_app_id)
            if found is None or grant is None:
                raise _grant_error("isv.refresh-token-invalid", "刷新令牌refresh_token无效")
            if now > found.expires_at:
                raise _grant_error("isv.refresh-token-time-out", "刷新令牌refresh_token已过期")
            for token in self._tokens.values():
                if token.pair == grant.pair and token.superseded_at is None:
                    token.superseded_at = now
            return self._issue(grant, now)

    def _issue(self, grant: _Grant, now: float) -> dict[str, Any]:
        token, refresh = _new(now, "X87"), _new(now, "A87")
        self._tokens[token] = _Token(grant.pair, grant.generation, now + self.expires_in)
        self._refresh[refresh] = _Token(grant.pair, grant.generation, now + self.re_expires_in)
        return {
            "app_auth_token": token,
            "app_refresh_token": refresh,
            "auth_app_id": grant.pair[1],
            "expires_in": self.expires_in,
            "re_expires_in": self.re_expires_in,
            "user_id": grant.user_id,
        }

    def query(self, isv_app_id: str, token: str) -> dict[str, Any]:
        """alipay.open.auth.token.app.query: ⚑ any token this ISV does not hold valid is
        ``status`` invalid (Alipay's exact answer for a revoked token was not confirmed)."""
        now = self._clock()
        with self._lock:
            found = self._tokens.get(token)
            grant = self._live(found, isv_app_id)
            if found is None or found.pair[0] != isv_app_id:
                return {"status": "invalid"}
            superseded = found.superseded_at is not None and now > found.superseded_at + self.superseded_grace
            valid = grant is not None and not superseded and now <= found.expires_at
            authorized = self._grants[found.pair].authorized_at
            return {
                "user_id": self._grants[found.pair].user_id,
                "auth_app_id": found.pair[1],
                "expires_in": max(0, int(found.expires_at - now)),
                "auth_methods": list(AUTHORIZED_METHODS),
                "auth_start": alipay_time(authorized),
                "auth_end": alipay_time(found.expires_at),
                "status": "valid" if valid else "invalid",
            }

    def owner(self, merchant_app_id: str) -> SandboxApp | None:
        return self._apps.get(merchant_app_id)


def _cancelled(grant: _Grant, now: float, url: str) -> Notification:
    """The message-service message (version 1.1; utc_timestamp is stamped per attempt).
    ⚑ biz_content's fields are modelled on the grant's names (not confirmed)."""
    isv, merchant = grant.pair
    biz = {"auth_app_id": merchant, "app_id": isv, "user_id": grant.user_id, "auth_time": int(now * 1000)}
    fields = {
        "notify_id": secrets.token_hex(16),
        "msg_method": CANCELLED_MESSAGE,
        "app_id": isv,
        "msg_app_id": merchant,
        "msg_uid": grant.user_id,
        "version": "1.1",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "biz_content": json.dumps(biz, separators=(",", ":")),
    }
    return Notification(fields["notify_id"], url, fields, "utf-8", stamp="utc_timestamp")
