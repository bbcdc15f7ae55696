"""The gateway envelope: transports, RSA2 request verification, signed answers, every
rejection shape, GBK, and python-alipay-sdk as an independent client."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alipay_sandbox_helpers import (
    APP_ID,
    OTHER_APP_ID,
    AlipayEnv,
    Client,
    alipay_env,
    extract_response,
    gmt8,
    rsa2_ok,
    sdk_client,
    stranger,
)

QUERY = "alipay.trade.query"


@pytest.fixture(scope="module")
def env() -> Iterator[AlipayEnv]:
    """One sandbox for this module: every test uses its own out_trade_no."""
    with alipay_env() as made:
        yield made


@pytest.mark.parametrize("style", ["split", "body", "query"])
def test_a_correctly_signed_call_is_accepted_in_every_transport(env: AlipayEnv, style: str) -> None:
    # Given a signed query for a trade nobody created
    # When it is sent with the params in the query string, in the body, or split
    answer = env.client.call(QUERY, {"out_trade_no": "NO_SUCH_TRADE"}, style=style)
    # Then the gateway accepts the envelope and answers the business failure, signed
    assert answer.http_status == 200
    assert answer.headers["Content-Type"] == "text/html;charset=utf-8"
    assert answer.response == {
        "code": "40004",
        "msg": "Business Failed",
        "sub_code": "ACQ.TRADE_NOT_EXIST",
        "sub_msg": "交易不存在",
    }
    assert answer.verifies(env.key)


def test_the_answer_is_the_response_object_first_signed_over_its_exact_bytes(env: AlipayEnv) -> None:
    answer = env.precreate("GW_EXACT_01", "88.88")
    raw = extract_response(answer.text, "alipay_trade_precreate_response")
    assert raw is not None
    assert (
        answer.text
        == '{"alipay_trade_precreate_response":' + raw + ',"sign":"' + answer.document["sign"] + '"}'
    )
    assert rsa2_ok(env.key, raw.encode(), answer.document["sign"])
    assert list(answer.response)[:2] == ["code", "msg"]
    assert answer.response["code"] == "10000" and answer.response["msg"] == "Success"
    # the app's own key is not what Alipay signs with
    assert not rsa2_ok(env.app.app.app_public_key_pem, raw.encode(), answer.document["sign"])


def _drop(name: str) -> Callable[[Client, dict[str, str]], dict[str, str]]:
    def mutate(client: Client, params: dict[str, str]) -> dict[str, str]:
        if name == "sign":
            return params  # never signed
        return client.sign({key: value for key, value in params.items() if key != name})

    return mutate


def _resign_with(**changes: str) -> Callable[[Client, dict[str, str]], dict[str, str]]:
    return lambda client, params: client.sign(params | changes)


def _resign_at(offset: float) -> Callable[[Client, dict[str, str]], dict[str, str]]:
    """Re-signed with a timestamp `offset` seconds from now, when the test runs (not when the
    module was collected: a long suite would age a "future" timestamp into the window)."""
    return lambda client, params: client.sign(params | {"timestamp": gmt8(time.time() + offset)})


def _bad_sign(client: Client, params: dict[str, str]) -> dict[str, str]:
    return client.sign(params) | {"sign": base64.b64encode(b"\x00" * 256).decode()}


def _wrong_key(client: Client, params: dict[str, str]) -> dict[str, str]:
    return client.sign(params, key_pem=stranger().private_key_pem)


def _tampered(client: Client, params: dict[str, str]) -> dict[str, str]:
    return client.sign(params) | {"biz_content": '{"out_trade_no":"SOMEONE_ELSES"}'}


REJECTIONS: list[tuple[str, Callable[[Client, dict[str, str]], dict[str, str]], str, str, str, bool]] = [
    # (case, mutation, response key, code, sub_code, signed)
    ("bad signature", _bad_sign, "q", "40002", "isv.invalid-signature", True),
    ("another key", _wrong_key, "q", "40002", "isv.invalid-signature", True),
    ("tampered param", _tampered, "q", "40002", "isv.invalid-signature", True),
    ("no sign", _drop("sign"), "q", "40001", "isv.missing-signature", True),
    ("no sign_type", _drop("sign_type"), "q", "40001", "isv.missing-signature-type", True),
    ("no timestamp", _drop("timestamp"), "q", "40001", "isv.missing-timestamp", True),
    ("no version", _drop("version"), "q", "40001", "isv.missing-version", True),
    ("no method", _drop("method"), "e", "40001", "isv.missing-method", True),
    ("no app_id", _drop("app_id"), "q", "40001", "isv.missing-app-id", False),
    ("unknown app", _resign_with(app_id=OTHER_APP_ID), "q", "40002", "isv.invalid-app-id", False),
    (
        "unknown method",
        _resign_with(method="alipay.trade.teleport"),
        "e",
        "40002",
        "isv.invalid-method",
        True,
    ),
    ("RSA (SHA-1)", _resign_with(sign_type="RSA"), "q", "40002", "isv.invalid-signature", True),
    ("other sign_type", _resign_with(sign_type="MD5"), "q", "40002", "isv.invalid-signature-type", True),
    ("bad charset", _resign_with(charset="latin-1"), "q", "40002", "isv.invalid-charset", True),
    ("bad format", _resign_with(format="XML"), "q", "40002", "isv.invalid-format", True),
    (
        "stale timestamp",
        _resign_at(-1200),
        "q",
        "40002",
        "isv.invalid-timestamp",
        True,
    ),
    (
        "future timestamp",
        _resign_at(+1200),
        "q",
        "40002",
        "isv.invalid-timestamp",
        True,
    ),
    (
        "timestamp format",
        _resign_with(timestamp="2026/11/28 10:00:00"),
        "q",
        "40002",
        "isv.invalid-timestamp",
        True,
    ),
]


@pytest.mark.parametrize(
    ("mutate", "key", "code", "sub_code", "signed"),
    [case[1:] for case in REJECTIONS],
    ids=[case[0] for case in REJECTIONS],
)
def test_each_envelope_rejection_has_alipays_shape(
    env: AlipayEnv,
    mutate: Callable[[Client, dict[str, str]], dict[str, str]],
    key: str,
    code: str,
    sub_code: str,
    signed: bool,
) -> None:
    params = mutate(env.client, env.client.params(QUERY, {"out_trade_no": "GW_REJECT_01"}))
    answer = env.client.send(params)
    assert answer.http_status == 200
    assert answer.key == ("error_response" if key == "e" else "alipay_trade_query_response")
    messages = {"40001": "Missing Required Arguments", "40002": "Invalid Arguments"}
    assert (answer["code"], answer["msg"], answer["sub_code"]) == (code, messages[code], sub_code)
    assert answer["sub_msg"]
    assert answer.signed is signed
    if signed:
        assert answer.verifies(env.key)


def test_invalid_signature_names_the_string_the_gateway_verified(env: AlipayEnv) -> None:
    params = _tampered(env.client, env.client.params(QUERY, {"out_trade_no": "GW_TAMPER_01"}))
    answer = env.client.send(params, style="body")
    sub_msg = answer["sub_msg"]
    assert sub_msg.startswith(
        "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为："
    )
    assert sub_msg.endswith(
        f'app_id={APP_ID}&biz_content={{"out_trade_no":"SOMEONE_ELSES"}}&charset=utf-8&format=JSON'
        f"&method={QUERY}&sign_type=RSA2&timestamp={params['timestamp']}&version=1.0"
    )
    # the JSON inside sub_msg holds braces and quotes: the signed text is still cut out exactly
    assert answer.verifies(env.key)


def test_empty_parameters_are_not_signed(env: AlipayEnv) -> None:
    params = env.client.params(QUERY, {"out_trade_no": "GW_EMPTY_01"}, return_url="", app_auth_token="")
    answer = env.client.send(env.client.sign(params), style="body")
    assert answer["sub_code"] == "ACQ.TRADE_NOT_EXIST"


def test_an_app_auth_token_is_refused_as_the_app_has_no_authorisations(env: AlipayEnv) -> None:
    answer = env.client.call(
        QUERY, {"out_trade_no": "GW_TOKEN_01"}, app_auth_token="201510BB0c409dd5758b4d939d4008a525463X27"
    )
    assert (answer["code"], answer["sub_code"]) == ("20001", "aop.invalid-app-auth-token")
    assert answer.verifies(env.key)


BAD_BIZ: list[tuple[str, dict[str, Any]]] = [
    ("one decimal", {"total_amount": "88.8"}),
    ("no decimals", {"total_amount": "88"}),
    ("zero", {"total_amount": "0.00"}),
    ("too much", {"total_amount": "100000000.01"}),
    ("not a number", {"total_amount": "abc"}),
    ("negative", {"total_amount": "-1.00"}),
    ("out_trade_no with a dash", {"out_trade_no": "ORDER-1"}),
    ("out_trade_no too long", {"out_trade_no": "A" * 65}),
    ("no subject", {"subject": ""}),
    ("subject too long", {"subject": "x" * 257}),
    ("bad timeout_express", {"timeout_express": "30s"}),
    ("timeout over 15d", {"timeout_express": "16d"}),
    ("bad time_expire", {"time_expire": "2030-01-01T00:00:00"}),
]


@pytest.mark.parametrize("change", [case[1] for case in BAD_BIZ], ids=[case[0] for case in BAD_BIZ])
def test_malformed_business_parameters_are_invalid_arguments(env: AlipayEnv, change: dict[str, Any]) -> None:
    biz = {"out_trade_no": "GW_BIZ_01", "total_amount": "1.00", "subject": "咖啡"} | change
    answer = env.client.call("alipay.trade.precreate", biz)
    assert (answer["code"], answer["msg"], answer["sub_code"]) == (
        "40002",
        "Invalid Arguments",
        "isv.invalid-parameter",
    )
    assert answer.verifies(env.key)
    assert "GW_BIZ_01" not in env.sb.trades


def test_the_amount_bounds_are_inclusive(env: AlipayEnv) -> None:
    assert env.precreate("GW_MIN_01", "0.01")["code"] == "10000"
    assert env.precreate("GW_MAX_01", "100000000.00")["code"] == "10000"


def test_biz_content_that_is_not_json_is_refused(env: AlipayEnv) -> None:
    params = env.client.params(QUERY) | {"biz_content": "{out_trade_no:1"}
    answer = env.client.send(env.client.sign(params))
    assert answer["sub_code"] == "isv.invalid-parameter"


def test_a_gbk_request_is_verified_and_answered_in_gbk(env: AlipayEnv) -> None:
    # Given a precreate whose subject is Chinese, sent and signed in GBK
    params = env.client.params(
        "alipay.trade.precreate",
        {"out_trade_no": "GW_GBK_01", "total_amount": "9.90", "subject": "中文标题：咖啡豆"},
        charset="GBK",
    )
    answer = env.client.send(env.client.sign(params, charset="gbk"), style="split", charset="gbk")
    # Then it is accepted and the stored subject is right
    assert answer["code"] == "10000"
    assert answer.headers["Content-Type"] == "text/html;charset=gbk"
    assert answer.verifies(env.key, charset="gbk")
    assert env.sb.trades["GW_GBK_01"]["subject"] == "中文标题：咖啡豆"
    # And a Chinese error answer is GBK bytes, signed over those bytes
    failure = env.client.send(
        env.client.sign(
            env.client.params(QUERY, {"out_trade_no": "GW_GBK_02"}, charset="gbk"), charset="gbk"
        ),
        charset="gbk",
    )
    assert failure["sub_msg"] == "交易不存在"
    assert failure.verifies(env.key, charset="gbk")


def test_python_alipay_sdk_talks_to_the_gateway(env: AlipayEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    # python-alipay-sdk sends everything in a GET query and verifies answers with the Alipay key
    sdk = sdk_client(env, monkeypatch)
    created = sdk.api_alipay_trade_precreate(
        subject="中文 商品 & more", out_trade_no="GW_SDK_01", total_amount="12.30"
    )
    assert created["code"] == "10000"
    assert created["qr_code"].startswith(f"{env.sb.base_url}/sandbox/scan?code=bax")
    assert sdk.api_alipay_trade_query(out_trade_no="GW_SDK_01")["sub_code"] == "ACQ.TRADE_NOT_EXIST"
    env.sb.pay(APP_ID, "GW_SDK_01")
    paid = sdk.api_alipay_trade_query(out_trade_no="GW_SDK_01")
    assert paid["trade_status"] == "TRADE_SUCCESS"
    assert paid["total_amount"] == "12.30"


def test_only_get_and_post_reach_the_gateway(env: AlipayEnv) -> None:
    import requests

    assert requests.put(env.sb.gateway_url, timeout=5).status_code == 405
    assert requests.get(env.sb.base_url + "/elsewhere", timeout=5).status_code == 404
    assert json.loads(env.client.call(QUERY, {}).text)["alipay_trade_query_response"]["sub_code"] == (
        "ACQ.INVALID_PARAMETER"
    )
