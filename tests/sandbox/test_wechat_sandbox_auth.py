"""Request authentication and response signing, checked with wechatpayv3."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from wechat_sandbox_helpers import (
    MCHID,
    RawSigner,
    client,
    native_order,
    verifies,
)

import sandbox.wechat
from sandbox.wechat import GeneratedMerchant, WeChatSandbox, generate_merchant

NATIVE = "/v3/pay/transactions/native"


def test_signed_native_order_succeeds_and_answer_verifies_with_wechatpayv3(
    sb: WeChatSandbox, identity: GeneratedMerchant
) -> None:
    # Given a wechatpayv3 client in WeChat Pay public key mode
    pay = client(sb, identity)
    # When it places a Native order (wechatpayv3 itself verifies the answer's signature)
    code, message = pay.pay(description="QQ公仔", out_trade_no="ORDER_AUTH_0001", amount={"total": 1})
    # Then the order is created and the answer carries a WeChat code_url
    assert code == 200
    code_url = json.loads(message)["code_url"]
    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    assert sb.orders["ORDER_AUTH_0001"]["trade_state"] == "NOTPAY"


def test_answer_headers_are_signed_with_the_key_named_by_wechatpay_serial(
    sb: WeChatSandbox, raw: RawSigner
) -> None:
    response = raw.send("POST", NATIVE, native_order("ORDER_AUTH_0002"))
    assert response.status_code == 200
    assert response.headers["Wechatpay-Serial"] == sb.public_key_id
    assert response.headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"
    assert response.headers["Request-ID"]
    assert verifies(sb, response.headers, response.text)
    # a tampered body no longer verifies: the signature covers the body
    assert not verifies(sb, response.headers, response.text.replace("pr=", "pr=X"))


@pytest.mark.parametrize(
    ("wechatpay_serial", "expect_public_key"),
    [(None, False), ("PUB_KEY_ID", True)],
)
def test_both_mode_answers_with_the_mode_the_request_names(
    make_sandbox: Callable[..., WeChatSandbox],
    identity: GeneratedMerchant,
    wechatpay_serial: str | None,
    expect_public_key: bool,
) -> None:
    sb = make_sandbox(key_mode="both")
    signer = RawSigner(identity, sb.base_url)
    headers = {"Wechatpay-Serial": sb.public_key_id} if wechatpay_serial else {}
    response = signer.send("POST", NATIVE, native_order("ORDER_BOTH_01"), headers=headers)
    assert response.status_code == 200
    expected = sb.public_key_id if expect_public_key else sb.platform_certificates[0]["serial_no"]
    assert response.headers["Wechatpay-Serial"] == expected
    assert verifies(sb, response.headers, response.text)


def test_platform_cert_mode_works_with_wechatpayv3_certificate_verification(
    make_sandbox: Callable[..., WeChatSandbox], identity: GeneratedMerchant, tmp_path: Path
) -> None:
    sb = make_sandbox(key_mode="platform_cert")
    cert = sb.platform_certificates[0]
    assert len(cert["serial_no"]) == 40
    assert cert["serial_no"] == cert["serial_no"].upper()
    (tmp_path / f"{cert['serial_no']}.pem").write_bytes(cert["certificate_pem"])
    pay = client(sb, identity, cert_dir=tmp_path)
    code, message = pay.query(out_trade_no="ORDER_NOPE_01")
    assert (code, json.loads(message)["code"]) == (404, "ORDER_NOT_EXIST")
    code, message = pay.pay(description="d", out_trade_no="ORDER_CERT_01", amount={"total": 5})
    assert code == 200  # wechatpayv3 verified the signature against the platform certificate


def test_key_pairs_may_come_in_any_order(sb: WeChatSandbox, raw: RawSigner) -> None:
    body = json.dumps(native_order("ORDER_ORDER_01"))
    header = raw.authorization("POST", NATIVE, body)
    scheme, params = header.split(" ", 1)
    reordered = f"{scheme} {','.join(reversed(params.split(',')))}"
    response = raw.send("POST", NATIVE, native_order("ORDER_ORDER_01"), authorization=reordered)
    assert response.status_code == 200


def assert_sign_error(response: requests.Response, message: str) -> None:
    assert response.status_code == 401
    assert response.json() == {"code": "SIGN_ERROR", "message": message}
    assert "Wechatpay-Signature" not in response.headers  # WeChat does not sign its 401s


def test_forged_signature_is_rejected(sb: WeChatSandbox, raw: RawSigner) -> None:
    header = raw.authorization("POST", NATIVE, json.dumps(native_order("ORDER_FORGED")))
    forged = header.replace('signature="', 'signature="AAAA', 1)
    response = raw.send("POST", NATIVE, native_order("ORDER_FORGED"), authorization=forged)
    assert_sign_error(response, "签名错误")
    assert "ORDER_FORGED" not in sb.orders


def test_body_different_from_the_signed_one_is_rejected(raw: RawSigner) -> None:
    signed_for = json.dumps(native_order("ORDER_BODY_01", total=1))
    header = raw.authorization("POST", NATIVE, signed_for)
    response = raw.send("POST", NATIVE, native_order("ORDER_BODY_01", total=100000), authorization=header)
    assert_sign_error(response, "签名错误")


def test_query_string_must_be_part_of_the_signed_url(raw: RawSigner) -> None:
    path = "/v3/pay/transactions/out-trade-no/ORDER_Q_001"
    header = raw.authorization("GET", path, "")  # signed without ?mchid=
    response = raw.send("GET", f"{path}?mchid={MCHID}", authorization=header)
    assert_sign_error(response, "签名错误")


def test_stale_timestamp_is_rejected_before_the_signature(raw: RawSigner) -> None:
    response = raw.send("POST", NATIVE, native_order("ORDER_STALE_1"), timestamp=int(time.time()) - 301)
    assert_sign_error(response, "Http头Authorization中的timestamp与发起请求的时间不得超过5分钟")


def test_skew_is_measured_against_the_injected_clock(
    make_sandbox: Callable[..., WeChatSandbox], identity: GeneratedMerchant
) -> None:
    sb = make_sandbox(key_mode="public_key", clock=lambda: time.time() + 3600)
    signer = RawSigner(identity, sb.base_url)
    now_for_sandbox = int(time.time()) + 3600
    assert signer.send("POST", NATIVE, native_order("ORDER_CLK_1")).status_code == 401
    response = signer.send("POST", NATIVE, native_order("ORDER_CLK_1"), timestamp=now_for_sandbox)
    assert response.status_code == 200
    assert int(response.headers["Wechatpay-Timestamp"]) >= now_for_sandbox


def test_unknown_merchant_serial_is_rejected(raw: RawSigner) -> None:
    response = raw.send("POST", NATIVE, native_order("ORDER_SERIAL1"), serial_no="ABCDEF" * 6)
    assert_sign_error(response, "商户证书序列号有误。请使用签名私钥匹配的证书序列号")


def test_key_of_another_merchant_certificate_is_rejected(
    sb: WeChatSandbox, identity: GeneratedMerchant
) -> None:
    # Given an impostor signing with its own key but announcing the merchant's serial
    impostor = RawSigner(generate_merchant(), sb.base_url)
    response = impostor.send(
        "POST",
        NATIVE,
        native_order("ORDER_IMPOST"),
        serial_no=identity.merchant.merchant_cert_serial,
    )
    assert_sign_error(response, "签名错误")


def test_unknown_mchid_is_rejected(raw: RawSigner) -> None:
    response = raw.send("POST", NATIVE, native_order("ORDER_MCH_01"), mchid="1234567890")
    assert_sign_error(response, "签名错误")


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("", "Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》"),
        ("Bearer fake-token", "HTTP头Authorization认证类型不正确"),
        (
            'WECHATPAY2-SHA256-RSA2048 mchid="1900000109", nonce_str="x"',
            "Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》",
        ),
    ],
)
def test_missing_or_garbled_authorization(raw: RawSigner, authorization: str, message: str) -> None:
    response = requests.post(
        raw.base_url + NATIVE,
        json=native_order("ORDER_GARBLE"),
        headers={"Authorization": authorization, "Accept": "application/json"},
        timeout=10,
    )
    assert_sign_error(response, message)


def test_a_space_after_a_comma_is_a_format_error(raw: RawSigner) -> None:
    header = raw.authorization("POST", NATIVE, json.dumps(native_order("ORDER_SPACE1")))
    response = raw.send("POST", NATIVE, native_order("ORDER_SPACE1"), authorization=header.replace(",", ", "))
    assert_sign_error(response, "Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》")


def test_unknown_wechatpay_serial_in_request_is_a_param_error(raw: RawSigner) -> None:
    response = raw.send(
        "POST",
        NATIVE,
        native_order("ORDER_WPSER1"),
        headers={"Wechatpay-Serial": "PUB_KEY_ID_0000"},
    )
    assert response.status_code == 400
    assert response.json() == {"code": "PARAM_ERROR", "message": "平台证书序列号Wechatpay-Serial错误"}


def test_refund_api_requires_user_agent_before_authorization(raw: RawSigner) -> None:
    response = requests.post(
        raw.base_url + "/v3/refund/domestic/refunds",
        data=b"{}",
        headers={"Accept": "application/json", "User-Agent": ""},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json() == {"code": "INVALID_REQUEST", "message": "Http头缺少Accept或User-Agent"}
    assert "Wechatpay-Signature" not in response.headers


def test_unknown_path_is_an_empty_404_and_wrong_method_an_empty_405(raw: RawSigner) -> None:
    missing = raw.send("GET", "/v3/pay/transactions/nothing-here")
    assert (missing.status_code, missing.content) == (404, b"")
    wrong_method = raw.send("GET", NATIVE)
    assert (wrong_method.status_code, wrong_method.content) == (405, b"")


def test_the_sandbox_never_imports_the_gateway() -> None:
    # A mistake in paymux's WeChat code must not hide behind the same mistake here.
    package = Path(sandbox.wechat.__file__).parent
    imports = [
        line
        for path in package.glob("*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.lstrip().startswith(("import ", "from "))
    ]
    assert len(imports) > 50
    assert [line for line in imports if "paymux" in line] == []
