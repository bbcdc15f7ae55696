"""A statement file downloaded to local disk (/tmp) as it arrives, hashed on the way, so a
million-row bill never sits in memory: the channel checks the hash, the parser reads the file
line by line, the archive uploads it in parts (store/reports.py).

An HTTP client that has `stream` (channels/http.RequestsHttpClient) is read chunk by chunk;
one that only has `request` (a test's, a sandbox transport) gives its body whole, which is
written out the same way."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from paymux.channels.http import HttpClient, HttpStream
from paymux.errors import ChannelUnavailable

TEMP_PREFIX = "paymux-statement-"


@dataclass(frozen=True, slots=True)
class Downloaded:
    path: str
    sha1: str
    size: int
    status: int
    first: bytes  # the first bytes of the body (an error answer is read from them)


def _answer(http: HttpClient, url: str, headers: Mapping[str, str]) -> HttpStream:
    stream = getattr(http, "stream", None)
    if stream is not None:
        answer: HttpStream = stream("GET", url, headers=headers)
        return answer
    response = http.request("GET", url, headers=headers)
    return HttpStream(response.status, iter((response.body,)), response.headers)


def download(
    http: HttpClient, url: str, headers: Mapping[str, str], *, directory: str | None = None
) -> Downloaded:
    """GET `url` into a new temporary file; the caller removes it (`discard`) when done."""
    answer = _answer(http, url, headers)
    digest = hashlib.sha1(usedforsecurity=False)  # the channels' content fingerprint
    descriptor, path = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
    size, first = 0, b""
    try:
        with os.fdopen(descriptor, "wb") as file:
            for chunk in _nonempty(answer.chunks):
                if len(first) < 4096:
                    first += chunk[: 4096 - len(first)]
                digest.update(chunk)
                file.write(chunk)
                size += len(chunk)
    except (OSError, ChannelUnavailable) as exc:
        discard(path)
        if isinstance(exc, ChannelUnavailable):
            raise
        raise ChannelUnavailable(f"statement download could not be written: {exc.strerror}") from exc
    return Downloaded(path, digest.hexdigest(), size, answer.status, first)


def _nonempty(chunks: Iterator[bytes]) -> Iterator[bytes]:
    return (c for c in chunks if c)


def discard(path: str) -> None:
    """Removes a downloaded file (a missing one is fine: removed already)."""
    if path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
