"""UnionPay's file transfer answer (txnType 76) read from disk in bounded memory.

Its `fileContent` is base64(deflate(zip)) of the whole day in one `k=v&…` form: a million-row
day is hundreds of MB of text, which `form.parse_form` would hold several times over. Here the
body goes to /tmp as it arrives (download.receive); `scan` reads every other field by parse_form's
rules and only locates fileContent's value; `signed_digest` hashes the signed string (every
field but `signature`, sorted, fileContent's value byte for byte) reading that value in chunks,
for the caller to verify; only then `unpack` decodes and inflates it (zlib-wrapped as the
official SDKs write it, or raw deflate) chunk by chunk to the zip in /tmp, with its SHA-1."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import tempfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from paymux.channels.download import TEMP_PREFIX, discard
from paymux.channels.statement import StatementInvalid
from paymux.channels.unionpay import form, signing
from paymux.channels.unionpay.statement import MAX_UNCOMPRESSED
from paymux.errors import CallbackRejected

CONTENT = "fileContent"
CHUNK = 1 << 20
MAX_FIELD = 64 * 1024  # any other field (signPubKeyCert ≈ 2 KB) longer than this is refused
_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_CLOSING = {ord("{"): ord("}"), ord("["): ord("]")}


@dataclass(frozen=True, slots=True)
class Located:
    """The answer's fields without fileContent, and where fileContent's value lies in the file
    (`start`, `end` byte offsets; start == end: empty; None: the answer has no fileContent)."""

    fields: dict[str, str]
    content: tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class FileAnswer:
    """A verified answer: its fields but fileContent, and the zip on disk ("" for none)."""

    fields: dict[str, str]
    zip_path: str
    zip_sha1: str


@dataclass(frozen=True, slots=True)
class Unpacked:
    zip_path: str  # "" when fileContent is empty
    zip_sha1: str
    zip_size: int


def _chunks(file: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    file.seek(start)
    left = end - start
    while left > 0:
        chunk = file.read(min(CHUNK, left))
        if not chunk:
            raise StatementInvalid("the UnionPay file answer is shorter than it was")
        left -= len(chunk)
        yield chunk


class _Scanner:
    """form.parse_form's rules over bytes (`&`, `=`, `{}`, `[]` are ASCII, never part of a
    UTF-8 sequence): every field but fileContent is copied to `small` for form.parse_form to
    read, fileContent's value (base64: never a bracket or `&`) only located."""

    def __init__(self) -> None:
        self.small = bytearray()
        self.content: tuple[int, int] | None = None
        self._key = bytearray()
        self._in_value = self._skipping = False
        self._sep = False  # the `&` after fileContent's value, owed to the field that follows
        self._opener, self._depth, self._start = 0, 0, 0

    def feed(self, chunk: bytes, offset: int) -> None:
        at = 0
        while at < len(chunk):
            if self._skipping:
                stop = chunk.find(b"&", at)
                if stop < 0:
                    return
                self._end_content(offset + stop)
                self._sep = True
                at = stop + 1
            elif self._in_value:
                at = self._value_byte(chunk[at], at)
            else:
                at = self._key_bytes(chunk, at, offset)

    def _key_bytes(self, chunk: bytes, at: int, offset: int) -> int:
        equals = chunk.find(b"=", at)
        self._key += chunk[at:] if equals < 0 else chunk[at:equals]
        if len(self._key) > MAX_FIELD:
            raise _malformed("a field name is too long")
        if equals < 0:
            return len(chunk)
        if self._key == CONTENT.encode():
            self._skipping, self._start = True, offset + equals + 1
            if self.small.endswith(b"&"):  # the field before it ended there
                del self.small[-1]
        else:
            self._rejoin()
            self.small += self._key + b"="
            self._in_value = True
        self._key.clear()
        return equals + 1

    def _value_byte(self, byte: int, at: int) -> int:
        self.small.append(byte)
        if len(self.small) > 16 * MAX_FIELD:
            raise _malformed("the fields beside fileContent are too long")
        if self._depth:
            closing = _CLOSING[self._opener]
            self._depth += (byte == self._opener) - (byte == closing)
        elif byte in _CLOSING:
            self._opener, self._depth = byte, 1
        elif byte == ord("&"):
            self._in_value = False
        return at + 1

    def _rejoin(self) -> None:
        if self._sep and self.small:
            self.small += b"&"
        self._sep = False

    def _end_content(self, end: int) -> None:
        if self.content is not None:
            raise _malformed("fileContent appears twice")
        self.content = (self._start, end)
        self._skipping = False

    def finish(self, size: int) -> None:
        if self._skipping:
            self._end_content(size)
        elif self._sep and not self._key:
            raise _malformed("the answer ends with '&'")
        if self._key:
            self._rejoin()
            self.small += self._key


def _malformed(message: str) -> CallbackRejected:
    return CallbackRejected(f"not a UnionPay message: {message}", reason="malformed")


def scan(path: str) -> Located:
    """The fields of the answer in `path` (values as received), fileContent only located.
    Raises CallbackRejected(reason="malformed") as form.parse_form does."""
    scanner = _Scanner()
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        for number, chunk in enumerate(_chunks(file, 0, size)):
            scanner.feed(chunk, number * CHUNK)
    scanner.finish(size)
    text = bytes(scanner.small)
    try:
        fields = form.parse_form(text.decode("utf-8")) if text else {}
    except UnicodeDecodeError as exc:
        raise _malformed("the answer is not UTF-8") from exc
    if not fields and scanner.content is None:
        raise _malformed("an empty answer")
    if CONTENT in fields:
        raise _malformed("fileContent appears twice")
    return Located(fields, scanner.content)


class _Inflater:
    """zlib-wrapped deflate, or raw deflate when the stream does not start with a zlib header
    (statement.unpack_file_content accepts both), inflated CHUNK at a time."""

    def __init__(self, write: Callable[[bytes], None]) -> None:
        self._write = write
        self._engine: zlib._Decompress | None = None
        self.size = 0

    @property
    def started(self) -> bool:
        return self._engine is not None

    def feed(self, data: bytes) -> None:
        if self._engine is None and data:
            self._engine = _engine_for(data)
        while data:
            assert self._engine is not None  # narrowing: set above  # nosec B101
            try:
                out = self._engine.decompress(data, CHUNK)
            except zlib.error as exc:
                raise StatementInvalid("UnionPay fileContent does not inflate") from exc
            self.size += len(out)
            if self.size > MAX_UNCOMPRESSED:
                raise StatementInvalid("UnionPay fileContent inflates too large")
            if out:
                self._write(out)
            data = self._engine.unconsumed_tail

    def finish(self) -> None:
        if self._engine is None or not self._engine.eof:
            raise StatementInvalid("UnionPay fileContent is cut short or inflates too large")


def _engine_for(first: bytes) -> zlib._Decompress:
    """zlib when the first chunk inflates as zlib (statement.unpack_file_content's order)."""
    try:
        zlib.decompressobj(zlib.MAX_WBITS).decompress(first, CHUNK)
    except zlib.error:
        return zlib.decompressobj(-zlib.MAX_WBITS)
    return zlib.decompressobj(zlib.MAX_WBITS)


def _decoded(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """base64 in chunks, line breaks tolerated (as statement.unpack_file_content); nothing may
    follow the padding."""
    rest, ended = b"", False
    for chunk in chunks:
        text = rest + b"".join(chunk.split())
        whole = len(text) - len(text) % 4
        rest = text[whole:]
        if not whole:
            continue
        if ended or not _B64.issuperset(text):
            raise StatementInvalid("UnionPay fileContent is not base64")
        ended = text[whole - 1] == ord("=")
        yield _b64(text[:whole])
    if rest:
        raise StatementInvalid("UnionPay fileContent is not base64")


def _b64(text: bytes) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise StatementInvalid("UnionPay fileContent is not base64") from exc


def _signed_parts(fields: Mapping[str, str]) -> tuple[bytes, bytes]:
    """The signed string before fileContent's value and after it."""
    keys = sorted([*fields, CONTENT])
    before = [f"{k}={fields[k]}" for k in keys[: keys.index(CONTENT)] if k != signing.SIGNATURE]
    after = [f"{k}={fields[k]}" for k in keys[keys.index(CONTENT) + 1 :] if k != signing.SIGNATURE]
    head = "&".join([*before, f"{CONTENT}="])
    tail = "".join(f"&{part}" for part in after)
    return head.encode("utf-8"), tail.encode("utf-8")


def signed_digest(path: str, located: Located) -> bytes:
    """signing.digest of the whole answer in `path`, fileContent's value hashed as it is read."""
    if located.content is None:
        return signing.digest(located.fields)
    head, tail = _signed_parts(located.fields)
    hasher = hashlib.sha256(head)
    with open(path, "rb") as answer:
        for chunk in _chunks(answer, *located.content):
            hasher.update(chunk)
    hasher.update(tail)
    return hasher.hexdigest().encode("ascii")


def unpack(path: str, located: Located) -> Unpacked:
    """fileContent's value in `path` decoded and inflated to a new file in /tmp, the zip;
    an empty Unpacked when the value is empty (no file for that day). StatementInvalid when it
    is not base64 of a deflate stream."""
    start, end = located.content or (0, 0)
    if start == end:
        return Unpacked("", "", 0)
    descriptor, zip_path = tempfile.mkstemp(prefix=TEMP_PREFIX)
    sha1 = hashlib.sha1(usedforsecurity=False)
    try:
        with os.fdopen(descriptor, "wb") as out, open(path, "rb") as answer:

            def write(data: bytes) -> None:
                sha1.update(data)
                out.write(data)

            inflater = _Inflater(write)
            for packed in _decoded(_chunks(answer, start, end)):
                inflater.feed(packed)
            if inflater.started:
                inflater.finish()
    except BaseException:
        discard(zip_path)
        raise
    if not inflater.started:  # only line breaks: no file, as unpack_file_content reads it
        discard(zip_path)
        return Unpacked("", "", 0)
    return Unpacked(zip_path, sha1.hexdigest(), inflater.size)
