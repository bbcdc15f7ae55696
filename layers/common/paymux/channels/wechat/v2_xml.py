"""WeChat Pay API v2's XML: one flat `<xml>` element of named text fields (CDATA or plain),
both ways. Decoding is expat driven by hand (standard library only) and refuses what a hostile
answer needs before anything is built: a DOCTYPE (so no entity of any kind, no external
reference), processing instructions, nesting below the fields, attributes, a field named twice,
anything over MAX_BYTES. Every refusal is ChannelUnavailable: an answer paymux cannot read says
nothing about the trade."""

from __future__ import annotations

from collections.abc import Mapping
from xml.parsers import expat

from paymux.errors import ChannelUnavailable

MAX_BYTES = 64 * 1024
ROOT = "xml"


def encode(fields: Mapping[str, str]) -> bytes:
    """`<xml><k><![CDATA[v]]></k>…</xml>`; a value holding "]]>" is split over two sections."""
    parts = [f"<{ROOT}>"]
    for name, value in fields.items():
        if not name.isidentifier() or not name.isascii():
            raise ValueError(f"not a WeChat Pay field name: {name!r}")
        text = str(value).replace("]]>", "]]]]><![CDATA[>")
        parts.append(f"<{name}><![CDATA[{text}]]></{name}>")
    parts.append(f"</{ROOT}>")
    return "".join(parts).encode("utf-8")


class _Reader:
    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self._depth = 0
        self._name = ""
        self._text: list[str] = []

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self._depth += 1
        if attributes or self._depth > 2 or (self._depth == 1) != (name == ROOT):
            raise ChannelUnavailable("WeChat Pay answered XML that is not one flat <xml> of fields")
        if self._depth == 2:
            if name in self.fields:
                raise ChannelUnavailable(f"WeChat Pay answered field {name} twice")
            self._name, self._text = name, []

    def end(self, name: str) -> None:
        if self._depth == 2:
            self.fields[self._name] = "".join(self._text)
        self._depth -= 1

    def text(self, data: str) -> None:
        if self._depth == 2:
            self._text.append(data)
        elif data.strip():
            raise ChannelUnavailable("WeChat Pay answered text outside its fields")


def _refuse(*_: object) -> None:
    raise ChannelUnavailable("WeChat Pay answered XML with a DOCTYPE or processing instruction")


def decode(body: bytes) -> dict[str, str]:
    if len(body) > MAX_BYTES:
        raise ChannelUnavailable("WeChat Pay answered more XML than any answer holds")
    reader = _Reader()
    parser = expat.ParserCreate("UTF-8")
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ProcessingInstructionHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse  # type: ignore[assignment]
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise ChannelUnavailable("WeChat Pay answered something that is not XML") from exc
    return reader.fields
