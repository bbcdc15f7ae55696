"""Alipay RSA2 signing and verification against python-alipay-sdk, an independent
implementation (PROTOCOLS.md §5), and the Java SDK's rules where the two differ."""

import json
from urllib.parse import parse_qsl

import pytest
from alipay import AliPay

from paymux.channels.alipay import signing
from paymux.errors import CallbackRejected
from tests.keys import keypair

APP_ID = "2021000000000001"


def sdk(app_key: str, alipay_key: str) -> AliPay:
    """python-alipay-sdk with `app_key` as the signing key and `alipay_key` as the verifying key."""
    return AliPay(
        appid=APP_ID,
        app_private_key_string=keypair(app_key).private_pem,
        alipay_public_key_string=keypair(alipay_key).public_pem,
    )


def request_params() -> dict[str, str]:
    biz = json.dumps(
        {"out_trade_no": "20261128000001", "total_amount": "88.88", "subject": "咖啡 & 茶"},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return {
        "app_id": APP_ID,
        "method": "alipay.trade.precreate",
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": "2026-11-28 15:35:23",
        "version": "1.0",
        "notify_url": "https://pay.example.com/v1/callbacks/alipay/ali-main",
        "biz_content": biz,
        "app_auth_token": "",
    }


def test_request_signature_equals_the_sdks():
    params = request_params()
    ours = signing.sign_request(keypair("alipay-app").private_key, params)
    theirs = dict(
        parse_qsl(
            sdk("alipay-app", "alipay").sign_data({k: v for k, v in params.items() if v}),
            keep_blank_values=True,
        )
    )
    assert ours["sign"] == theirs["sign"]  # PKCS#1 v1.5 is deterministic
    assert "app_auth_token" not in ours  # empty values are neither signed nor sent
    assert "sign_type=RSA2" in signing.sign_content(ours)  # kept for requests


def test_notify_signed_as_alipay_does_verifies_both_ways():
    form = {
        "notify_time": "2026-11-28 15:40:01",
        "notify_type": "trade_status_sync",
        "notify_id": "ac05099524730693a8b330c5ecf72da9786",
        "app_id": APP_ID,
        "charset": "utf-8",
        "version": "1.0",
        "trade_no": "2026112822001400000000000001",
        "out_trade_no": "20261128000001",
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "88.88",
        "sign_type": "RSA2",
    }
    alipay_side = sdk("alipay", "alipay-app")  # Alipay signs with its own key
    form["sign"] = alipay_side._sign(signing.sign_content(form, exclude=frozenset({"sign", "sign_type"})))
    signing.verify_notify(keypair("alipay").private_key.public_key(), form)
    checker = sdk("alipay-app", "alipay")
    data = {k: v for k, v in form.items() if k != "sign"}
    assert checker.verify(data, form["sign"]) is True


def test_notify_rules_follow_the_java_sdk_where_python_sdk_differs():
    """Empty values are dropped (Java SDK); python-alipay-sdk keeps `k=`, so it disagrees."""
    key = keypair("alipay")
    form = {
        "app_id": APP_ID,
        "out_trade_no": "X1",
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "1.00",
        "passback_params": "",
        "sign_type": "RSA2",
        "charset": "utf-8",
    }
    form["sign"] = signing.sign(
        key.private_key, signing.sign_content(form, exclude=frozenset({"sign", "sign_type"}))
    )
    signing.verify_notify(key.private_key.public_key(), form)
    data = {k: v for k, v in form.items() if k != "sign"}
    assert sdk("alipay-app", "alipay").verify(data, form["sign"]) is False  # the documented divergence


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"total_amount": "0.01"}, "does not verify"),
        ({"sign_type": "RSA"}, "sign_type"),
        ({"sign": ""}, "no sign"),
    ],
)
def test_bad_notifies_are_rejected(change, reason):
    key = keypair("alipay")
    form = {"app_id": APP_ID, "out_trade_no": "X1", "total_amount": "1.00", "sign_type": "RSA2"}
    form["sign"] = signing.sign(
        key.private_key, signing.sign_content(form, exclude=frozenset({"sign", "sign_type"}))
    )
    with pytest.raises(CallbackRejected, match=reason):
        signing.verify_notify(key.private_key.public_key(), {**form, **change})


def test_sync_response_content_is_cut_out_byte_for_byte():
    inner = '{"code":"10000","msg":"Success","out_trade_no":"X1","qr_code":"https://qr.alipay.com/bax0{3}","note":"a \\"}\\" \\\\"}'
    alipay_side = sdk("alipay", "alipay-app")
    body = '{"alipay_trade_precreate_response":' + inner + ',"sign":"' + alipay_side._sign(inner) + '"}'
    verified = signing.verify_response(
        keypair("alipay").private_key.public_key(), body, "alipay.trade.precreate"
    )
    assert verified["qr_code"] == "https://qr.alipay.com/bax0{3}" and verified["note"] == 'a "}" \\'
    assert signing.extract_response(body, "alipay_trade_precreate_response") == inner
    with pytest.raises(CallbackRejected):
        signing.verify_response(
            keypair("alipay").private_key.public_key(), body.replace("X1", "X2"), "alipay.trade.precreate"
        )


def test_error_responses_are_verified_too():
    inner = '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}'
    body = '{"error_response":' + inner + ',"sign":"' + sdk("alipay", "alipay-app")._sign(inner) + '"}'
    verified = signing.verify_response(keypair("alipay").private_key.public_key(), body, "alipay.trade.query")
    assert verified["sub_code"] == "ACQ.TRADE_NOT_EXIST"
