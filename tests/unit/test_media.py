"""How a request body is read: JSON or XML (tests/unit/test_xml_codec.py), UTF-8 only, bounded,
and every string valid Unicode."""

import pytest

from paymux.api.media import MAX_DEPTH, check_body, decode_body, decode_json
from paymux.api.routes import allowed_methods
from paymux.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed


def test_integral_numbers_are_integers_as_json_schema_says() -> None:
    assert decode_json(b'{"a": 100.0, "b": 1e2, "c": 1.5, "d": -0.0, "e": 1e400}') == {
        "a": 100,
        "b": 100,
        "c": 1.5,
        "d": 0,
        "e": float("inf"),
    }
    assert isinstance(decode_json(b"100.0"), int)
    assert isinstance(decode_json(b"1e30"), float)  # too large for any amount: stays a float


@pytest.mark.parametrize(
    "body",
    [b'{"a": 1, "a": 2}', b"NaN", b'{"a": Infinity}', b"\xff", '{"a": 1}'.encode("utf-16"), b"{"],
)
def test_what_is_not_one_unambiguous_json_document_is_a_422(body: bytes) -> None:
    with pytest.raises(ValidationFailed):
        decode_json(body)


def test_depth_is_bounded_without_recursion() -> None:
    assert decode_body("application/json", b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, {}) is not None
    for depth in (MAX_DEPTH + 1, 30_000):  # 60 000 bytes: within the size limit, past recursion
        with pytest.raises(ValidationFailed) as err:
            decode_body("application/json", b"[" * depth + b"]" * depth, {})
        assert "nested too deeply" in err.value.message


@pytest.mark.parametrize("raw", [b'{"\\ud800": 1}', b'{"a": ["x", "\\udfff"]}', b'"\\ud83d"'])
def test_a_lone_surrogate_anywhere_is_a_422(raw: bytes) -> None:
    with pytest.raises(ValidationFailed) as err:
        decode_body("application/json", raw, {})
    assert "surrogate" in err.value.details[0]["message"]
    assert decode_body("application/json", b'"\\ud83d\\ude0d"', {}) == "\U0001f60d"  # a pair is text


@pytest.mark.parametrize(
    ("content_type", "error"),
    [
        ("text/xml; charset=us-ascii", UnsupportedMediaType),
        ("application/xml; charset=utf-16", UnsupportedMediaType),
        ("", UnsupportedMediaType),
        ("application/json; charset=iso-8859-1", UnsupportedMediaType),
        ("text/plain", UnsupportedMediaType),
    ],
)
def test_a_body_of_another_media_type_is_a_415(content_type: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        check_body(content_type, b"{}")
    check_body(content_type, b"")  # no body, no media type needed
    check_body("Application/JSON; charset=UTF-8", b"{}")
    check_body("application/xml; charset=utf-8", b"<request/>")


@pytest.mark.parametrize("content_type", ["text/xml", "Text/XML; charset=UTF-8", "application/xml"])
def test_text_xml_is_read_as_the_same_xml(content_type: str) -> None:
    document = b"<request><amount type='number'>1999</amount><payer><client_ip>203.0.113.7</client_ip></payer></request>"
    check_body(content_type, document)
    assert decode_body(content_type, document, {}) == {"amount": 1999, "payer": {"client_ip": "203.0.113.7"}}


def test_a_body_over_64_kib_is_a_413() -> None:
    with pytest.raises(PayloadTooLarge):
        check_body("application/json", b" " * (64 * 1024 + 1))


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/v1/payments", ("GET", "POST")),
        ("/v1/payments/pay_X/close", ("POST",)),
        ("/v1/admin/channel-accounts/wx-1", ("GET", "PATCH")),
        ("/v1/nothing", ()),
        ("/v1/payments/a/b/c/d", ()),
    ],
)
def test_allowed_methods_come_from_the_route_table(path: str, methods: tuple[str, ...]) -> None:
    assert allowed_methods(path) == methods
