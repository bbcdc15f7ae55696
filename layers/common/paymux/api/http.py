"""API Gateway HTTP API (payload 2.0) events in, responses out; typed errors mapped in one place.
Handlers return plain values; only this module renders them, in the media type Accept asks for
(JSON or XML, paymux.api.media.negotiate), errors included."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paymux.api.media import JSON, XML_TYPES, check_body, negotiate
from paymux.errors import BadRequest, MethodNotAllowed, NotFound, PaymuxError, ValidationFailed

log = logging.getLogger("paymux")

RETRY_HEADER = "Paymux-Should-Retry"
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes
    path_params: dict[str, str]
    query: dict[str, str]
    domain: str
    request_id: str
    source_ip: str
    cookies: tuple[str, ...] = ()  # `name=value` (HTTP API's `cookies`, or the Cookie header)

    @property
    def path_with_query(self) -> str:
        return f"{self.path}?{self.raw_query}" if self.raw_query else self.path

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def cookie(self, name: str) -> str:
        """The first cookie of that name, or ""."""
        return next((v for n, _, v in (c.strip().partition("=") for c in self.cookies) if n == name), "")

    def path_id(self, name: str, grammar: re.Pattern[str]) -> str:
        """A path parameter that must be an id of `grammar`: anything else names nothing, so
        it is a 404 (never a lookup, never an echo of what was sent)."""
        value = self.path_params.get(name, "")
        if not grammar.fullmatch(value):
            raise NotFound(f"no such {name.removesuffix('_id')}")
        return value

    def flag(self, name: str) -> bool:
        """A boolean query parameter: absent, `true` or `false`; anything else is a 422."""
        value = self.query.get(name, "false")
        if value not in ("true", "false"):
            raise ValidationFailed(
                f"{name} must be true or false", details=[{"field": name, "message": "true or false"}]
            )
        return value == "true"


def _body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if not isinstance(body, str):
        raise BadRequest("the body is not text")
    try:
        return base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else body.encode()
    except UnicodeEncodeError as exc:  # a lone surrogate in the event's text
        raise BadRequest("the body is not valid UTF-8") from exc
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("the body is not valid base64") from exc


def parse_event(event: dict[str, Any]) -> Request:
    """Raises BadRequest (400) for a body that cannot be read."""
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    raw = _body(event)
    return Request(
        method=str(http.get("method", "GET")).upper(),
        path=str(event.get("rawPath") or http.get("path") or "/"),
        raw_query=str(event.get("rawQueryString") or ""),
        headers={k.lower(): v for k, v in (event.get("headers") or {}).items()},
        body=raw,
        path_params=dict(event.get("pathParameters") or {}),
        query=dict(event.get("queryStringParameters") or {}),
        domain=str(context.get("domainName", "")),
        request_id=str(context.get("requestId", "")),
        source_ip=str(http.get("sourceIp", "")),
        cookies=_cookies(event),
    )


def _cookies(event: dict[str, Any]) -> tuple[str, ...]:
    listed = event.get("cookies")
    if isinstance(listed, list):
        return tuple(str(c) for c in listed)
    return tuple(c for c in event_header(event, "cookie").split(";") if c.strip())


def event_header(event: dict[str, Any], name: str) -> str:
    """A header of the raw event (API Gateway lower-cases them; a hand-made event may not)."""
    headers = event.get("headers") or {}
    return next((str(v) for k, v in headers.items() if str(k).lower() == name), "")


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**JSON_HEADERS, **(headers or {})},
        "body": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def render(status: int, payload: Any, media: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The answer in `media` (paymux.api.media.ANSWERED); it varies with Accept. XML answers
    name the XML type asked for (application/xml or text/xml)."""
    if media not in XML_TYPES:
        return json_response(status, payload, {"Vary": "Accept", **(headers or {})})
    from paymux.api.xml_codec import encode_xml  # noqa: PLC0415 - lazy: JSON answers never pay

    xml_headers = {"Content-Type": f"{media}; charset=utf-8", "Cache-Control": "no-store"}
    return {
        "statusCode": status,
        "headers": {**xml_headers, "Vary": "Accept", **(headers or {})},
        "body": encode_xml(payload),
        "isBase64Encoded": False,
    }


def retry_headers(error: PaymuxError) -> dict[str, str]:
    """`Paymux-Should-Retry` (and `Retry-After` where a wait is known) of an error's answer."""
    headers = {RETRY_HEADER: "true" if error.should_retry else "false"}
    if error.should_retry and error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return headers


def error_response(error: PaymuxError, request_id: str = "", media: str = JSON) -> dict[str, Any]:
    payload: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.details:
        payload["details"] = error.details
    if request_id:
        payload["request_id"] = request_id
    return render(error.status, {"error": payload}, media, retry_headers(error))


Outcome = tuple[int, Any] | tuple[int, Any, dict[str, str]]


def handle(operation: Callable[[Request], Outcome], event: dict[str, Any]) -> dict[str, Any]:
    """Runs one operation: typed errors become their HTTP answer; anything else is a logged 500
    that reveals nothing. An operation may return extra response headers as a third item. An
    Accept the API cannot answer (406) and a body it cannot read (too large, another media type)
    are refused before it runs, so nothing is done that the caller could not be told."""
    request_id = str((event.get("requestContext") or {}).get("requestId", ""))
    media = JSON  # what a 406 is answered in
    try:
        media = negotiate(event_header(event, "accept"))
        request = parse_event(event)
        check_body(request.header("content-type"), request.body)
        outcome = operation(request)
    except MethodNotAllowed as exc:
        response = error_response(exc, request_id, media)
        response["headers"]["Allow"] = ", ".join(exc.allow)
        return response
    except PaymuxError as exc:
        if exc.status >= 500:
            log.warning("operation failed: %s %s", exc.code, exc.message)
        return error_response(exc, request_id, media)
    except Exception:
        log.exception("unhandled error in %s", event.get("routeKey", "a request"))
        return error_response(PaymuxError("internal error"), request_id, media)
    status, payload, *extra = outcome
    headers = dict(extra[0]) if extra else {}
    if status >= 400:  # an error replayed for its Idempotency-Key: the same key replays it again
        headers.setdefault(RETRY_HEADER, "false")
    return render(status, payload, media, headers)
