"""The HTTP port channels talk through: injectable, so tests can record or fail requests.

The default transport is requests over urllib3 2.x, whose default TLS context refuses anything
below TLS 1.2 and verifies certificates."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from paymux.errors import ChannelUnavailable

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HttpStream:
    """An answer whose body is read as it arrives (a statement file), chunk by chunk."""

    status: int
    chunks: Iterator[bytes]
    headers: Mapping[str, str] = field(default_factory=dict)


class HttpClient(Protocol):
    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes = b"",
        timeout: float = READ_TIMEOUT,
    ) -> HttpResponse: ...


class RequestsHttpClient:
    """One pooled session per container; requests is imported on first use (cold start)."""

    def __init__(self) -> None:
        self._session: Any = None

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes = b"",
        timeout: float = READ_TIMEOUT,
    ) -> HttpResponse:
        return self._send(method, url, headers, body, timeout, cert=None)

    def request_with_client_cert(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes = b"",
        cert_pem: str,
        key_pem: str,
        timeout: float = READ_TIMEOUT,
    ) -> HttpResponse:
        """Like `request`, presenting a TLS client certificate (WeChat Pay's /secapi/ calls).
        Python's TLS reads a certificate chain from files only: the PEMs go to a private
        directory of this container (0700, files 0600), once per certificate."""
        return self._send(method, url, headers, body, timeout, cert=_client_cert_files(cert_pem, key_pem))

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        timeout: float,
        cert: tuple[str, str] | None,
    ) -> HttpResponse:
        import requests  # noqa: PLC0415 - deferred: 300 ms of import most functions never need

        if self._session is None:
            self._session = requests.Session()
        try:
            response = self._session.request(
                method,
                url,
                headers=dict(headers),
                data=body or None,
                timeout=(CONNECT_TIMEOUT, timeout),
                allow_redirects=False,
                cert=cert,
            )
        except requests.RequestException as exc:
            raise ChannelUnavailable(f"{method} {url} failed: {type(exc).__name__}") from exc
        return HttpResponse(response.status_code, response.content, dict(response.headers))

    def stream(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes = b"",
        timeout: float = READ_TIMEOUT,
    ) -> HttpStream:
        """Like `request`, the body read as it arrives (1 MiB at a time): a statement file
        goes to disk without being held in memory. An HTTP client without `stream` (a test's)
        is asked with `request` instead (channels/download.py)."""
        import requests  # noqa: PLC0415 - deferred, as in request()

        if self._session is None:
            self._session = requests.Session()
        try:
            response = self._session.request(
                method,
                url,
                headers=dict(headers),
                data=body or None,  # UnionPay's file transfer is a POST
                timeout=(CONNECT_TIMEOUT, timeout),
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as exc:
            raise ChannelUnavailable(f"{method} {url} failed: {type(exc).__name__}") from exc
        return HttpStream(response.status_code, _chunks(response, method, url), dict(response.headers))


_CERT_FILES: dict[str, tuple[str, str]] = {}


def _client_cert_files(cert_pem: str, key_pem: str) -> tuple[str, str]:
    import hashlib  # noqa: PLC0415
    import os  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    name = hashlib.sha256((cert_pem + key_pem).encode()).hexdigest()[:16]
    if name not in _CERT_FILES:
        folder = tempfile.mkdtemp(prefix="paymux-tls-")  # 0700, this process's own
        paths = (os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem"))
        for path, text in zip(paths, (cert_pem, key_pem), strict=True):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(text)
        _CERT_FILES[name] = paths
    return _CERT_FILES[name]


def _chunks(response: Any, method: str, url: str) -> Iterator[bytes]:
    import requests  # noqa: PLC0415

    try:
        yield from response.iter_content(chunk_size=1 << 20)
    except requests.RequestException as exc:
        raise ChannelUnavailable(f"{method} {url} broke off: {type(exc).__name__}") from exc
    finally:
        response.close()
