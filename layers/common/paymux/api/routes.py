"""What the API answers to a request no route takes (the HTTP API's `$default` route): 405 with
`Allow` for a path the API serves with other methods, 404 for any other path. The routes are
paymux.api.openapi's table (checked against template.yaml both ways by a unit test), so this
cannot drift from what is deployed. Standard library only."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from paymux.api.http import error_response, event_header
from paymux.api.media import answer_media
from paymux.api.openapi import ROUTES, UNDOCUMENTED
from paymux.errors import MethodNotAllowed, NotFound


@cache
def _table() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    methods: dict[str, list[str]] = {}
    keys = [(r.method, r.path) for r in ROUTES] + [(m, p) for m, p, _ in UNDOCUMENTED if p.startswith("/")]
    for method, path in keys:
        methods.setdefault(path, []).append(method)
    return tuple(
        (re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path))), tuple(sorted(set(allowed))))
        for path, allowed in methods.items()
    )


def allowed_methods(path: str) -> tuple[str, ...]:
    """The methods routed for `path` (empty: the API has no such path)."""
    for pattern, methods in _table():
        if pattern.fullmatch(path):
            return methods
    return ()


def unrouted(event: dict[str, Any]) -> dict[str, Any]:
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    method = str(http.get("method", ""))
    allow = allowed_methods(str(event.get("rawPath") or http.get("path") or ""))
    request_id = str(context.get("requestId", ""))
    media = answer_media(event_header(event, "accept"))  # an error either way: never a 406
    if not allow:
        return error_response(NotFound("no such route"), request_id, media)
    error = MethodNotAllowed(f"{method} is not allowed here; use {', '.join(allow)}", allow=allow)
    response = error_response(error, request_id, media)
    response["headers"]["Allow"] = ", ".join(allow)
    return response
