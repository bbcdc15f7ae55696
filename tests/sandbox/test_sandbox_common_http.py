"""sandbox/common/http: the server every sandbox runs its app on."""

from __future__ import annotations

import http.client
import logging
import threading
from collections.abc import Iterator
from email.message import Message

import pytest

from sandbox.common.http import Reply, SandboxHTTPServer


class EchoApp:
    """Answers 204 on /empty, else 200 with what it was given."""

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        if target == "/empty":
            return 204, {}, b"ignored"
        return 200, {"Content-Type": "text/plain"}, f"{method} {target} {len(body)}".encode()


@pytest.fixture
def server() -> Iterator[SandboxHTTPServer]:
    made = SandboxHTTPServer(("127.0.0.1", 0), EchoApp(), logging.getLogger("test.sandbox"))
    thread = threading.Thread(target=made.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield made
    made.shutdown()
    made.server_close()
    thread.join(timeout=5)


def request(
    server: SandboxHTTPServer, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str | None, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Length"), response.read()
    finally:
        connection.close()


def test_the_app_gets_the_body_and_its_answer_goes_back_with_its_length(server: SandboxHTTPServer) -> None:
    assert request(server, "POST", "/pay", b"abc", {}) == (200, "11", b"POST /pay 3")
    assert request(server, "HEAD", "/pay", b"", {}) == (200, "11", b"")


def test_a_204_has_no_body_and_a_malformed_length_reads_as_none(server: SandboxHTTPServer) -> None:
    assert request(server, "DELETE", "/empty", b"", {}) == (204, None, b"")
    assert request(server, "POST", "/pay", b"", {"Content-Length": "many"}) == (200, "11", b"POST /pay 0")
