"""Ordering, query and close: WeChat's field rules, duplicates and state answers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from wechat_sandbox_helpers import (
    APPID,
    MCHID,
    OTHER_APPID,
    RawSigner,
    client,
    native_order,
    verifies,
)
from wechatpayv3 import WeChatPayType

from sandbox.wechat import GeneratedMerchant, SandboxStateError, WeChatSandbox

NATIVE = "/v3/pay/transactions/native"
CST = timezone(timedelta(hours=8))


def query_path(out_trade_no: str) -> str:
    return f"/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={MCHID}"


@pytest.mark.parametrize(
    ("change", "message_part"),
    [
        ({"description": None}, "“/body/description”映射到值字段“商品描述”必填性规则校验失败"),
        ({"out_trade_no": "A1234"}, "字节数 5，小于最小值 6"),
        ({"out_trade_no": "A" * 33}, "字节数 33，大于最大值 32"),
        ({"out_trade_no": "ORDER#0001"}, "“商户订单号”字符串规则校验失败，字符串不符合格式要求"),
        ({"amount": {"total": 1.5}}, "“/body/amount/total”映射到值字段“总金额”类型规则校验失败"),
        ({"amount": {"total": "100"}}, "类型规则校验失败"),
        ({"amount": {"total": 0}}, "值 0，小于最小值 1"),
        ({"amount": {"total": 1, "currency": "USD"}}, "amount.currency取值不合法"),
        ({"notify_url": "ftp://example.com/n"}, "notify_url格式不正确"),
        ({"notify_url": "https://example.com/n?order=1"}, "notify_url不允许携带查询串"),
        ({"time_expire": "2018-06-08 10:34:56"}, "time_expire时间格式错误"),
        ({"description": "字" * 43}, "字节数 129，大于最大值 127"),
    ],
)
def test_param_errors(raw: RawSigner, change: dict[str, Any], message_part: str) -> None:
    body = native_order("ORDER_PARAM_01") | change
    body = {key: value for key, value in body.items() if value is not None}
    response = raw.send("POST", NATIVE, body)
    assert response.status_code == 400
    assert response.json()["code"] == "PARAM_ERROR"
    assert message_part in response.json()["message"]


def test_appid_not_bound_to_mchid(raw: RawSigner) -> None:
    response = raw.send("POST", NATIVE, native_order("ORDER_APPID_1", appid=OTHER_APPID))
    assert response.status_code == 400
    assert response.json() == {"code": "APPID_MCHID_NOT_MATCH", "message": "appid和mch_id不匹配"}


def test_body_mchid_must_be_the_signing_mchid(raw: RawSigner) -> None:
    response = raw.send("POST", NATIVE, native_order("ORDER_MCHID_1", mchid="1900000110"))
    assert response.status_code == 400
    assert response.json()["message"] == "http header中的mchid与post payload中的mchid不匹配"


def test_https_notify_url_is_required_only_when_asked(
    make_sandbox: Callable[..., WeChatSandbox], identity: GeneratedMerchant
) -> None:
    strict = RawSigner(identity, make_sandbox(require_https_notify=True).base_url)
    lenient = RawSigner(identity, make_sandbox().base_url)
    assert strict.send("POST", NATIVE, native_order("ORDER_HTTPS_1")).status_code == 400
    assert lenient.send("POST", NATIVE, native_order("ORDER_HTTPS_1")).status_code == 200


def test_identical_retry_returns_the_same_code_url_and_different_one_is_201(
    raw: RawSigner,
) -> None:
    first = raw.send("POST", NATIVE, native_order("ORDER_DUP_001"))
    again = raw.send("POST", NATIVE, native_order("ORDER_DUP_001"))
    changed = raw.send("POST", NATIVE, native_order("ORDER_DUP_001", total=101))
    assert first.json()["code_url"] == again.json()["code_url"]
    assert re.fullmatch(r"weixin://wxpay/bizpayurl\?pr=[0-9A-Za-z]{9}", first.json()["code_url"])
    assert changed.status_code == 400
    assert changed.json() == {"code": "INVALID_REQUEST", "message": "201 商户订单号重复"}


def test_unpaid_order_query_has_the_real_notpay_shape(sb: WeChatSandbox, raw: RawSigner) -> None:
    raw.send("POST", NATIVE, native_order("ORDER_QRY_001", attach="cipher code"))
    response = raw.send("GET", query_path("ORDER_QRY_001"))
    assert response.status_code == 200
    assert verifies(sb, response.headers, response.text)
    assert response.json() == {
        "amount": {"payer_currency": "CNY", "total": 100},
        "appid": APPID,
        "attach": "cipher code",
        "mchid": MCHID,
        "out_trade_no": "ORDER_QRY_001",
        "promotion_detail": [],
        "scene_info": {"device_id": ""},
        "trade_state": "NOTPAY",
        "trade_state_desc": "订单未支付",
    }


def test_paid_order_query_by_out_trade_no_and_by_transaction_id(
    sb: WeChatSandbox, identity: GeneratedMerchant
) -> None:
    pay = client(sb, identity)
    pay.pay(description="d", out_trade_no="ORDER_PAID_01", amount={"total": 888})
    sb.pay(MCHID, "ORDER_PAID_01", openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    code, message = pay.query(out_trade_no="ORDER_PAID_01")
    paid = json.loads(message)
    assert code == 200
    assert paid["trade_state"] == "SUCCESS"
    assert paid["trade_state_desc"] == "支付成功"
    assert paid["trade_type"] == "NATIVE"
    assert paid["payer"] == {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
    assert paid["amount"] == {
        "total": 888,
        "payer_total": 888,
        "currency": "CNY",
        "payer_currency": "CNY",
    }
    assert re.fullmatch(r"4200\d{24}", paid["transaction_id"])
    success_time = datetime.fromisoformat(paid["success_time"])
    assert success_time.utcoffset() == timedelta(hours=8)
    code, by_id = pay.query(transaction_id=paid["transaction_id"])
    assert code == 200
    assert json.loads(by_id) == paid


def test_unknown_order_is_order_not_exist(raw: RawSigner) -> None:
    for path in (query_path("ORDER_NONE_01"), f"/v3/pay/transactions/id/4200{'0' * 24}?mchid={MCHID}"):
        response = raw.send("GET", path)
        assert response.status_code == 404
        assert response.json() == {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}


def test_query_mchid_is_required_and_must_match(raw: RawSigner) -> None:
    missing = raw.send("GET", "/v3/pay/transactions/out-trade-no/ORDER_X_0001")
    assert (missing.status_code, missing.json()["code"]) == (400, "PARAM_ERROR")
    other = raw.send("GET", "/v3/pay/transactions/out-trade-no/ORDER_X_0001?mchid=1900000110")
    assert (other.status_code, other.json()["code"]) == (400, "PARAM_ERROR")


def test_close_is_a_signed_204_and_the_order_is_closed(sb: WeChatSandbox, raw: RawSigner) -> None:
    raw.send("POST", NATIVE, native_order("ORDER_CLOSE_1"))
    path = "/v3/pay/transactions/out-trade-no/ORDER_CLOSE_1/close"
    response = raw.send("POST", path, {"mchid": MCHID})
    assert (response.status_code, response.content) == (204, b"")
    assert verifies(sb, response.headers, "")  # 204: the signed body is the empty string
    assert raw.send("POST", path, {"mchid": MCHID}).status_code == 204  # closing again is fine
    closed = raw.send("GET", query_path("ORDER_CLOSE_1")).json()
    assert (closed["trade_state"], closed["trade_state_desc"]) == ("CLOSED", "订单已关闭")
    with pytest.raises(SandboxStateError):
        sb.pay(MCHID, "ORDER_CLOSE_1")
    retry = raw.send("POST", NATIVE, native_order("ORDER_CLOSE_1"))
    assert retry.json() == {"code": "ORDERCLOSED", "message": "订单已关闭"}


def test_closing_a_paid_order_is_orderpaid(sb: WeChatSandbox, raw: RawSigner) -> None:
    raw.send("POST", NATIVE, native_order("ORDER_CLOSE_2"))
    sb.pay(MCHID, "ORDER_CLOSE_2")
    response = raw.send("POST", "/v3/pay/transactions/out-trade-no/ORDER_CLOSE_2/close", {"mchid": MCHID})
    assert response.status_code == 400
    assert response.json() == {"code": "ORDERPAID", "message": "该订单已支付"}
    assert sb.orders["ORDER_CLOSE_2"]["trade_state"] == "SUCCESS"


def test_jsapi_requires_payer_openid_and_returns_prepay_id(raw: RawSigner) -> None:
    path = "/v3/pay/transactions/jsapi"
    missing = raw.send("POST", path, native_order("ORDER_JSAPI_1"))
    assert missing.status_code == 400
    assert "“/body/payer”映射到值字段“支付者”必填性规则校验失败" in missing.json()["message"]
    body = native_order("ORDER_JSAPI_1", payer={"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"})
    ok = raw.send("POST", path, body)
    assert ok.status_code == 200
    assert re.fullmatch(r"wx\d{14}[0-9a-f]{20}", ok.json()["prepay_id"])


def test_h5_requires_scene_info_and_returns_h5_url(raw: RawSigner) -> None:
    path = "/v3/pay/transactions/h5"
    no_type = native_order("ORDER_H5_0001", scene_info={"payer_client_ip": "14.23.150.211"})
    response = raw.send("POST", path, no_type)
    assert "“/body/scene_info/h5_info”映射到值字段“H5场景信息”" in response.json()["message"]
    body = native_order(
        "ORDER_H5_0001",
        scene_info={"payer_client_ip": "14.23.150.211", "h5_info": {"type": "Wap"}},
    )
    ok = raw.send("POST", path, body)
    assert ok.status_code == 200
    assert re.fullmatch(
        r"https://wx\.tenpay\.com/cgi-bin/mmpayweb-bin/checkmweb\?prepay_id=wx\w+&package=\d{10}",
        ok.json()["h5_url"],
    )


def test_app_order_through_wechatpayv3(sb: WeChatSandbox, identity: GeneratedMerchant) -> None:
    pay = client(sb, identity, wechatpay_type=WeChatPayType.APP)
    code, message = pay.pay(description="d", out_trade_no="ORDER_APP_001", amount={"total": 3})
    assert code == 200
    assert json.loads(message)["prepay_id"].startswith("wx")
    sb.pay(MCHID, "ORDER_APP_001")
    assert sb.orders["ORDER_APP_001"]["trade_type"] == "APP"


def test_payment_after_time_expire_is_refused(
    make_sandbox: Callable[..., WeChatSandbox], identity: GeneratedMerchant
) -> None:
    now = [datetime(2025, 3, 1, 10, 0, tzinfo=CST).timestamp()]
    sb = make_sandbox(clock=lambda: now[0])
    signer = RawSigner(identity, sb.base_url)
    body = native_order("ORDER_EXPIRE1", time_expire="2025-03-01T10:30:00+08:00")
    assert signer.send("POST", NATIVE, body, timestamp=int(now[0])).status_code == 200
    now[0] += 31 * 60
    with pytest.raises(SandboxStateError, match="expired"):
        sb.pay(MCHID, "ORDER_EXPIRE1")
    assert sb.orders["ORDER_EXPIRE1"]["trade_state"] == "NOTPAY"


def test_misreport_changes_signed_query_answers_but_not_the_truth(sb: WeChatSandbox, raw: RawSigner) -> None:
    raw.send("POST", NATIVE, native_order("ORDER_LIES_01"))
    sb.misreport(MCHID, "ORDER_LIES_01", lambda tx: {k: v for k, v in tx.items() if k != "amount"})
    response = raw.send("GET", query_path("ORDER_LIES_01"))
    assert response.status_code == 200 and verifies(sb, response.headers, response.text)
    assert "amount" not in response.json() and response.json()["out_trade_no"] == "ORDER_LIES_01"
    assert sb.orders["ORDER_LIES_01"]["amount"]["total"] == 100  # the sandbox's own view: the truth
    sb.misreport(MCHID, "ORDER_LIES_01", None)
    assert raw.send("GET", query_path("ORDER_LIES_01")).json()["amount"]["total"] == 100


def _authorized_openid(sb: WeChatSandbox, appid: str) -> str:
    """An openid as the sandbox's web authorization gives it in `appid` (authorize, exchange)."""
    from urllib.parse import parse_qs, urlsplit

    oauth = sb.web_authorization
    secret = oauth.app_secret(appid)
    query = {"appid": appid, "redirect_uri": "https://shop.example.com/back", "response_type": "code"}
    _, headers, _ = oauth.handle("/connect/oauth2/authorize", query)
    code = parse_qs(urlsplit(headers["Location"]).query)["code"][0]
    exchange = {"appid": appid, "secret": secret, "code": code, "grant_type": "authorization_code"}
    _, _, body = oauth.handle("/sns/oauth2/access_token", exchange)
    return str(json.loads(body)["openid"])


def test_jsapi_refuses_an_openid_of_another_appid(sb: WeChatSandbox, raw: RawSigner) -> None:
    """WeChat Pay refuses an openid that is not of the order's appid (an OAuth in another app)."""
    path = "/v3/pay/transactions/jsapi"
    foreign = _authorized_openid(sb, OTHER_APPID)
    refused = raw.send("POST", path, native_order("ORDER_JSAPI_X", payer={"openid": foreign}))
    assert refused.status_code == 400
    assert (refused.json()["code"], refused.json()["message"]) == ("PARAM_ERROR", "appid和openid不匹配")
    own = _authorized_openid(sb, APPID)
    assert raw.send("POST", path, native_order("ORDER_JSAPI_Y", payer={"openid": own})).status_code == 200
