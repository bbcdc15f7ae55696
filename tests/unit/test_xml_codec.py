"""The XML mapping (docs/xml.md): every JSON value round-trips, every request and response model
round-trips, the documented example reads as documented, and hostile documents are a 422."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from paymux.api.media import MAX_DEPTH, decode_body, decode_json
from paymux.api.models import CreatePaymentRequest, CreateRefundRequest
from paymux.api.resources import NotificationEvent, PaymentResource, RefundResource
from paymux.api.xml_codec import REQUEST_ROOT, RESPONSE_ROOT, decode_xml, encode_xml
from paymux.errors import PaymuxError, ValidationFailed
from tests.hostile_xml import HOSTILE_XML
from tests.unit.test_openapi import NOW, PAYMENTS, REFUNDS

XML = "application/xml"
# Any text a JSON value can hold once decoded (paymux refuses lone surrogates in every body).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
SCALARS = st.none() | st.booleans() | st.integers(-(10**20), 10**20) | TEXT
SCALARS |= st.floats(allow_nan=False, allow_infinity=False)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=25,
)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 1


def round_trip(value: Any, root: str = RESPONSE_ROOT) -> Any:
    return decode_xml(encode_xml(value, root).encode("utf-8"), root)


@PROPERTY
@given(VALUES)
def test_every_json_value_reads_back_as_the_same_json_would(value: Any) -> None:
    assume(depth(value) <= MAX_DEPTH)
    as_json = decode_json(json.dumps(value, ensure_ascii=False).encode())  # e.g. 2.0 reads as 2
    assert round_trip(value) == as_json
    assert round_trip(value, REQUEST_ROOT) == as_json


# Request bodies as merchants send them: every field, metadata keys of any allowed text.
PRINTABLE = st.characters(exclude_categories=["Cs", "Cc"])
METADATA_KEYS = st.text(PRINTABLE, min_size=1, max_size=40)
CREATE_REQUESTS = st.fixed_dictionaries(
    {
        "amount": st.integers(1, 10_000_000_000),
        "currency": st.just("CNY"),
        "method": st.sampled_from(["wechat.native", "alipay.qr", "unionpay.qr"]),
        "subject": st.text(PRINTABLE, min_size=1, max_size=20),
        "merchant_order_no": st.from_regex(r"\A[0-9A-Za-z_\-*|@.]{1,64}\Z"),
        "notify_url": st.just("https://merchant.example.com/notify?a=1&b=<2>"),
    },
    optional={
        "fallback_methods": st.just([]),
        "expires_in": st.none() | st.integers(60, 3600),
        "description": st.text(PRINTABLE, max_size=20),
        "payer": st.fixed_dictionaries(
            {},
            optional={"openid": st.just("o-abc_1"), "client_ip": st.just("::1"), "h5_type": st.just("iOS")},
        ),
        "metadata": st.dictionaries(METADATA_KEYS, TEXT, max_size=5),
    },
)


@PROPERTY
@given(CREATE_REQUESTS)
def test_create_payment_requests_round_trip(body: dict[str, Any]) -> None:
    decoded = decode_body(XML, encode_xml(body, REQUEST_ROOT).encode(), {})
    assert decoded == body
    assert CreatePaymentRequest.model_validate(decoded) == CreatePaymentRequest.model_validate(body)


def test_create_refund_request_round_trips() -> None:
    body = {"amount": 500, "merchant_refund_no": "R-1", "reason": "尺码不合适 & <退货>"}
    assert CreateRefundRequest.model_validate(round_trip(body, REQUEST_ROOT)) == CreateRefundRequest(**body)


@pytest.mark.parametrize("public", [p.to_public() for p in PAYMENTS], ids=lambda p: p["status"])
def test_every_payment_shape_round_trips(public: dict[str, Any]) -> None:
    assert round_trip(public) == public
    PaymentResource.model_validate(round_trip(public))


@pytest.mark.parametrize("public", [r.to_public() for r in REFUNDS], ids=lambda r: r["status"])
def test_every_refund_shape_round_trips(public: dict[str, Any]) -> None:
    assert round_trip(public) == public
    RefundResource.model_validate(round_trip(public))


def test_a_notification_event_round_trips() -> None:
    event = {"id": "evt_" + "0" * 26, "type": "payment.succeeded", "created": int(NOW)}
    event["data"] = {"object": PAYMENTS[6].to_public()}
    assert round_trip(event) == event
    NotificationEvent.model_validate(round_trip(event))


DOCUMENTED = """<?xml version="1.0" encoding="UTF-8"?>
<request>
  <amount type="number">1999</amount>
  <currency>CNY</currency>
  <method>wechat.native</method>
  <fallback_methods type="array"><item>alipay.qr</item></fallback_methods>
  <subject>Coffee &amp; beans</subject>
  <merchant_order_no>20261201-0001</merchant_order_no>
  <notify_url>https://merchant.example.com/notify?a=1&amp;b=2</notify_url>
  <expires_in type="null"/>
  <payer><client_ip>203.0.113.7</client_ip></payer>
  <metadata>
    <order_ref>A-1</order_ref>
    <entry key="渠道 来源">门店</entry>
    <!-- comments are ignored -->
    <empty></empty>
  </metadata>
</request>
"""


def test_the_documented_example_reads_as_documented() -> None:
    assert decode_xml(DOCUMENTED.encode()) == {
        "amount": 1999,
        "currency": "CNY",
        "method": "wechat.native",
        "fallback_methods": ["alipay.qr"],
        "subject": "Coffee & beans",
        "merchant_order_no": "20261201-0001",  # text is always a string, even when it looks like a number
        "notify_url": "https://merchant.example.com/notify?a=1&b=2",
        "expires_in": None,
        "payer": {"client_ip": "203.0.113.7"},
        "metadata": {"order_ref": "A-1", "渠道 来源": "门店", "empty": ""},
    }


def test_the_encoding_is_compact_typed_and_escaped() -> None:
    value = {"a": 1, "b": "x<&>\r", "c": [True, None], "d": {}, "e": [], "entry": "e", "1x": "\x01"}
    assert encode_xml(value) == (
        '<?xml version="1.0" encoding="UTF-8"?><response><a type="number">1</a><b>x&lt;&amp;&gt;&#13;</b>'
        '<c type="array"><item type="boolean">true</item><item type="null"/></c><d type="object"/>'
        '<e type="array"/><entry key="entry">e</entry><entry key="1x" encoding="base64">AQ==</entry></response>'
    )


def test_whitespace_is_kept_in_strings_and_ignored_between_elements() -> None:
    document = b"<request>\n  <a> two  words </a>\n  <b type='array'>\n    <item>x</item>\n  </b>\n</request>"
    assert decode_xml(document) == {"a": " two  words ", "b": ["x"]}


def test_an_amount_written_without_its_type_is_a_string_the_model_refuses() -> None:
    body = decode_xml(b"<request><amount>1999</amount></request>")
    assert body == {"amount": "1999"}


@pytest.mark.parametrize("name", list(HOSTILE_XML))
def test_a_hostile_document_is_a_422_naming_the_problem(name: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        decode_body(XML, HOSTILE_XML[name], {})
    assert err.value.status == 422
    assert err.value.details and err.value.details[0]["message"]
    assert "root:" not in json.dumps(err.value.details)  # nothing of /etc/passwd was read


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("billion laughs", "DOCTYPE"),
        ("external entity", "DOCTYPE"),
        ("deep nesting", f"deeper than {MAX_DEPTH}"),
        ("duplicate element", "named twice"),
        ("mixed content", "mixed content"),
        ("element in a string", "mixed content"),
        ("undefined attribute", "'unit' is not defined"),
        ("processing instruction", "processing instruction"),
        ("namespaced element", "namespaces"),
    ],
)
def test_the_refusal_says_why(name: str, fragment: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        decode_xml(HOSTILE_XML[name])
    assert fragment in err.value.details[0]["message"]


def test_the_field_of_a_refusal_is_the_elements_path() -> None:
    with pytest.raises(ValidationFailed) as err:
        decode_xml(b'<request><payer><openid a="1">o</openid></payer></request>')
    assert err.value.details == [{"field": "payer.openid", "message": "attribute 'a' is not defined here"}]
    with pytest.raises(ValidationFailed) as err:
        decode_xml(b'<request><m type="array"><item/><item type="number">x</item></m></request>')
    assert err.value.details[0]["field"] == "m.1"


def test_a_huge_text_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(ValidationFailed):
        decode_xml(b"<request><subject>" + b"x" * (64 * 1024) + b"</subject></request>")


XML_ISH = st.lists(
    st.sampled_from(["<request>", "</request>", "<a>", "</a>", "<item>", "</item>", ' type="array"', ">", "<",
                     "&amp;", "&#0;", "&#13;", "<!DOCTYPE r>", "<?pi?>", "<!--c-->", "<![CDATA[x]]>", 'key="k"',
                     "<entry ", "/>", "x", " ", "\ud800", "\x00", "é"]),
    max_size=30,
).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass"))  # fmt: skip


@PROPERTY
@given(st.binary(max_size=200) | XML_ISH)
def test_any_bytes_are_a_value_or_a_typed_4xx(body: bytes) -> None:
    try:
        decode_body(XML, body, {})
    except PaymuxError as exc:
        assert 400 <= exc.status < 500


def test_keys_that_are_not_strings_are_written_as_json_writes_them() -> None:
    keys = {2: "a", None: "b", True: "c", 1.5: "d"}
    assert (
        round_trip(keys) == json.loads(json.dumps(keys)) == {"2": "a", "null": "b", "true": "c", "1.5": "d"}
    )
