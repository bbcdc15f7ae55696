"""One keep-alive HTTP(S) connection (http.client), and the one failure that is told apart: a
reused connection that the server closed before sending any byte of the answer (a frozen
Lambda container's idle socket), which the client retries once even with retries off."""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from paymux_sdk.errors import ApiConnectionError

# what a send, or the wait for the status line, raises when the peer closed the socket
_CLOSED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class StaleConnection(ApiConnectionError):
    """The reused connection was closed before any response byte: nothing was answered."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes


class Transport:
    def __init__(self, base_url: str, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None
        self._reused = False  # the connection has already carried an answer

    def send(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        connection, reused = self._open()
        try:
            connection.request(method, self.prefix + path, body=body or None, headers=headers)
            response = connection.getresponse()
        except _CLOSED as exc:
            self.close()
            kind = StaleConnection if reused else ApiConnectionError
            raise kind(f"the connection was closed before an answer: {type(exc).__name__}") from exc
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise ApiConnectionError(f"{method} {path} failed: {type(exc).__name__}: {exc}") from exc
        try:
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise ApiConnectionError(f"{method} {path} broke off: {type(exc).__name__}") from exc
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        if response.will_close:
            self.close()
        else:
            self._reused = True
        return answer

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection, self._reused = None, False

    def _open(self) -> tuple[http.client.HTTPConnection, bool]:
        if self._connection is None:
            if self.scheme == "https":
                context = ssl.create_default_context()
                self._connection = http.client.HTTPSConnection(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._connection, self._reused
