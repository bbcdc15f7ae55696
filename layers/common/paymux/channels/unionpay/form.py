"""UnionPay ACP messages on the wire: `k=v&…` pairs in both directions (PROTOCOLS.md §3).

* An answer to our request (the body of a back/query/file transfer answer) is read like the
  official SDK's `SDKUtil.parseQString`: values are NOT url-decoded, and once a value meets a
  `{` or `[` it runs to the matching `}`/`]`, so `&` and `=` inside belong to the value.
  Unlike the SDK, which closes at the first `}`, nesting of the same bracket is counted, so
  `{a={b=1}&c=2}` stays one value (for anything the SDK reads right the result is the same).
* A notification is a browser-style form POST: `parse_post` url-decodes it.
* A request is sent urlencoded (`encode_form`).

Anything that is not such a message raises `CallbackRejected(reason="malformed")`, never a bare
exception: a client that reads an answer turns it into ChannelUnavailable (outcome unknown), a
notify handler answers it like any other untrusted callback. Duplicate keys are refused rather
than letting one copy silently win (the signed string would not say which one was signed)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping

from paymux.errors import CallbackRejected

_CLOSING = {"{": "}", "[": "]"}


def _malformed(message: str) -> CallbackRejected:
    return CallbackRejected(f"not a UnionPay message: {message}", reason="malformed")


def _put(pairs: dict[str, str], key: str, value: str) -> None:
    if not key:
        raise _malformed("a field without a name")
    if key in pairs:
        raise _malformed(f"field {key[:64]!r} appears twice")
    pairs[key] = value


class _Reader:
    """One pass over the text; `key` is None while a key is being read."""

    def __init__(self) -> None:
        self.pairs: dict[str, str] = {}
        self.key: str | None = None
        self.buffer: list[str] = []
        self.opener = ""  # the bracket a value opened with, "" outside one
        self.depth = 0

    def feed(self, char: str) -> None:
        if self.key is None:
            if char == "=":
                self.key, self.buffer = "".join(self.buffer), []
            elif char == "&":
                raise _malformed(f"field {''.join(self.buffer)[:64]!r} has no '='")
            else:
                self.buffer.append(char)
            return
        if self.depth:
            self._inside(char)
        elif char == "&":
            self.end()
            return
        elif char in _CLOSING:
            self.opener, self.depth = char, 1
        self.buffer.append(char)

    def _inside(self, char: str) -> None:
        if char == self.opener:
            self.depth += 1
        elif char == _CLOSING[self.opener]:
            self.depth -= 1

    def end(self) -> None:
        if self.key is None:
            raise _malformed(f"field {''.join(self.buffer)[:64]!r} has no '='")
        if self.depth:
            raise _malformed(f"field {self.key[:64]!r} has an unclosed {self.opener!r}")
        _put(self.pairs, self.key, "".join(self.buffer))
        self.key, self.buffer, self.opener = None, [], ""


def parse_form(text: str) -> dict[str, str]:
    """The fields of a UnionPay answer `k=v&…`, values as received (not url-decoded), `{…}` and
    `[…]` values whole. Raises CallbackRejected(reason="malformed") on an empty text, a field
    without `=` or name, an unclosed bracket, or a repeated key."""
    if not isinstance(text, str) or not text:
        raise _malformed("an empty answer")
    reader = _Reader()
    for char in text:
        reader.feed(char)
    reader.end()
    return reader.pairs


def parse_post(body: bytes) -> dict[str, str]:
    """The fields of a received `application/x-www-form-urlencoded` POST body (a notify),
    url-decoded as UTF-8, empty values kept (see `certificates.notify_fields`). Raises
    CallbackRejected(reason="malformed") on an empty body, one that is not such a form, or one
    that repeats a key."""
    try:
        text = body.decode("ascii")  # a urlencoded body is ASCII; anything else was not encoded
        pairs = urllib.parse.parse_qsl(
            text, keep_blank_values=True, strict_parsing=True, encoding="utf-8", errors="strict"
        )
    except (UnicodeDecodeError, ValueError, AttributeError) as exc:
        raise _malformed("the body is not a urlencoded form") from exc
    if not pairs:
        raise _malformed("an empty body")
    fields: dict[str, str] = {}
    for key, value in pairs:
        _put(fields, key, value)
    return fields


def encode_form(fields: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """The urlencoded (UTF-8) body of a request, fields in the given order."""
    items = fields.items() if isinstance(fields, Mapping) else fields
    return urllib.parse.urlencode(list(items), encoding="utf-8")
