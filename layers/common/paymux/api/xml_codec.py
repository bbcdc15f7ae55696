"""The API's XML (docs/xml.md): one document is exactly one JSON value, so a body in XML decodes
to the same plain values as the same body in JSON, and every answer encodes back without loss.

    <request>                                   root: `request` (sent), `response` (answered)
      <amount type="number">1999</amount>       an object member is an element named by its key
      <subject>Coffee</subject>                 text is a string (the default type)
      <payer><openid>o1</openid></payer>        an element with child elements is an object
      <metadata><entry key="order ref">A1</entry></metadata>  a key that is no XML name
      <fallback_methods type="array"><item>alipay.qr</item></fallback_methods>
      <expires_in type="null"/>                 also type="boolean" (true/false), type="object"
    </request>

The only attributes are `type`, `encoding="base64"` (a string XML 1.0 cannot carry, as base64 of
its UTF-8) and, on `entry`, `key` or `key-base64`. Decoding is expat driven by hand, standard
library only, and refuses before anything is built what a hostile document needs: a DOCTYPE
(so no entity of any kind, no billion laughs, no external reference), processing instructions,
namespaces, nesting past paymux.api.media.MAX_DEPTH; then mixed content, an element named twice
in one object, an attribute or type it does not define. All of them are 422 validation_failed."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any, NoReturn
from xml.parsers import expat

from paymux.api.media import MAX_BODY_BYTES, MAX_DEPTH, json_number
from paymux.errors import ValidationFailed

REQUEST_ROOT = "request"
RESPONSE_ROOT = "response"
TYPES = ("string", "number", "boolean", "null", "object", "array")
ENTRY, ITEM = "entry", "item"
# A key written as the element's own name (ASCII, never xml…, never `entry`); any other is an entry.
_NAME = re.compile(r"(?!(?i:xml))[A-Za-z_][A-Za-z0-9_.-]*")
_NOT_XML_TEXT = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)


# ---- encoding: plain values (what handlers return) to a document -------------------------------


def encode_xml(value: Any, root: str = RESPONSE_ROOT) -> str:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>']
    _write(parts, root, "", value)
    return "".join(parts)


def _write(parts: list[str], name: str, key: str, value: Any) -> None:
    """`key`: the ` key="…"` attribute of an entry, already escaped, or ""."""
    if isinstance(value, dict):
        if not value:
            parts.append(f'<{name}{key} type="object"/>')
            return
        parts.append(f"<{name}{key}>")
        for member, item in value.items():
            _write(parts, *_member(member), item)
    elif isinstance(value, list | tuple):
        if not value:
            parts.append(f'<{name}{key} type="array"/>')
            return
        parts.append(f'<{name}{key} type="array">')
        for item in value:
            _write(parts, ITEM, "", item)
    else:
        parts.append(_scalar(name, key, value))
        return
    parts.append(f"</{name}>")


def _member(key: Any) -> tuple[str, str]:
    if not isinstance(key, str):  # as json.dumps writes a key that is a number, bool or None
        key = json.dumps(key)
    if key != ENTRY and _NAME.fullmatch(key):
        return key, ""
    if _NOT_XML_TEXT.search(key):
        return ENTRY, f' key-base64="{_base64(key)}"'
    return ENTRY, f' key="{key.translate(_ATTRIBUTE_ESCAPES)}"'


def _scalar(name: str, key: str, value: Any) -> str:
    if value is None:
        return f'<{name}{key} type="null"/>'
    if isinstance(value, bool):
        return f'<{name}{key} type="boolean">{"true" if value else "false"}</{name}>'
    if isinstance(value, int | float):
        return f'<{name}{key} type="number">{json.dumps(value)}</{name}>'
    if not isinstance(value, str):
        raise TypeError(f"{type(value).__name__} is not a JSON value")
    if _NOT_XML_TEXT.search(value):
        return f'<{name}{key} encoding="base64">{_base64(value)}</{name}>'
    return f"<{name}{key}>{value.translate(_TEXT_ESCAPES)}</{name}>"


def _base64(text: str) -> str:
    # surrogatepass: a lone surrogate (which no body that paymux read can hold) is still written,
    # and refused by the reader as not UTF-8, as JSON's "\ud800" is.
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode("ascii")


# ---- decoding: a document to plain values ------------------------------------------------------


@dataclass(slots=True)
class _Element:
    name: str
    attributes: dict[str, str]
    children: list[_Element] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


class _Refused(Exception):
    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.message, self.where = message, where or "body"


def decode_xml(body: bytes, root: str = REQUEST_ROOT) -> Any:
    """The document's value, or 422 validation_failed naming the element and the problem."""
    try:
        if len(body) > MAX_BODY_BYTES:
            raise _Refused(f"larger than {MAX_BODY_BYTES} bytes")
        document = _parse(body)
        if document.name != root:
            raise _Refused(f"the root element must be <{root}>, not <{document.name}>")
        return _value(document, "", _ATTRIBUTES)
    except _Refused as exc:
        raise ValidationFailed(
            "the body is not paymux XML (docs/xml.md)",
            details=[{"field": exc.where, "message": exc.message}],
        ) from None


def _parse(body: bytes) -> _Element:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Refused(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    builder = _Builder()
    parser = expat.ParserCreate(encoding="UTF-8")
    builder.attach(parser)
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise _Refused(f"not well-formed XML: {expat.ErrorString(exc.code)}, line {exc.lineno}") from None
    if builder.root is None:  # pragma: no cover - expat refuses a document without an element
        raise _Refused("no root element")
    return builder.root


class _Builder:
    """expat's handlers: the tree, with every refusal raised as the parser meets it."""

    def __init__(self) -> None:
        self.root: _Element | None = None
        self.open: list[_Element] = []

    def attach(self, parser: Any) -> None:
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.buffer_text = True
        parser.XmlDeclHandler = self.declaration
        parser.StartDoctypeDeclHandler = self.refuse("a DOCTYPE (DTDs and entities are not accepted)")
        parser.EntityDeclHandler = self.refuse("an entity declaration")
        parser.UnparsedEntityDeclHandler = self.refuse("an entity declaration")
        parser.NotationDeclHandler = self.refuse("a notation declaration")
        parser.ExternalEntityRefHandler = self.refuse("an external entity reference")
        parser.ProcessingInstructionHandler = self.refuse("a processing instruction")
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.data

    @staticmethod
    def refuse(what: str) -> Any:
        def handler(*_: Any) -> NoReturn:
            raise _Refused(f"{what} is not allowed")

        return handler

    @staticmethod
    def declaration(_version: str, encoding: str | None, _standalone: int) -> None:
        if encoding is not None and encoding.lower() not in ("utf-8", "utf8"):
            raise _Refused(f"the document must be UTF-8, not {encoding}")

    def start(self, name: str, attributes: dict[str, str]) -> None:
        where = ".".join(e.name for e in self.open[1:]) or name
        if len(self.open) >= MAX_DEPTH:
            raise _Refused(f"nested deeper than {MAX_DEPTH} elements", where)
        if ":" in name or any(":" in a for a in attributes):
            raise _Refused("namespaces are not used", where)
        element = _Element(name, attributes)
        if self.open:
            self.open[-1].children.append(element)
        else:
            self.root = element
        self.open.append(element)

    def end(self, _name: str) -> None:
        self.open.pop()

    def data(self, text: str) -> None:
        if self.open:
            self.open[-1].text.append(text)


_ATTRIBUTES = frozenset({"type", "encoding"})
_ENTRY_ATTRIBUTES = frozenset({"type", "encoding", "key", "key-base64"})


def _value(element: _Element, path: str, allowed: frozenset[str]) -> Any:
    for attribute in element.attributes:
        if attribute not in allowed:
            raise _Refused(f"attribute {attribute!r} is not defined here", path)
    kind = element.attributes.get("type") or ("object" if element.children else "string")
    if kind not in TYPES:
        raise _Refused(f"type must be one of {', '.join(TYPES)}", path)
    if "encoding" in element.attributes and (kind != "string" or element.attributes["encoding"] != "base64"):
        raise _Refused('encoding="base64" is for strings only', path)
    text = "".join(element.text)
    if kind in ("object", "array"):
        if text.strip():
            raise _Refused(f"an {kind} holds elements only, no text (mixed content)", path)
        return _object(element, path) if kind == "object" else _array(element, path)
    if element.children:
        raise _Refused(f"a {kind} holds no elements (mixed content)", path)
    return _scalar_value(element, path, kind, text)


def _scalar_value(element: _Element, path: str, kind: str, text: str) -> Any:
    if kind == "string":
        return _from_base64(text, path) if "encoding" in element.attributes else text
    if kind == "number" and _NUMBER.fullmatch(text):
        return json_number(text)
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    if kind == "null" and not text:
        return None
    expected = {"number": "a JSON number", "boolean": "true or false", "null": "empty"}[kind]
    raise _Refused(f"a {kind} must be {expected}", path)


def _object(element: _Element, path: str) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for child in element.children:
        entry = child.name == ENTRY
        key = _entry_key(child, path) if entry else child.name
        where = f"{path}.{key}" if path else key
        if key in value:
            raise _Refused("named twice in one object", where)
        value[key] = _value(child, where, _ENTRY_ATTRIBUTES if entry else _ATTRIBUTES)
    return value


def _entry_key(child: _Element, path: str) -> str:
    given = [a for a in ("key", "key-base64") if a in child.attributes]
    if len(given) != 1:
        raise _Refused(f"an <{ENTRY}> has exactly one of key and key-base64", path)
    raw = child.attributes[given[0]]
    return _from_base64(raw, path) if given[0] == "key-base64" else raw


def _array(element: _Element, path: str) -> list[Any]:
    items = []
    for index, child in enumerate(element.children):
        where = f"{path}.{index}" if path else str(index)
        if child.name != ITEM:
            raise _Refused(f"an array holds <{ITEM}> elements only, not <{child.name}>", where)
        items.append(_value(child, where, _ATTRIBUTES))
    return items


def _from_base64(text: str, where: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _Refused("not base64 of UTF-8 text", where) from None
