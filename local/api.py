"""The template's HttpApi routes on localhost: HTTP request -> payload format 2.0 event -> handler.

Routes come from the `HttpApi` events of each AWS::Serverless::Function. Events and responses
follow API Gateway HTTP APIs: routes matched on the path as sent, segment by segment (a `%2F`
never splits a segment), then the path URL-decoded in the event, path parameters decoded per
segment, the `$default` route taking what no other route matches, header names lower-cased and
repeats joined with ",", bodies base64-encoded unless the content type is text, `{"message": "Not Found"}`
for an unknown route and `{"message": "Internal Server Error"}` when the handler fails.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from local.intrinsics import ACCOUNT_ID

log = logging.getLogger("local.api")

Invoke = Callable[[str, dict[str, Any]], Any]
NOT_FOUND = (404, {"message": "Not Found"})
DEFAULT_ROUTE = "$default"  # HTTP APIs' catch-all: any method, any path no other route matches
SERVER_ERROR = (500, {"message": "Internal Server Error"})
UNAUTHORIZED = (401, {"message": "Unauthorized"})  # a JWT authorizer's refusal
# HTTP APIs pass these bodies as text; everything else (form posts too) arrives base64-encoded.
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")
_HOP_HEADERS = {"content-length", "transfer-encoding", "connection"}  # the server sets these
# What an IAM-authorized route's event carries (requestContext.authorizer.iam); locally every
# request to such a route is this operator, signed or not.
LOCAL_IAM = {
    "accessKey": "AKIALOCALOPERATOR000",
    "accountId": ACCOUNT_ID,
    "callerId": "AIDALOCALOPERATOR000",
    "cognitoIdentity": None,
    "principalOrgId": None,
    "userArn": f"arn:aws:iam::{ACCOUNT_ID}:user/local-operator",
    "userId": "AIDALOCALOPERATOR000",
}


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # /v1/payments/{payment_id}
    function: str  # logical id
    iam: bool = False  # Auth: Authorizer: AWS_IAM (SigV4 is not checked locally; see LOCAL_IAM)
    jwt: str = ""  # Auth: Authorizer: <a JWT authorizer of the HttpApi> (verified: local.cognito)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, raw_path: str) -> dict[str, str] | None:
        """Matches the path as sent (percent-encoded), segment by segment, as API Gateway
        does: an encoded `/` (%2F) stays inside its segment, so `a%2Fb` is one path parameter
        ("a/b", decoded per segment) and never reaches a route with more segments."""
        if self.method not in ("ANY", method) or not raw_path.startswith("/"):
            return None
        if self.path == DEFAULT_ROUTE:
            return {}
        return _match_segments(self.path[1:].split("/"), raw_path[1:].split("/"))

    def specificity(self) -> tuple[int, int, int]:
        """API Gateway prefers literal segments, then single over greedy variables, then a method."""
        if self.path == DEFAULT_ROUTE:  # only when nothing else matches
            return (-1, 0, 0)
        segments = self.path.strip("/").split("/")
        literal = sum(1 for s in segments if not s.startswith("{"))
        greedy = sum(1 for s in segments if s.endswith("+}"))
        return (literal, -greedy, int(self.method != "ANY"))


def _match_segments(wanted: list[str], given: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for i, segment in enumerate(wanted):
        variable = re.fullmatch(r"\{([^}]+?)(\+?)\}", segment)
        if variable is not None and variable.group(2):  # greedy: the rest, at least one segment
            rest = given[i:]
            if not rest or not all(rest):
                return None
            params[variable.group(1)] = "/".join(unquote(part) for part in rest)
            return params
        if i >= len(given) or not given[i] or (variable is None and unquote(given[i]) != segment):
            return None
        if variable is not None:
            params[variable.group(1)] = unquote(given[i])
    return params if len(given) == len(wanted) else None


def http_api_routes(sam_template: dict[str, Any]) -> list[Route]:
    routes: list[Route] = []
    for logical_id, resource in sam_template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") != "HttpApi":
                continue
            props = event.get("Properties") or {}
            method = str(props.get("Method", "ANY")).upper()
            authorizer = str((props.get("Auth") or {}).get("Authorizer") or "")
            iam = authorizer == "AWS_IAM"
            jwt = authorizer if authorizer not in ("", "AWS_IAM", "NONE") else ""
            routes.append(Route(method, str(props.get("Path", "/{proxy+}")), logical_id, iam, jwt))
    return routes


def find_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    matches = [(r, params) for r in routes if (params := r.match(method, path)) is not None]
    if not matches:
        return None
    return max(matches, key=lambda pair: pair[0].specificity())


def build_event(
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    route: Route,
    path_parameters: dict[str, str],
    source_ip: str,
    server_port: int,
    request_id: str | None = None,
    claims: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload format 2.0 event, as AWS builds it."""
    url = urlsplit(target)
    raw_path = unquote(url.path)
    merged: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    cookie_header = merged.pop("cookie", None)
    forwarded = merged.get("x-forwarded-for")
    merged["x-forwarded-for"] = f"{forwarded},{source_ip}" if forwarded else source_ip
    merged.setdefault("x-forwarded-port", str(server_port))
    merged.setdefault("x-forwarded-proto", "http")
    merged.setdefault("x-amzn-trace-id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}")
    now = datetime.now(UTC)
    domain = merged.get("host", f"127.0.0.1:{server_port}")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": raw_path,
        "rawQueryString": url.query,
        "headers": merged,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": request_id or _request_id(),
            "routeKey": route.key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if route.iam:
        event["requestContext"]["authorizer"] = {"iam": dict(LOCAL_IAM)}
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    if cookie_header:
        event["cookies"] = [c.strip() for c in cookie_header.replace(",", ";").split(";") if c.strip()]
    if url.query:
        query: dict[str, str] = {}
        for name, value in parse_qsl(url.query, keep_blank_values=True):
            query[name] = f"{query[name]},{value}" if name in query else value
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        event["body"], event["isBase64Encoded"] = _event_body(body, merged.get("content-type", ""))
    return event


def _event_body(body: bytes, content_type: str) -> tuple[str, bool]:
    media_type = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media_type.startswith("text/") or media_type in _TEXT_TYPES:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode(), True


def http_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Translate a handler's return value the way HTTP APIs read payload format 2.0 responses."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # No statusCode: API Gateway assumes 200 and returns the value itself as JSON.
        text = result if isinstance(result, str) else json.dumps(result)
        return 200, [("content-type", "application/json")], text.encode()
    status = int(result["statusCode"])
    headers = [
        (str(k), str(v))
        for k, v in (result.get("headers") or {}).items()
        if str(k).lower() not in _HOP_HEADERS
    ]
    headers += [("set-cookie", str(c)) for c in result.get("cookies") or []]
    body = result.get("body") or ""
    if not isinstance(body, str):
        raise TypeError(f"response body must be a string, got {type(body).__name__}")
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    return status, headers, data


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The listen backlog: connections the kernel completes before the server accepts them.
    # With socketserver's default of 5, the kernel drops the SYNs of clients beyond it when
    # many connect at once (under `make bench`'s 20 clients), and they retry after 1 s, 3 s...
    request_queue_size = 128


class ApiServer:
    """A threaded HTTP server for the routes; binds on construction, serves after `start()`."""

    def __init__(
        self,
        routes: list[Route],
        invoke: Invoke,
        host: str,
        port: int,
        name: str = "api",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.routes = routes
        # JWT authorizers by name (local.cognito.JwtAuthorizer: `claims(header)` or Unauthorized)
        self.authorizers: dict[str, Any] = {}
        self.clock = clock  # times the access log
        self._name = name
        self._invoke = invoke
        self._server = _Server((host, port), _handler_class(self))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name=self._name)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def respond(self, request: _RequestHandler) -> tuple[int, list[tuple[str, str]], bytes, str]:
        """Route and invoke; returns status, headers, body and the function's logical id."""
        body = request.read_body()  # always: an unread body would spoil a kept-alive connection
        request_id = _request_id()
        id_header = ("apigw-requestid", request_id)
        method = request.command
        path = urlsplit(request.path).path  # matched as sent; the event carries it decoded
        found = find_route(self.routes, method, path)
        if found is None:
            status, headers, data = _json_response(*NOT_FOUND)
            return status, [*headers, id_header], data, "-"
        route, params = found
        claims = None
        if route.jwt:
            claims = self._claims(route, request.headers.get("authorization", ""))
            if claims is None:
                status, headers, data = _json_response(*UNAUTHORIZED)
                return status, [*headers, id_header], data, "-"
        event = build_event(
            method,
            request.path,
            list(request.headers.items()),
            body,
            route,
            params,
            request.client_address[0],
            self.port,
            request_id,
            claims,
        )
        try:
            status, headers, data = http_response(self._invoke(route.function, event))
        except Exception:
            log.exception("%s %s: %s failed", method, path, route.function)
            status, headers, data = _json_response(*SERVER_ERROR)
        return status, [*headers, id_header], data, route.function

    def _claims(self, route: Route, header: str) -> dict[str, str] | None:
        """The verified claims, or None: API Gateway's 401 (a missing authorizer fails closed)."""
        from local.cognito import Unauthorized  # noqa: PLC0415 - only JWT routes need it

        authorizer = self.authorizers.get(route.jwt)
        if authorizer is None or not header:
            return None
        try:
            claims: dict[str, str] = authorizer.claims(header)
        except Unauthorized:
            return None
        return claims


def _request_id() -> str:
    """An id in API Gateway's format (16 base64 characters)."""
    return base64.b64encode(os.urandom(10)).decode()


def _json_response(status: int, payload: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("content-type", "application/json")], json.dumps(payload).encode()


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "paymux-local"
    api: ApiServer

    def read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def parse_request(self) -> bool:
        # The request line has just been read: time from here, not from when the previous
        # response went out (a kept-alive connection idles in between, waiting for this line).
        self._started = self.api.clock()
        return super().parse_request()

    def _serve(self) -> None:
        status, headers, body, function = self.api.respond(self)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        elapsed_ms = (self.api.clock() - self._started) * 1000
        path = urlsplit(self.path).path  # the query may carry merchant data; keep it out of logs
        log.info("%s %s %d %.1fms %s", self.command, path, status, elapsed_ms, function)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the stdlib access log; `_serve` logs one line per request."""

    def log_error(self, format: str, *args: Any) -> None:
        log.warning("%s: %s", self.client_address[0], format % args)


def _handler_class(api: ApiServer) -> type[_RequestHandler]:
    return type("RequestHandler", (_RequestHandler,), {"api": api})
