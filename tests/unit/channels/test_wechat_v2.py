"""WeChat Pay API v2's signature and XML (wechat.barcode): WeChat's own published example
signs to its published values, and hostile XML is refused before anything is built."""

from __future__ import annotations

import pytest

from paymux.channels.wechat import v2_signing, v2_xml
from paymux.errors import CallbackRejected, ChannelUnavailable

# WeChat Pay's 安全规范 (v2 signing) example, quoted by its SDKs as its "provided sample data".
EXAMPLE = {
    "appid": "wxd930ea5d5a258f4f",
    "mch_id": "10000100",
    "device_info": "1000",
    "body": "test",
    "nonce_str": "ibuaiVcKdpRxkhJA",
}
EXAMPLE_KEY = b"192006250b4c09247ec02edce69f6a2d"


def test_wechats_published_example_signs_to_its_published_hmac() -> None:
    assert (
        v2_signing.sign(EXAMPLE, EXAMPLE_KEY)
        == "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
    )
    assert v2_signing.signed_string(EXAMPLE | {"empty": "", "sign": "x"}, EXAMPLE_KEY) == (
        b"appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA"
        b"&key=192006250b4c09247ec02edce69f6a2d"
    )


def test_a_signed_message_verifies_and_any_change_does_not() -> None:
    message = v2_signing.signed(EXAMPLE, EXAMPLE_KEY)
    assert message["sign_type"] == "HMAC-SHA256"
    v2_signing.verify(message, EXAMPLE_KEY)
    for changed in ({**message, "body": "tset"}, {**message, "sign": ""}, {**message, "sign_type": "MD5"}):
        with pytest.raises(CallbackRejected):
            v2_signing.verify(changed, EXAMPLE_KEY)
    with pytest.raises(CallbackRejected):
        v2_signing.verify(message, b"0" * 32)


@pytest.mark.parametrize("key", ["short", "x" * 33, "é" * 32, "-" * 32])
def test_an_api_v2_key_is_32_letters_and_digits(key: str) -> None:
    with pytest.raises(ValueError, match="32"):
        v2_signing.check_key(key)


def test_xml_round_trips_flat_fields_even_with_cdata_ends() -> None:
    fields = {"return_code": "SUCCESS", "body": "咖啡 ]]> & <b>", "total_fee": "1"}
    assert v2_xml.decode(v2_xml.encode(fields)) == fields
    assert v2_xml.decode(b"<xml><a>1</a>\n  <b><![CDATA[x]]></b></xml>") == {"a": "1", "b": "x"}


@pytest.mark.parametrize(
    "body",
    [
        b'<!DOCTYPE xml [<!ENTITY a "b">]><xml><a>&a;</a></xml>',
        b'<!DOCTYPE xml SYSTEM "file:///etc/passwd"><xml/>',
        b"<?pi x?><xml><a>1</a></xml>",
        b"<xml><a><b>1</b></a></xml>",
        b"<xml><a>1</a><a>2</a></xml>",
        b'<xml><a x="1">1</a></xml>',
        b"<notxml><a>1</a></notxml>",
        b"<xml>text<a>1</a></xml>",
        b"<xml><a>1</a>",
        b"<xml>" + b"<a>1</a>" * 10000 + b"</xml>",
    ],
)
def test_hostile_or_malformed_xml_is_refused(body: bytes) -> None:
    with pytest.raises(ChannelUnavailable):
        v2_xml.decode(body)
