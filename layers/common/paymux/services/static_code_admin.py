"""The static payment code's settings (MerchantApp.static_code, paymux.checkout.static_code),
administered by operators: `PATCH /v1/admin/apps/{app_id}/static-code` (IAM-authorized).

A change is merged over the app's current code (a first one needs notify_url, return_url,
methods and max_amount; `reuse_seconds` and `sessions_per_minute` keep their defaults,
store/static_code_limits, unless given), every field checked before anything is written (422
with each field's problem), `{"enabled": false}` removes the code (its page answers 404). One
audit line per change, with the caller; containers apply it within the apps' 60 s cache."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from typing import Any

from paymux.checkout.models import PAGE_METHODS
from paymux.checkout.static_code import REUSE_LEFT_SECONDS, SESSION_SECONDS
from paymux.deps import Deps
from paymux.errors import NotFound, ValidationFailed
from paymux.services.urls import check_url_syntax
from paymux.store.merchants import MerchantApp, StaticCode
from paymux.store.static_code_limits import REUSE_SECONDS, SESSIONS_PER_MINUTE

log = logging.getLogger("paymux")
APP_ID = re.compile(r"app_[0-9A-Za-z_]{1,60}")
FIELDS = (
    "notify_url",
    "return_url",
    "methods",
    "max_amount",
    "subject",
    "reuse_seconds",
    "sessions_per_minute",
)
REQUIRED = ("notify_url", "return_url", "methods", "max_amount")
# a session offered again must leave the payer REUSE_LEFT_SECONDS of its SESSION_SECONDS
MAX_REUSE_SECONDS = SESSION_SECONDS - REUSE_LEFT_SECONDS
MAX_SESSIONS_PER_MINUTE = 600
URL_LENGTH = {"notify_url": 256, "return_url": 512}


def public(app: MerchantApp) -> dict[str, Any]:
    code = app.static_code
    settings = code.to_config() if code is not None else None
    return {"object": "static_code", "app_id": app.app_id, "enabled": code is not None, "settings": settings}


def update_static_code(d: Deps, app_id: str, changes: Any, actor: str = "") -> dict[str, Any]:
    """The app's static code after `changes` (see above); 404 for no such app."""
    app = d.merchants.app(app_id) if APP_ID.fullmatch(app_id or "") else None
    if app is None:
        raise NotFound(f"no app {app_id}")
    if not isinstance(changes, dict):
        raise _invalid([_detail("body", "must be a JSON object")])
    changes = dict(changes)
    enabled = changes.pop("enabled", True)
    unknown = sorted(set(changes) - set(FIELDS))
    if not isinstance(enabled, bool) or unknown:
        problems = [_detail(k, "unknown field") for k in unknown]
        raise _invalid(problems or [_detail("enabled", "must be true or false")])
    code = None if not enabled else _merged(d, app, changes)
    d.merchants.set_static_code(app.app_id, code)
    before = app.static_code.to_config() if app.static_code else None
    after = code.to_config() if code else None
    line = {"audit": "static_code.updated", "app_id": app.app_id, "actor": actor or "unknown"}
    log.info("%s", json.dumps({**line, "before": before, "after": after}, ensure_ascii=False, sort_keys=True))
    return public(replace(app, static_code=code))


def _merged(d: Deps, app: MerchantApp, changes: dict[str, Any]) -> StaticCode:
    current = app.static_code.to_config() if app.static_code else {}
    values: dict[str, Any] = {
        "subject": "",
        "reuse_seconds": REUSE_SECONDS,
        "sessions_per_minute": SESSIONS_PER_MINUTE,
    }
    values |= current | changes
    problems = [_detail(k, "required for a new static code") for k in REQUIRED if k not in values]
    problems += [p for name in FIELDS if name in values for p in _check(d, app, name, values[name])]
    if problems:
        raise _invalid(problems)
    return StaticCode(
        values["notify_url"],
        values["return_url"],
        tuple(values["methods"]),
        values["max_amount"],
        values["subject"],
        values["reuse_seconds"],
        values["sessions_per_minute"],
    )


def _check(d: Deps, app: MerchantApp, name: str, value: Any) -> list[dict[str, str]]:
    if name in URL_LENGTH:
        return _check_url(d, name, value)
    if name == "methods":
        ok = isinstance(value, list) and value and len(set(value)) == len(value)
        if ok and all(m in PAGE_METHODS for m in value):
            return []
        return [_detail(name, "1 or more distinct checkout methods of: " + ", ".join(PAGE_METHODS))]
    if name == "subject":
        fits = isinstance(value, str) and len(value) <= 127 and value.isprintable()
        return [] if fits else [_detail(name, "text of at most 127 characters ('': the app's name)")]
    low, high = {
        "max_amount": (1, app.max_amount),
        "reuse_seconds": (0, MAX_REUSE_SECONDS),
        "sessions_per_minute": (1, MAX_SESSIONS_PER_MINUTE),
    }[name]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        return [_detail(name, f"must be an integer from {low} to {high}")]
    return []


def _check_url(d: Deps, name: str, value: Any) -> list[dict[str, str]]:
    if not isinstance(value, str) or not 8 <= len(value) <= URL_LENGTH[name]:
        return [_detail(name, f"must be a URL of 8-{URL_LENGTH[name]} characters")]
    try:
        check_url_syntax(value, name, d.settings.allow_http_urls)
    except ValidationFailed as exc:
        return list(exc.details) or [_detail(name, exc.message)]
    return []


def _detail(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def _invalid(problems: list[dict[str, str]]) -> ValidationFailed:
    return ValidationFailed("the static code is invalid", details=problems)
