"""The local API's HTTP server: how many connections it queues, and what its access log says."""

from __future__ import annotations

import http.client
import logging
import queue
import select
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local.api import ApiServer, Route
from tests.support import FakeClock


def _ok(function: str, event: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "body": "ok"}


def test_the_api_queues_at_least_128_connections_before_it_accepts_any() -> None:
    server = ApiServer([], _ok, "127.0.0.1", 0)  # bound and listening, not accepting yet
    clients = [socket.socket() for _ in range(128)]
    try:
        for client in clients:
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", server.port))
        # The kernel completes a handshake only while the listen backlog has room; a completed
        # one makes the socket writable. Beyond the backlog, SYNs are dropped and stay pending.
        pending = set(clients)
        deadline = time.monotonic() + 5
        while pending and time.monotonic() < deadline:
            _, writable, _ = select.select([], list(pending), [], 0.2)
            pending.difference_update(writable)

        assert not pending, f"{len(pending)} of 128 connections were not queued"
        assert all(c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 for c in clients)
    finally:
        for client in clients:
            client.close()
        server.stop()


class _AccessLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: queue.Queue[str] = queue.Queue()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.put(record.getMessage())


@pytest.fixture
def access_log(caplog: pytest.LogCaptureFixture) -> Iterator[_AccessLog]:
    caplog.set_level(logging.INFO, logger="local.api")
    handler = _AccessLog()
    logging.getLogger("local.api").addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger("local.api").removeHandler(handler)


def test_the_access_log_times_each_request_not_the_idle_connection_before_it(
    access_log: _AccessLog,
) -> None:
    clock = FakeClock(1000.0)

    def handler_taking_5_ms(function: str, event: dict[str, Any]) -> dict[str, Any]:
        clock.advance(0.005)
        return {"statusCode": 200, "body": event["rawPath"]}

    server = ApiServer([Route("GET", "/{name}", "Fn")], handler_taking_5_ms, "127.0.0.1", 0, clock=clock)
    server.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        lines = []
        for name in ("first", "second"):
            connection.request("GET", f"/{name}")  # one kept-alive connection for both
            assert connection.getresponse().read() == f"/{name}".encode()
            lines.append(access_log.lines.get(timeout=10))
            clock.advance(30)  # the connection idles 30 s before the next request
    finally:
        connection.close()
        server.stop()

    assert lines == ["GET /first 200 5.0ms Fn", "GET /second 200 5.0ms Fn"]
