"""GET /v1/openapi.json and GET /v1/docs — the API's own description, built from the code once
per container (paymux.api.openapi) and rendered as a self-contained HTML page
(paymux.api.docs_page). No merchant signature: nothing here concerns a merchant."""

import hashlib
import json
from typing import Any

from paymux.api.docs_page import CONTENT_SECURITY_POLICY, render
from paymux.api.openapi import build_spec
from paymux.observability import lambda_handler, setup_logging

setup_logging()

JSON_TYPE = "application/json; charset=utf-8"
COMMON = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}
EXTRA = {
    "GET /v1/openapi.json": {"Content-Type": JSON_TYPE, "Access-Control-Allow-Origin": "*"},
    "GET /v1/docs": {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Referrer-Policy": "no-referrer",
    },
}
_pages: dict[str, tuple[str, str]] = {}  # route key → (body, ETag)


def _page(route: str) -> tuple[str, str]:
    if not _pages:
        spec = build_spec()
        document = json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
        bodies = {"GET /v1/openapi.json": document, "GET /v1/docs": render(spec)}
        for key, body in bodies.items():
            _pages[key] = (body, f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"')
    return _pages[route]


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    http = (event.get("requestContext") or {}).get("http") or {}
    route = event.get("routeKey") or f"{http.get('method', 'GET')} {event.get('rawPath', '')}"
    if route not in EXTRA:
        error = {"error": {"code": "not_found", "message": f"no route {route}"}}
        headers = {"Content-Type": JSON_TYPE, "Cache-Control": "no-store"}
        return {"statusCode": 404, "headers": headers, "body": json.dumps(error), "isBase64Encoded": False}
    body, etag = _page(route)
    headers = {**COMMON, **EXTRA[route], "ETag": etag}
    asked = {tag.strip() for tag in (event.get("headers") or {}).get("if-none-match", "").split(",")}
    if etag in asked or "*" in asked:
        return {"statusCode": 304, "headers": headers, "body": "", "isBase64Encoded": False}
    return {"statusCode": 200, "headers": headers, "body": body, "isBase64Encoded": False}
