"""Our WeChat Pay v3 signing, verification and decryption against wechatpayv3, an independent
implementation (PROTOCOLS.md §5)."""

import base64
import json
import re

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from wechatpayv3 import utils as wx

from paymux.channels.wechat import signing
from paymux.errors import CallbackRejected
from tests.keys import apiv3_key, keypair

NOW = 1_764_316_800


def test_request_authorization_matches_wechatpayv3():
    merchant = keypair("merchant")
    body = json.dumps({"mchid": "1900000109", "amount": {"total": 1}})
    theirs = wx.build_authorization(
        "/v3/pay/transactions/native",
        "POST",
        "1900000109",
        "SERIAL1",
        merchant.private_key,
        data=body,
        nonce_str="NONCE123",
    )
    timestamp = re.search(r'timestamp="(\d+)"', theirs).group(1)
    ours = signing.authorization(
        private_key=merchant.private_key,
        mchid="1900000109",
        serial_no="SERIAL1",
        method="POST",
        canonical_url="/v3/pay/transactions/native",
        body=body,
        timestamp=timestamp,
        nonce="NONCE123",
    )
    assert ours == theirs  # PKCS#1 v1.5 is deterministic: same key and message, same bytes


def _signed_headers(key, body: bytes, ts=NOW, nonce="abc", serial="PLATFORM1"):
    signature = wx.rsa_sign(key, f"{ts}\n{nonce}\n{body.decode()}\n")
    return {
        "Wechatpay-Timestamp": str(ts),
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": signature,
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def test_verify_accepts_what_wechatpayv3_signs_and_vice_versa():
    platform = keypair("platform")
    keys = {"PLATFORM1": platform.private_key.public_key()}
    body = b'{"code_url":"weixin://wxpay/bizpayurl?pr=x"}'
    headers = _signed_headers(platform.private_key, body)
    signing.verify(headers, body, keys, NOW)
    assert wx.rsa_verify(
        str(NOW), "abc", body.decode(), headers["Wechatpay-Signature"], platform.private_key.public_key()
    )


def test_key_is_chosen_by_serial_public_key_mode_too():
    platform, pub = keypair("platform"), keypair("wechatpay-public-key")
    keys = {"PLATFORM1": platform.private_key.public_key(), "PUB_KEY_ID_0112": pub.private_key.public_key()}
    body = b"{}"
    signing.verify(_signed_headers(pub.private_key, body, serial="PUB_KEY_ID_0112"), body, keys, NOW)
    with pytest.raises(CallbackRejected, match="does not verify"):  # right key, wrong serial named
        signing.verify(_signed_headers(pub.private_key, body, serial="PLATFORM1"), body, keys, NOW)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"Wechatpay-Timestamp": str(NOW - 300)}, "away from now"),
        ({"Wechatpay-Timestamp": str(NOW + 301)}, "away from now"),
        ({"Wechatpay-Serial": "UNKNOWN"}, "unknown Wechatpay-Serial"),
        ({"Wechatpay-Signature": "WECHATPAY/SIGNTEST/abc"}, "SIGNTEST"),
        ({"Wechatpay-Nonce": ""}, "missing"),
        ({"Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3"}, "unsupported signature type"),
    ],
)
def test_verify_rejections(change, reason):
    platform = keypair("platform")
    body = b'{"a":1}'
    headers = {**_signed_headers(platform.private_key, body), **change}
    with pytest.raises(CallbackRejected, match=reason):
        signing.verify(headers, body, {"PLATFORM1": platform.private_key.public_key()}, NOW)


def test_tampered_body_and_wrong_key_are_rejected():
    platform, other = keypair("platform"), keypair("attacker")
    body = b'{"amount":{"total":1}}'
    headers = _signed_headers(platform.private_key, body)
    keys = {"PLATFORM1": platform.private_key.public_key()}
    with pytest.raises(CallbackRejected):
        signing.verify(headers, b'{"amount":{"total":100}}', keys, NOW)
    with pytest.raises(CallbackRejected):
        signing.verify(_signed_headers(other.private_key, body), body, keys, NOW)


def test_resource_decryption_agrees_with_wechatpayv3():
    key = apiv3_key()
    plain = json.dumps({"out_trade_no": "X1", "trade_state": "SUCCESS"}, ensure_ascii=False)
    ciphertext = base64.b64encode(
        AESGCM(key.encode()).encrypt(b"0123456789ab", plain.encode(), b"transaction")
    ).decode()
    resource = {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": ciphertext,
        "associated_data": "transaction",
        "nonce": "0123456789ab",
    }
    assert signing.decrypt_resource(key.encode(), resource) == json.loads(plain)
    assert wx.aes_decrypt("0123456789ab", ciphertext, "transaction", key) == plain
    with pytest.raises(CallbackRejected, match="does not decrypt"):
        signing.decrypt_resource(apiv3_key().encode(), resource)
    with pytest.raises(CallbackRejected, match="does not decrypt"):
        signing.decrypt_resource(key.encode(), {**resource, "associated_data": "refund"})


def test_pay_sign_matches_wechatpayv3():
    from wechatpayv3 import WeChatPay, WeChatPayType

    merchant, pub = keypair("merchant"), keypair("wechatpay-public-key")
    client = WeChatPay(
        wechatpay_type=WeChatPayType.JSAPI,
        mchid="1900000109",
        private_key=merchant.private_pem,
        cert_serial_no="SERIAL1",
        apiv3_key=apiv3_key(),
        appid="wx8888888888888888",
        public_key=pub.public_pem,
        public_key_id="PUB_KEY_ID_0112",
    )
    package = "prepay_id=wx201410272009395522657a690389285100"
    theirs = client.sign(["wx8888888888888888", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", package])
    ours = signing.pay_sign(
        merchant.private_key, "wx8888888888888888", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", package
    )
    assert ours == theirs
