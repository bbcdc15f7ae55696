"""The media types the API speaks, how a body of each is read, and which one an answer is in.

The API speaks JSON and XML (docs/xml.md); another media type is one more decoder in
`DECODERS` and one more renderer in paymux.api.http. Every decoder returns plain Python values
(dict, list, str, int, float, bool, None) or raises a typed 4xx, and every decoded body is
checked the same way afterwards: nesting depth, and text that is valid Unicode (no lone
surrogates), so nothing downstream (models, stores, channels) ever sees a value it cannot
encode. The answer's media type is negotiated from Accept before anything runs (`negotiate`).
Standard library only; the XML codec is imported on the first XML body."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from paymux.errors import NotAcceptable, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

JSON = "application/json"
XML = "application/xml"
# text/xml is the same XML (RFC 7303 makes the two synonyms; older clients, SOAP stacks and
# some Chinese gateways' SDKs send it): read alike, and answered as text/xml when that is the
# type Accept prefers. The body must still be UTF-8.
TEXT_XML = "text/xml"
XML_TYPES = (XML, TEXT_XML)
ANSWERED = (JSON, XML, TEXT_XML)  # what an answer may be in, the default first
MAX_BODY_BYTES = 64 * 1024  # a create request with full metadata is ~12 KB
MAX_DEPTH = 16  # the deepest request body today is 2 levels (payer, metadata)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object naming a key twice is ambiguous (parsers keep the first or the last)."""
    value: dict[str, Any] = {}
    for key, item in pairs:
        if key in value:
            raise _DuplicateKey(key)
        value[key] = item
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_number(text: str) -> int | float:
    """JSON has one number type, and JSON Schema calls `100.0` and `1e2` integers: an integral
    number is an int here too (exactly, through Decimal), so what the schema calls an integer
    the models accept. Anything else (a fraction, or too large to be an amount, e.g. 1e400)
    stays a float, which the models refuse where they want an integer."""
    number = Decimal(text)
    if number.is_finite() and number.adjusted() < 20 and number == number.to_integral_value():
        return int(number)
    return float(text)


def decode_json(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
        return json.loads(
            text, object_pairs_hook=_unique_keys, parse_constant=_no_constant, parse_float=json_number
        )
    except RecursionError:
        raise _too_deep() from None
    except _DuplicateKey as exc:
        raise ValidationFailed(
            "the body names a key twice",
            details=[{"field": _printable(exc.key), "message": "duplicate key"}],
        ) from None
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ValidationFailed(
            "the body is not valid JSON (UTF-8)",
            details=[{"field": "body", "message": _printable(str(exc))[:200]}],
        ) from None


def decode_xml(body: bytes) -> Any:
    from paymux.api.xml_codec import decode_xml as decode  # noqa: PLC0415 - lazy: JSON never pays

    return decode(body)


DECODERS: dict[str, Callable[[bytes], Any]] = {JSON: decode_json, XML: decode_xml, TEXT_XML: decode_xml}


def media_type(content_type: str) -> str:
    """`application/json; charset=utf-8` → `application/json`."""
    return content_type.split(";", maxsplit=1)[0].strip().lower()


def check_body(content_type: str, body: bytes) -> None:
    """Refuses, before anything runs, a body the API cannot read: too large (413), or of a
    media type it does not speak (415). An empty body needs no Content-Type."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
    if body and media_type(content_type) not in DECODERS:
        raise UnsupportedMediaType(
            f"Content-Type must be one of {', '.join(DECODERS)}",
            details=[{"field": "Content-Type", "message": f"supported: {', '.join(DECODERS)}"}],
        )
    charset = _charset(content_type)
    if body and charset not in ("", "utf-8"):
        raise UnsupportedMediaType(
            "the body must be UTF-8",
            details=[{"field": "Content-Type", "message": "charset must be utf-8"}],
        )


def decode_body(content_type: str, body: bytes, empty: Any) -> Any:
    """The body as plain values, checked; `empty` when there is none."""
    if not body:
        return empty
    check_body(content_type, body)
    value = DECODERS[media_type(content_type)](body)
    check_values(value)
    return value


def check_values(value: Any) -> None:
    """Depth and Unicode of every key and string, iteratively (a hostile body cannot recurse)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        if isinstance(node, str):
            _check_text(node, path)
        elif isinstance(node, dict):
            for key, item in node.items():
                _check_text(key, path)
                stack.append((item, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(node, list):
            stack.extend((item, f"{path}.{i}" if path else str(i), depth + 1) for i, item in enumerate(node))


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed(
            "the body contains text that is not valid Unicode",
            details=[{"field": path or "body", "message": "a lone surrogate (\\ud800-\\udfff) is not text"}],
        ) from None


def _too_deep() -> ValidationFailed:
    return ValidationFailed(
        "the body is nested too deeply",
        details=[{"field": "body", "message": f"at most {MAX_DEPTH} levels of objects and arrays"}],
    )


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def negotiate(accept: str) -> str:
    """The media type to answer in: the acceptable one with the highest q, then the one named
    most exactly (`application/xml` beats `*/*`), then JSON, then application/xml before
    text/xml (`text/xml` or `text/*` alone answers text/xml). No Accept, `*/*` or `application/*`
    is JSON; an Accept that allows neither is 406 not_acceptable. A range whose q is not a
    number in [0, 1] is ignored, as if it were not there."""
    ranges = [r for r in map(_media_range, accept.split(",")) if r is not None]
    if not accept.strip():
        return JSON
    best = max(ANSWERED, key=lambda media: (*_quality(media, ranges), media == JSON))
    if _quality(best, ranges)[0] <= 0:
        raise NotAcceptable(
            f"Accept allows none of {', '.join(ANSWERED)}",
            details=[{"field": "Accept", "message": f"answered in: {', '.join(ANSWERED)}"}],
        )
    return best


def answer_media(accept: str) -> str:
    """`negotiate`, but JSON where it would refuse: for answers that are errors already."""
    try:
        return negotiate(accept)
    except NotAcceptable:
        return JSON


def _media_range(text: str) -> tuple[str, float] | None:
    name, *parameters = (part.strip() for part in text.split(";"))
    name = "*/*" if name == "*" else name.lower()  # a lone `*`: what some old clients send
    quality = 1.0
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return None
            if not 0 <= quality <= 1:
                return None
    return (name, quality) if name.count("/") == 1 else None


def _quality(media: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """The q of the most specific range that matches `media`, and how specific it is."""
    kind = media.split("/", maxsplit=1)[0]
    found = (0.0, -1)
    for name, quality in ranges:
        specificity = {media: 2, f"{kind}/*": 1, "*/*": 0}.get(name, -1)
        if specificity > found[1]:
            found = (quality, specificity)
    return found


def _charset(content_type: str) -> str:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return ""
