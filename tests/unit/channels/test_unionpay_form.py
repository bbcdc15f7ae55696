"""UnionPay `k=v&…` messages: answers as the official parseQString reads them (brackets kept
whole, no url-decoding), received form POSTs url-decoded, requests urlencoded; anything else is
a typed CallbackRejected(reason="malformed")."""

from __future__ import annotations

from pathlib import Path

import pytest

from paymux.channels.unionpay.form import encode_form, parse_form, parse_post
from paymux.errors import CallbackRejected

FIXTURES = Path(__file__).parents[2] / "fixtures" / "unionpay"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=1&b=2", {"a": "1", "b": "2"}),
        ("a=&b=2&c=", {"a": "", "b": "2", "c": ""}),
        ("a=b=c&d=1", {"a": "b=c", "d": "1"}),  # only the first '=' ends the key
        ("a=%20+x&b=1", {"a": "%20+x", "b": "1"}),  # not url-decoded
        ("a={b=1&c=2}&d=3", {"a": "{b=1&c=2}", "d": "3"}),
        ("a={b={c=1&d=2}&e=3}&f=4", {"a": "{b={c=1&d=2}&e=3}", "f": "4"}),  # nested: one value
        ("a=[{x=1&y=2},{x=3&y=4}]&b=", {"a": "[{x=1&y=2},{x=3&y=4}]", "b": ""}),
        ("a=[1&[2&3]&4]&b={]&}", {"a": "[1&[2&3]&4]", "b": "{]&}"}),  # only the opening kind counts
        ("a=x{&=}y&b=1", {"a": "x{&=}y", "b": "1"}),  # a bracket inside a value opens too, as the SDK
        ("respMsg=成功[0000000]&respCode=00", {"respMsg": "成功[0000000]", "respCode": "00"}),
        ("a=}&b=]", {"a": "}", "b": "]"}),  # a closing bracket alone is just a character
        (
            "customerInfo={phoneNo=138&certifTp=01}&payerInfo=[{a=1}]&reqReserved={x=[&]}&z=0",
            {
                "customerInfo": "{phoneNo=138&certifTp=01}",
                "payerInfo": "[{a=1}]",
                "reqReserved": "{x=[&]}",
                "z": "0",
            },
        ),
    ],
)
def test_parse_form_keeps_bracketed_values_whole(text: str, expected: dict[str, str]) -> None:
    assert parse_form(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",  # empty answer
        "a",  # no '='
        "a&b=1",  # a key without '='
        "a=1&",  # trailing '&'
        "=1",  # no name
        "a=1&&b=2",  # an empty pair
        "a={1&b=2",  # unclosed brace
        "a=[{1]&b=2}&c=[",  # unclosed bracket at the end
        "a=1&a=2",  # a repeated key: which one was signed?
    ],
)
def test_parse_form_refuses_malformed_answers(text: str) -> None:
    with pytest.raises(CallbackRejected) as caught:
        parse_form(text)
    assert caught.value.reason == "malformed"
    assert caught.value.status == 401


def test_parse_form_reads_the_real_notify_with_crlf_kept() -> None:
    fields = parse_form((FIXTURES / "sandbox_front_notify.txt").read_bytes().decode("utf-8"))
    assert len(fields) == 24
    assert fields["signPubKeyCert"].startswith("-----BEGIN CERTIFICATE-----\r\nMIIEYzCC")
    assert fields["signPubKeyCert"].endswith("\r\n-----END CERTIFICATE-----")
    assert fields["accNo"].endswith("==") and fields["signature"].endswith("==")


def test_parse_post_url_decodes_and_keeps_crlf_and_empty_values() -> None:
    body = b"signPubKeyCert=-----BEGIN+CERTIFICATE-----%0D%0AMIIB%0D%0A&signature=ab%2Bc%2F%3D&reqReserved=&respMsg=%E6%88%90%E5%8A%9F"
    assert parse_post(body) == {
        "signPubKeyCert": "-----BEGIN CERTIFICATE-----\r\nMIIB\r\n",
        "signature": "ab+c/=",
        "reqReserved": "",
        "respMsg": "成功",
    }


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"a&b=1",  # no '='
        b"a=1&a=2",  # repeated key
        "a=成功".encode(),  # raw UTF-8: not urlencoded
        b"a=%FF%FE",  # not UTF-8 once decoded
        b"\xff\xfe",
    ],
)
def test_parse_post_refuses_what_is_not_a_form(body: bytes) -> None:
    with pytest.raises(CallbackRejected) as caught:
        parse_post(body)
    assert caught.value.reason == "malformed"


def test_encode_form_round_trips_through_parse_post() -> None:
    fields = parse_form((FIXTURES / "sandbox_front_notify.txt").read_bytes().decode("utf-8"))
    fields["backUrl"] = "https://pay.example.com/n?a=1&b={x}"
    body = encode_form(fields)
    assert "\r" not in body and "%0D%0A" in body
    assert body.endswith("&backUrl=https%3A%2F%2Fpay.example.com%2Fn%3Fa%3D1%26b%3D%7Bx%7D")
    assert parse_post(body.encode("ascii")) == fields
    assert encode_form([("b", "1"), ("a", "成")]) == "b=1&a=%E6%88%90"  # order as given
