"""Helpers shared by integration and end-to-end tests: signed API Gateway events built from
events/*.json, handlers loaded by path as Lambda loads them, an injectable clock, and a
programmable merchant endpoint."""

from __future__ import annotations

import copy
import importlib.util
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

from paymux.api import auth
from paymux.channels.http import HttpResponse

ROOT = Path(__file__).resolve().parents[1]


def load_event(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / name).read_text())


_handlers: dict[str, ModuleType] = {}


def handler_module(function: str) -> ModuleType:
    """functions/<function>/app.py, imported once under a unique name (every handler is `app`)."""
    if function not in _handlers:
        path = ROOT / "functions" / function / "app.py"
        spec = importlib.util.spec_from_file_location(f"paymux_fn_{function}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _handlers[function] = module
    return _handlers[function]


def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = handler_module(function).handler(event, None)
    return result


def authorization(
    app_id: str,
    secret: str,
    method: str,
    path_with_query: str,
    body: bytes,
    now: float,
    nonce: str | None = None,
) -> str:
    nonce = nonce or secrets.token_hex(12)
    timestamp = str(int(now))
    signature = auth.sign(secret, method, path_with_query, timestamp, nonce, body)
    return f'{auth.SCHEME} app_id="{app_id}",timestamp="{timestamp}",nonce="{nonce}",signature="{signature}"'


def api_event(
    template: str,
    *,
    app_id: str,
    secret: str,
    now: float,
    path: str | None = None,
    body: Any = None,
    query: str = "",
    path_params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    nonce: str | None = None,
) -> dict[str, Any]:
    """A signed payload-2.0 event from events/<template>, with path, body and query replaced."""
    event = copy.deepcopy(load_event(template))
    method = event["requestContext"]["http"]["method"]
    path = path or event["rawPath"]
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    full = f"{path}?{query}" if query else path
    event.update(rawPath=path, rawQueryString=query, body=raw.decode(), isBase64Encoded=False)
    event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = path_params or {}
    event["queryStringParameters"] = dict(parse_qsl(query)) if query else None
    event["headers"]["authorization"] = authorization(app_id, secret, method, full, raw, now, nonce)
    event["headers"].update(headers or {})
    return event


def response_json(response: dict[str, Any]) -> tuple[int, Any]:
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def working_hours_now() -> float:
    """Wall-clock time, moved 4 hours on when it falls within 2 hours of midnight in
    Asia/Shanghai (the channels' day): an unmatched reconciliation record that close to the day's
    boundaries is `pending` (services/reconciliation_pending), so a test world started then
    would reconcile differently from one started at noon. Tests of the boundary set their own."""
    now = time.time()
    hour = (now + 8 * 3600) % 86400 / 3600  # Asia/Shanghai is UTC+8 all year
    return now + 4 * 3600 if hour < 2 or hour >= 22 else now


class FakeClock:
    """Starts at wall-clock time (the sandbox checks timestamps against its own clock), moves
    only when told, and ticks 1 µs per reading so that, like a real clock, no two readings are
    equal."""

    def __init__(self, start: float) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self.now += 1e-6
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@dataclass
class MerchantEndpoint:
    """Stands in for merchants' notify URLs: records every POST and answers from a script."""

    statuses: list[int] = field(default_factory=list)  # consumed in order; then `default`
    default: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    on_request: Callable[[dict[str, Any]], None] | None = None

    def request(
        self, method: str, url: str, *, headers: Any, body: bytes = b"", timeout: float = 5.0
    ) -> HttpResponse:
        record = {"method": method, "url": url, "headers": dict(headers), "body": body, "timeout": timeout}
        self.received.append(record)
        if self.on_request:
            self.on_request(record)
        status = self.statuses.pop(0) if self.statuses else self.default
        return HttpResponse(status, b"ok")


SWEEP_COUNTS = ("outbox_resent", "expired_closed", "queried", "refunds_queried", "errors", "stale")


def sweep_records(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {"ApproximateReceiveCount": "1"},
            "eventSource": "aws:sqs",
        }
        for m in messages
    ]


def run_sweeper() -> dict[str, Any]:
    """One sweep as the stack runs it: the planner's handler (functions/sweeper), then the sweep
    queue drained into the worker's handler (functions/sweep_worker) in batches, each message
    deleted unless the worker reported it failed, until no message is visible. Returns the
    planner's report with the workers' counts added up."""
    from paymux.deps import deps

    d = deps()
    plan = invoke("sweeper", {})
    totals = dict.fromkeys(SWEEP_COUNTS, 0)
    url = getattr(d.settings, "sweep_queue_url", "")  # none before the fan-out: plan is the sweep
    while url and (
        messages := d.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
    ):
        result = invoke("sweep_worker", {"Records": sweep_records(messages)})
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        for m in messages:
            if m["MessageId"] not in failed:
                d.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        for name in SWEEP_COUNTS:
            totals[name] += result["report"][name]
    return {**totals, **plan} if not url else {**plan, **totals}


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` runs out (a bounded wait, no sleep-for):
    for what a sandbox or receiver thread does in its own time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
