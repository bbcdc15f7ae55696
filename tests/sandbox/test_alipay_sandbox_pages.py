"""Browser and app payments: page/wap cashiers reached through /gateway.do, the signed
return to return_url, app order strings, and the person-facing pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from alipay_sandbox_helpers import (
    APP_ID,
    PID,
    AlipayEnv,
    alipay_env,
    extract_response,
    rsa2_ok,
    sdk_client,
    verify_notify,
)

RETURN_URL = "https://merchant.example/alipay/return?shop=7"


@pytest.fixture
def env() -> Iterator[AlipayEnv]:
    with alipay_env() as made:
        yield made


def _page_order(
    out_trade_no: str, product_code: str = "FAST_INSTANT_TRADE_PAY", **biz: str
) -> dict[str, str]:
    return {
        "out_trade_no": out_trade_no,
        "total_amount": "66.60",
        "subject": "年卡会员",
        "product_code": product_code,
    } | biz


def test_page_pay_cashier_pay_and_signed_return(env: AlipayEnv) -> None:
    # Given a merchant page that auto-submits a signed page.pay form to the gateway
    receiver = env.receiver()
    params = env.client.sign(
        env.client.params(
            "alipay.trade.page.pay",
            _page_order("PG_PAGE_00001"),
            return_url=RETURN_URL,
            notify_url=receiver.url,
        )
    )
    browser = requests.Session()
    submitted = browser.post(
        env.sb.gateway_url + "?charset=utf-8", data=params, allow_redirects=False, timeout=5
    )
    # Then the gateway sends the browser to the cashier, and the trade exists from now on
    assert submitted.status_code == 302
    cashier_url = submitted.headers["Location"]
    assert cashier_url.startswith(f"{env.sb.base_url}/sandbox/cashier?token=")
    assert env.query("PG_PAGE_00001")["trade_status"] == "WAIT_BUYER_PAY"
    cashier = browser.get(cashier_url, timeout=5)
    assert "66.60" in cashier.text and "年卡会员" in cashier.text and "Pay" in cashier.text
    # When the person pays on the cashier
    token = dict(parse_qsl(urlsplit(cashier_url).query))["token"]
    paid = browser.post(
        f"{env.sb.base_url}/sandbox/cashier",
        data={"token": token, "action": "pay"},
        allow_redirects=False,
        timeout=5,
    )
    # Then the browser is sent to return_url with parameters signed by Alipay
    assert paid.status_code == 303
    location = paid.headers["Location"]
    assert location.startswith(RETURN_URL + "&")
    back = dict(parse_qsl(urlsplit(location).query))
    assert back.pop("shop") == "7"
    assert verify_notify(back, env.key)
    assert back["method"] == "alipay.trade.page.pay.return"
    assert (back["out_trade_no"], back["total_amount"], back["seller_id"], back["app_id"]) == (
        "PG_PAGE_00001",
        "66.60",
        PID,
        APP_ID,
    )
    assert back["trade_no"] == env.sb.trades["PG_PAGE_00001"]["trade_no"]
    # And the trade is paid and notified
    assert env.query("PG_PAGE_00001")["trade_status"] == "TRADE_SUCCESS"
    (notice,) = receiver.wait_for(1)
    assert notice.form["trade_status"] == "TRADE_SUCCESS" and verify_notify(notice.form, env.key)


def test_page_pay_by_get_from_python_alipay_sdk(env: AlipayEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    sdk = sdk_client(env, monkeypatch)
    query = sdk.api_alipay_trade_page_pay(
        subject="电脑网站", out_trade_no="PG_SDKPAGE_01", total_amount="5.00"
    )
    opened = requests.get(f"{env.sb.gateway_url}?{query}", timeout=5)
    assert opened.status_code == 200 and "5.00" in opened.text  # redirected to the cashier
    assert env.sb.trades["PG_SDKPAGE_01"]["product_code"] == "FAST_INSTANT_TRADE_PAY"
    # opening the same signed URL again shows the same cashier
    again = requests.get(f"{env.sb.gateway_url}?{query}", allow_redirects=False, timeout=5)
    assert again.headers["Location"].endswith(env.sb.trades["PG_SDKPAGE_01"]["sandbox_pay_path"])
    # without return_url, paying shows the result page instead of redirecting
    token = env.sb.trades["PG_SDKPAGE_01"]["sandbox_pay_path"].split("token=")[1]
    paid = requests.post(
        f"{env.sb.base_url}/sandbox/cashier", data={"token": token, "action": "pay"}, timeout=5
    )
    assert paid.status_code == 200 and "Paid" in paid.text


def test_a_refused_page_request_shows_alipays_error_page(env: AlipayEnv) -> None:
    params = env.client.sign(env.client.params("alipay.trade.page.pay", _page_order("PG_BADSIGN_01")))
    params["subject"] = "tampered"
    params["sign"] = params["sign"][::-1]
    shown = requests.get(f"{env.sb.gateway_url}?{urlencode(params)}", timeout=5)
    assert shown.status_code == 200
    assert shown.headers["Content-Type"].startswith("text/html")
    assert "错误代码 invalid-signature 错误原因: 验签出错" in shown.text
    assert "PG_BADSIGN_01" not in env.sb.trades


def test_wap_pay_wants_quick_wap_way(env: AlipayEnv) -> None:
    wrong = env.client.sign(
        env.client.params("alipay.trade.wap.pay", _page_order("PG_WAP_00001", "QUICK_WAP_PAY"))
    )
    refused = requests.post(env.sb.gateway_url, data=wrong, timeout=5)
    assert "data-sub-code='ACQ.INVALID_PARAMETER'" in refused.text and "QUICK_WAP_PAY" in refused.text
    assert "PG_WAP_00001" not in env.sb.trades
    # with the right product code the cashier opens; cancelling goes back to quit_url, unpaid
    right = env.client.sign(
        env.client.params(
            "alipay.trade.wap.pay",
            _page_order("PG_WAP_00001", "QUICK_WAP_WAY", quit_url="https://merchant.example/quit"),
            return_url=RETURN_URL,
        )
    )
    opened = requests.post(env.sb.gateway_url, data=right, allow_redirects=False, timeout=5)
    token = dict(parse_qsl(urlsplit(opened.headers["Location"]).query))["token"]
    cancelled = requests.post(
        f"{env.sb.base_url}/sandbox/cashier",
        data={"token": token, "action": "cancel"},
        allow_redirects=False,
        timeout=5,
    )
    assert (cancelled.status_code, cancelled.headers["Location"]) == (303, "https://merchant.example/quit")
    assert env.query("PG_WAP_00001")["trade_status"] == "WAIT_BUYER_PAY"
    # paying later returns with the wap method name
    paid = requests.post(
        f"{env.sb.base_url}/sandbox/cashier",
        data={"token": token, "action": "pay"},
        headers={"Accept": "application/json"},
        timeout=5,
    ).json()
    assert paid["trade_status"] == "TRADE_SUCCESS"
    back = dict(parse_qsl(urlsplit(paid["redirect"]).query))
    assert back.pop("shop") == "7"  # the merchant's own query parameter is kept, unsigned
    assert back["method"] == "alipay.trade.wap.pay.return" and verify_notify(back, env.key)


def test_app_pay_order_string_from_python_alipay_sdk(env: AlipayEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the order string a merchant server hands to its app
    receiver = env.receiver()
    sdk = sdk_client(env, monkeypatch, notify_url=receiver.url)
    order_string = sdk.api_alipay_trade_app_pay(
        subject="App 订单", out_trade_no="PG_APP_00001", total_amount="19.90"
    )
    # When the Alipay app pays it
    result = env.sb.pay_app_order(order_string)
    # Then the app SDK result is 9000 with Alipay's signed answer
    assert (result["resultStatus"], result["memo"]) == ("9000", "")
    text = result["result"]
    raw = extract_response(text, "alipay_trade_app_pay_response")
    assert raw is not None and rsa2_ok(env.key, raw.encode(), json.loads(text)["sign"])
    answer = json.loads(raw)
    assert (answer["code"], answer["out_trade_no"], answer["total_amount"], answer["seller_id"]) == (
        "10000",
        "PG_APP_00001",
        "19.90",
        PID,
    )
    assert json.loads(text)["sign_type"] == "RSA2"
    # And the trade is paid, notified, with the app product code
    assert env.query("PG_APP_00001")["trade_status"] == "TRADE_SUCCESS"
    assert env.sb.trades["PG_APP_00001"]["product_code"] == "QUICK_MSECURITY_PAY"
    assert receiver.wait_for(1)[0].form["out_trade_no"] == "PG_APP_00001"
    # And paying the same order string again is refused as already paid
    assert env.sb.pay_app_order(order_string)["resultStatus"] == "4000"


def test_a_tampered_app_order_string_is_refused(env: AlipayEnv) -> None:
    order_string = env.client.order_string(
        "alipay.trade.app.pay", {"out_trade_no": "PG_APP_00002", "total_amount": "1.00", "subject": "x"}
    )
    result = env.sb.pay_app_order(order_string.replace("1.00", "0.01"))
    assert result["resultStatus"] == "4000"
    error = json.loads(result["result"])["alipay_trade_app_pay_response"]
    assert (error["code"], error["sub_code"]) == ("40002", "isv.invalid-signature")
    assert "PG_APP_00002" not in env.sb.trades
    # a page.pay order string is not an app order
    page = env.client.order_string("alipay.trade.page.pay", _page_order("PG_APP_00003"))
    assert json.loads(env.sb.pay_app_order(page)["result"])["alipay_trade_app_pay_response"]["sub_code"] == (
        "isv.invalid-method"
    )


def test_cancelling_in_the_app_leaves_the_trade_waiting(env: AlipayEnv) -> None:
    order_string = env.client.order_string(
        "alipay.trade.app.pay", {"out_trade_no": "PG_APP_00004", "total_amount": "2.00", "subject": "x"}
    )
    assert env.sb.cancel_app_order(order_string) == {
        "resultStatus": "6001",
        "memo": "用户中途取消",
        "result": "",
    }
    assert env.query("PG_APP_00004")["trade_status"] == "WAIT_BUYER_PAY"
    # the app page does the same for a person with a pasted order string
    paid = requests.post(
        f"{env.sb.base_url}/sandbox/app",
        data={"order_string": order_string, "action": "pay"},
        headers={"Accept": "application/json"},
        timeout=5,
    ).json()
    assert paid["resultStatus"] == "9000"
    assert env.query("PG_APP_00004")["trade_status"] == "TRADE_SUCCESS"
    page = requests.post(f"{env.sb.base_url}/sandbox/app", data={"order_string": "junk"}, timeout=5)
    assert page.status_code == 200 and "4000" in page.text


def test_opening_the_qr_code_is_scanning_it(env: AlipayEnv) -> None:
    qr_code = env.precreate("PG_SCAN_00001", "12.00")["qr_code"]
    scanned = requests.get(qr_code, timeout=5)
    assert scanned.status_code == 200
    assert "<svg" in scanned.text and "12.00" in scanned.text
    assert env.query("PG_SCAN_00001")["trade_status"] == "WAIT_BUYER_PAY"
    code = qr_code.split("code=")[1]
    cancelled = requests.post(
        f"{env.sb.base_url}/sandbox/scan", data={"code": code, "action": "cancel"}, timeout=5
    )
    assert cancelled.status_code == 200 and "cancelled" in cancelled.text
    paid = requests.post(
        f"{env.sb.base_url}/sandbox/scan",
        data={"code": code, "action": "pay", "buyer_id": "2088102177846881"},
        timeout=5,
    )
    assert paid.status_code == 200 and "TRADE_SUCCESS" in paid.text
    assert env.query("PG_SCAN_00001")["buyer_user_id"] == "2088102177846881"
    again = requests.post(f"{env.sb.base_url}/sandbox/scan", data={"code": code, "action": "pay"}, timeout=5)
    assert again.status_code == 409


def test_the_trade_list_and_unknown_pages(env: AlipayEnv) -> None:
    env.precreate("PG_LIST_00001", "1.00")
    listing = requests.get(f"{env.sb.base_url}/sandbox/", timeout=5)
    assert listing.status_code == 200 and "PG_LIST_00001" in listing.text and "NOT SCANNED" in listing.text
    assert requests.get(f"{env.sb.base_url}/sandbox/scan?code=bax_nope", timeout=5).status_code == 404
    assert requests.get(f"{env.sb.base_url}/sandbox/cashier?token=nope", timeout=5).status_code == 404
    assert requests.get(f"{env.sb.base_url}/sandbox/nothing", timeout=5).status_code == 404
