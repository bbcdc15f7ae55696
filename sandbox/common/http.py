"""The threaded HTTP server every sandbox runs its app on.

An app answers ``handle(method, target, headers, body) -> (status, headers, payload)``; the
server reads the body by its Content-Length (a malformed one reads as none), writes the
answer with its length (none for 204), and logs requests at debug level under the app's
logger. What an answer contains is the provider's business, not this module's.
"""

from __future__ import annotations

import logging
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

Reply = tuple[int, dict[str, str], bytes]


class App(Protocol):
    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Reply: ...


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: App, log: logging.Logger) -> None:
        super().__init__(address, _RequestHandler)
        self.app = app
        self.log = log


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SandboxHTTPServer

    def _handle(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        body = self.rfile.read(length) if length > 0 else b""
        status, headers, payload = self.server.app.handle(self.command, self.path, self.headers, body)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and status != 204 and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    def log_message(self, format: str, *args: object) -> None:
        self.server.log.debug("%s %s", self.address_string(), format % args)


class ServingThread:
    """A SandboxHTTPServer serving on a daemon thread of its own: what every sandbox's
    lifecycle shares (start once, stop within one poll, the base URL it serves)."""

    def __init__(self, thread_name: str) -> None:
        self._thread_name = thread_name
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, host: str, port: int, app: App, log: logging.Logger) -> bool:
        """Starts serving; False when it already serves (nothing done)."""
        if self._server is not None:
            return False
        self._server = SandboxHTTPServer((host, port), app, log)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() returns within one poll
            name=self._thread_name,
            daemon=True,
        )
        self._thread.start()
        return True

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        host, port = self._server.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else host
        return f"http://{host_text}:{port}"
