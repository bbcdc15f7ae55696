"""Alipay third-party application (第三方应用) authorization, pure: the grant a merchant gives
paymux's application, its tokens and expiry, and the notices about it (docs/channels.md,
"Alipay third-party application mode", has the sources).

* A merchant authorizes the application (appToAppAuth page); Alipay redirects to the
  application's redirect_uri with an `app_auth_code`: single use, expires 24 h after it was
  issued. `alipay.open.auth.token.app` (grant_type=authorization_code, `code`) exchanges it for
  an `app_auth_token` and an `app_refresh_token`, with `expires_in` and `re_expires_in` in
  seconds from the call, the authorizing merchant's `user_id` (2088…) and its `auth_app_id`.
  Older answers carry those fields flat; newer ones inside a `tokens` array (one element per
  authorized application). grant_type=refresh_token (`refresh_token`) issues a new pair; the
  previous token keeps working for a short while only.
* Alipay tells the application about authorization changes: `notify_type=open_app_auth_notify`
  (status `execute_auth`, the grant in `biz_content.detail`) and the message-service message
  `msg_method=alipay.open.auth.appauth.cancelled` (the merchant cancelled). Both are signed
  with Alipay's key like any notify."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from paymux.channels.alipay.transform import parse_china_time
from paymux.errors import BadRequest, CallbackRejected, ChannelError, ChannelUnavailable

EXCHANGE_METHOD = "alipay.open.auth.token.app"
GRANT_QUERY_METHOD = "alipay.open.auth.token.app.query"
CHANGE_NOTIFY_TYPE = "open_app_auth_notify"
CANCELLED_MESSAGE = "alipay.open.auth.appauth.cancelled"
_MAX_TOKEN = 128  # Alipay documents 40; a little slack, never unbounded


@dataclass(frozen=True, slots=True)
class AppAuthGrant:
    """A merchant's authorization of paymux's application; expiries are epoch seconds."""

    app_auth_token: str = field(repr=False)
    app_refresh_token: str = field(repr=False)
    user_id: str
    auth_app_id: str
    expires_at: float
    refresh_expires_at: float

    def secret_value(self) -> dict[str, Any]:
        """What a binding's secret holds (COMMON contract: `{secrets_prefix}binding/{id}`)."""
        return {
            "app_auth_token": self.app_auth_token,
            "app_refresh_token": self.app_refresh_token,
            "expires_at": self.expires_at,
            "refresh_expires_at": self.refresh_expires_at,
        }


@dataclass(frozen=True, slots=True)
class AuthNotice:
    """A verified authorization-change notice. `grant` is set when the notice carries the
    tokens (open_app_auth_notify `execute_auth`)."""

    notify_id: str
    auth_app_id: str
    user_id: str
    kind: Literal["cancelled", "changed"]
    grant: AppAuthGrant | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class AppAuthStatus:
    """alipay.open.auth.token.app.query: what Alipay holds about one app_auth_token."""

    user_id: str
    auth_app_id: str
    valid: bool
    expires_at: float | None
    methods: tuple[str, ...] = ()


def exchange_content(code: str) -> dict[str, str]:
    if not code or len(code) > _MAX_TOKEN:
        raise BadRequest("app_auth_code must be the code Alipay's redirect carried")
    return {"grant_type": "authorization_code", "code": code}


def refresh_content(app_refresh_token: str) -> dict[str, str]:
    if not app_refresh_token or len(app_refresh_token) > _MAX_TOKEN:
        raise BadRequest("app_refresh_token is empty or too long")
    return {"grant_type": "refresh_token", "refresh_token": app_refresh_token}


def _seconds(fields: Mapping[str, Any], name: str) -> int:
    """expires_in / re_expires_in: a JSON number in captured answers, a string in the docs."""
    value = fields.get(name)
    try:
        seconds = int(str(value))
    except ValueError as exc:
        raise ChannelUnavailable(f"Alipay token answer has no usable {name}") from exc
    if seconds <= 0:
        raise ChannelUnavailable(f"Alipay token answer has {name} {seconds}")
    return seconds


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value:
        raise ChannelUnavailable(f"Alipay token answer without {name}")
    return value


def grant_fields(fields: Mapping[str, Any], start: float) -> AppAuthGrant:
    return AppAuthGrant(
        app_auth_token=_text(fields, "app_auth_token"),
        app_refresh_token=_text(fields, "app_refresh_token"),
        user_id=_text(fields, "user_id"),
        auth_app_id=_text(fields, "auth_app_id"),
        expires_at=start + _seconds(fields, "expires_in"),
        refresh_expires_at=start + _seconds(fields, "re_expires_in"),
    )


def grant_from_answer(answer: Mapping[str, Any], now: float) -> AppAuthGrant:
    """A verified 10000 answer of alipay.open.auth.token.app, flat or with `tokens`."""
    tokens = answer.get("tokens")
    if tokens is None:
        return grant_fields(answer, now)
    if not isinstance(tokens, list) or not tokens or not all(isinstance(t, dict) for t in tokens):
        raise ChannelUnavailable("Alipay token answer has a malformed tokens list")
    if len(tokens) > 1:
        # One code authorized several of the merchant's applications (batch authorization):
        # a binding is one application, so the merchant must authorize one at a time.
        raise ChannelError(
            f"Alipay authorized {len(tokens)} applications with one code; authorize one",
            channel_code="batch_authorization",
        )
    return grant_fields(tokens[0], now)


def status_from_answer(answer: Mapping[str, Any], now: float) -> AppAuthStatus:
    methods = answer.get("auth_methods") or ()
    expires = answer.get("expires_in")
    return AppAuthStatus(
        user_id=str(answer.get("user_id") or ""),
        auth_app_id=str(answer.get("auth_app_id") or ""),
        valid=answer.get("status") == "valid",
        expires_at=now + int(str(expires)) if str(expires or "").isdigit() else None,
        methods=tuple(str(m) for m in methods) if isinstance(methods, list) else (),
    )


def _biz(form: Mapping[str, str]) -> dict[str, Any]:
    try:
        content = json.loads(form.get("biz_content") or "{}")
    except ValueError as exc:
        raise CallbackRejected("Alipay authorization notice biz_content is not JSON") from exc
    if not isinstance(content, dict):
        raise CallbackRejected("Alipay authorization notice biz_content is not an object")
    return content


def _ms(value: Any) -> float:
    try:
        return int(str(value)) / 1000.0
    except ValueError as exc:
        raise CallbackRejected(f"Alipay authorization notice time {value!r} is not a time") from exc


def _notice(form: Mapping[str, str], auth_app_id: Any, user_id: Any, kind: Any, **extra: Any) -> AuthNotice:
    if not form.get("notify_id") or not auth_app_id or not user_id:
        raise CallbackRejected("Alipay authorization notice without notify_id, auth_app_id or user_id")
    return AuthNotice(form["notify_id"], str(auth_app_id), str(user_id), kind, **extra)


def notice_from_form(form: Mapping[str, str]) -> tuple[AuthNotice, float]:
    """The notice and when Alipay sent it (epoch seconds), from a verified form."""
    if form.get("msg_method") == CANCELLED_MESSAGE:
        biz = _biz(form)
        auth_app_id = biz.get("auth_app_id") or form.get("msg_app_id")
        user_id = biz.get("user_id") or form.get("msg_uid")
        return _notice(form, auth_app_id, user_id, "cancelled"), _ms(form.get("utc_timestamp"))
    if form.get("notify_type") == CHANGE_NOTIFY_TYPE:
        if form.get("status") != "execute_auth":
            raise CallbackRejected(f"Alipay open_app_auth_notify status {form.get('status')!r} is not known")
        detail = _biz(form).get("detail")
        if not isinstance(detail, dict):
            raise CallbackRejected("Alipay open_app_auth_notify without detail")
        try:
            sent = parse_china_time(form.get("notify_time", ""))
        except ValueError as exc:
            raise CallbackRejected("Alipay open_app_auth_notify notify_time is not a time") from exc
        start = _ms(detail["auth_time"]) if detail.get("auth_time") else sent
        try:
            grant = grant_fields(detail, start)
        except ChannelUnavailable as exc:
            raise CallbackRejected(f"Alipay open_app_auth_notify detail: {exc.message}") from exc
        auth_app_id = detail.get("auth_app_id") or form.get("auth_app_id")
        return _notice(form, auth_app_id, detail.get("user_id"), "changed", grant=grant), sent
    raise CallbackRejected("not an Alipay authorization notice (open_app_auth_notify, appauth.cancelled)")
