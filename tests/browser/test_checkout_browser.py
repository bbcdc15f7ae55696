"""The hosted checkout as payers meet it, in headless Chromium against the local stack: pay a QR
code on a desktop through the sandbox's own pay page and come back with a verifiable signed
redirect; JSAPI inside WeChat and inside Alipay; WeChat H5 back to the status view; the
aggregated code in each wallet; switching language; expiry; and the fallback offered when a
channel is down. Each state is photographed (conftest.shot)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from paymux.checkout.assets import MAX_POLLS
from paymux_sdk import SignatureVerificationError, verify_return
from tests.browser.conftest import ALIPAY, IPHONE, ROOT, UNIONPAY, WECHAT, Stack, host_of, shot

pytestmark = pytest.mark.browser
WAIT_MS = 30_000


def for_docs(picture: Path, name: str) -> None:
    """docs/checkout-*.png are these two pictures: refreshed with PAYMUX_DOCS_SCREENSHOTS=1
    (a normal run leaves the committed ones alone)."""
    if os.environ.get("PAYMUX_DOCS_SCREENSHOTS") == "1":
        shutil.copy(picture, ROOT / "docs" / name)


def test_desktop_qr_paid_in_the_sandbox_returns_a_signed_redirect(stack: Stack, browser: Any) -> None:
    session = stack.create_session(["wechat.native", "alipay.qr", "wechat.jsapi", "alipay.wap"])
    page = browser().new_page()
    page.goto(session["url"])
    assert page.locator("#methods [data-method]").evaluate_all("els => els.map(e => e.dataset.method)") == [
        "wechat.native",
        "alipay.qr",
    ]
    assert page.locator("#aggregated svg").is_visible()
    for_docs(shot(page, "desktop-methods"), "checkout-desktop.png")
    page.click("button[data-method='wechat.native']")
    code_url = page.locator("#pay .qr").get_attribute("data-qr")
    assert code_url and page.locator("#pay svg").is_visible()
    shot(page, "desktop-qr")
    payer = page.context.new_page()  # the payer "scans": the sandbox's own pay page
    payer.goto(f"{stack.state['sandbox_url']}/sandbox/pay?code={parse_qs(urlsplit(code_url).query)['pr'][0]}")
    payer.click("button.pay")
    payer.wait_for_selector("text=Paid")
    page.wait_for_selector("[data-state='paid']", state="visible", timeout=WAIT_MS)
    assert page.locator("#checkout").get_attribute("data-current") == "paid"
    shot(page, "desktop-paid")
    page.click("[data-state='paid'] #back")
    page.wait_for_url(re.compile(re.escape(stack.returns.url) + r"\?"), timeout=WAIT_MS)
    query = urlsplit(page.url).query
    values = verify_return(query, stack.state["secret"])
    assert values["paymux_status"] == "paid" and values["paymux_session_id"] == session["id"]
    assert values["paymux_payment_id"].startswith("pay_")
    assert f"/orders/done?{query}" in stack.returns.received  # the merchant got exactly this
    tampered = query.replace("paymux_status=paid", "paymux_status=open")
    try:
        verify_return(tampered, stack.state["secret"])
        raise AssertionError("a tampered return verified")
    except SignatureVerificationError:
        pass
    shot(page, "desktop-returned")


def test_a_wechat_user_agent_gets_the_jsapi_parameters(stack: Stack, browser: Any) -> None:
    session = stack.create_session(["wechat.jsapi", "alipay.wap", "wechat.native"])
    page = browser(WECHAT, mobile=True).new_page()
    page.goto(session["url"])
    assert page.locator("li[data-method='alipay.wap']").inner_text().count("浏览器") == 1  # how to proceed
    shot(page, "wechat-methods")
    page.click("a[data-method='wechat.jsapi']")  # → WeChat's authorize URL → back with ?code=
    page.wait_for_selector("#jsapi", state="attached", timeout=WAIT_MS)
    assert urlsplit(page.url).path == f"/checkout/{session['id']}/wechat"
    assert "code=" in urlsplit(page.url).query
    parameters = page.evaluate("JSON.parse(document.getElementById('jsapi').textContent)")
    assert set(parameters) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert parameters["package"].startswith("prepay_id=") and parameters["signType"] == "RSA"
    assert parameters["appId"] == "wx8888888888888888"
    shot(page, "wechat-jsapi")


def test_the_aggregated_code_opened_in_each_wallet(stack: Stack, browser: Any) -> None:
    session = stack.create_session(["wechat.native", "wechat.jsapi", "alipay.wap", "unionpay.wap"])
    desktop = browser().new_page()
    desktop.goto(session["url"])
    code = desktop.locator("#aggregated .qr").get_attribute("data-qr")
    assert code == f"{session['url']}?via=qr"
    shot(desktop, "aggregated-desktop")
    wechat = browser(WECHAT, mobile=True).new_page()
    wechat.goto(code)
    wechat.wait_for_selector("#jsapi", state="attached", timeout=WAIT_MS)
    shot(wechat, "aggregated-wechat")
    alipay = browser(ALIPAY, mobile=True).new_page()
    alipay.goto(code)
    alipay.wait_for_url(
        lambda url: host_of(url) == host_of(stack.state["alipay_sandbox_url"]), timeout=WAIT_MS
    )
    shot(alipay, "aggregated-alipay")
    unionpay = browser(UNIONPAY, mobile=True).new_page()
    unionpay.goto(code)  # the signed form posts itself to UnionPay's front gateway
    unionpay.wait_for_url(
        lambda url: host_of(url) == host_of(stack.state["unionpay_sandbox_url"]), timeout=WAIT_MS
    )
    shot(unionpay, "aggregated-unionpay")
    plain = browser(IPHONE, mobile=True).new_page()  # a phone's own browser: the wallets' pages
    plain.goto(session["url"])
    assert plain.locator("#methods [data-method]").evaluate_all("els => els.map(e => e.dataset.method)") == [
        "alipay.wap",
        "unionpay.wap",
    ]
    for_docs(shot(plain, "mobile-methods"), "checkout-mobile.png")


def test_switching_language(stack: Stack, browser: Any) -> None:
    session = stack.create_session(["wechat.native", "alipay.qr"])
    page = browser(locale="zh-CN").new_page()
    page.goto(session["url"])
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("#methods h2").inner_text() == "选择支付方式"
    shot(page, "language-zh")
    page.click("#lang")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#methods h2").inner_text() == "Choose how to pay"
    shot(page, "language-en")
    english = browser(locale="en-US").new_page()  # Accept-Language alone
    english.goto(session["url"])
    assert english.locator("#methods h2").inner_text() == "Choose how to pay"


def test_expiry_shows_expired_then_a_410_page(stack: Stack, browser: Any) -> None:
    session = stack.create_session(["wechat.native", "alipay.qr"])
    page = browser().new_page()
    page.goto(session["url"])
    page.click("button[data-method='wechat.native']")
    page.wait_for_selector("#pay svg")
    client, table = stack.table()  # the session's time is up (the stack runs on real time)
    client.update_item(
        TableName=table,
        Key={"PK": {"S": f"CHECKOUT#{session['id']}"}, "SK": {"S": "CHECKOUT"}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(time.time() - 1)}},
    )
    page.wait_for_selector("[data-state='expired']", state="visible", timeout=WAIT_MS)
    shot(page, "expired-polling")
    response = page.reload()
    assert response is not None and response.status == 410
    assert "已过期" in page.locator("#message").inner_text()
    shot(page, "expired-410")
    unknown = page.goto(session["url"].replace(session["id"], "cs_01KB0000000000000000000000") + "?lang=en")
    assert unknown is not None and unknown.status == 404
    assert page.locator("#message h2").inner_text() == "Checkout not found"
    shot(page, "not-found-404")


def test_a_channel_that_is_down_offers_the_merchants_other_methods(stack: Stack, browser: Any) -> None:
    session = stack.create_session(["wechat.native", "alipay.qr"])
    down = stack.admin_patch("wx-demo", {"base_url": "http://127.0.0.1:9"})  # nothing listens there
    assert down.status_code == 200, down.text
    try:
        page = browser(locale="en-US").new_page()
        page.goto(session["url"])
        page.click("button[data-method='wechat.native']")
        page.wait_for_selector("#notice", timeout=WAIT_MS)
        assert "unavailable right now" in page.locator("#notice").inner_text()
        methods = page.locator("#methods [data-method]").evaluate_all("els => els.map(e => e.dataset.method)")
        assert methods == ["alipay.qr"]
        shot(page, "fallback-offered")
        page.click("button[data-method='alipay.qr']")
        page.wait_for_selector("#pay[data-method='alipay.qr'] svg", timeout=WAIT_MS)
        shot(page, "fallback-alipay-qr")
    finally:
        restored = stack.admin_patch("wx-demo", {"base_url": stack.state["sandbox_url"]})
        assert restored.status_code == 200, restored.text


def test_the_status_poll_backs_off_and_stops_at_its_cap(stack: Stack, browser: Any) -> None:
    """On the browser's fake clock (no waiting): 1 s, then ×1.5 up to 10 s apart, 60 polls at
    most, then the payer is asked to reload; never every 2 s forever."""
    session = stack.create_session(["wechat.native"])
    page = browser().new_page()
    polls: list[str] = []
    page.route(
        "**/status", lambda route: (polls.append(route.request.url), route.fulfill(json={"state": "open"}))
    )
    page.clock.install()
    page.goto(session["url"])
    page.click("button[data-method='wechat.native']")
    page.wait_for_selector("#pay svg")
    delays = []
    for scheduled in range(1, MAX_POLLS + 2):  # a locator, not a page function: the CSP forbids eval
        page.locator(f"#checkout[data-scheduled='{scheduled}']").wait_for(state="attached")
        delays.append(int(page.locator("#checkout").get_attribute("data-next") or 0))
        page.clock.run_for(delays[-1])
    page.wait_for_selector("[data-state='gave_up']", state="visible")
    page.clock.run_for(600_000)  # ten more minutes: nothing more is asked
    assert len(polls) == MAX_POLLS
    assert delays[:7] == [1000, 1500, 2250, 3375, 5063, 7595, 10000]
    assert set(delays[6:]) == {10000}
    shot(page, "status-gave-up")


# What the Alipay app's AlipayJSBridge does with tradePay, as far as the page can tell: it is
# called with the trade_no and calls back when its cashier closes (the test pays in between).
ALIPAY_BRIDGE = """
window.AlipayJSBridge = {call: function (name, params, done) {
  document.documentElement.setAttribute("data-bridge", JSON.stringify([name, params]));
  window.__bridgeDone = done;
}};
"""


def test_inside_alipay_the_user_authorization_then_trade_pay(stack: Stack, browser: Any) -> None:
    session = stack.create_session(["alipay.jsapi", "alipay.wap", "wechat.native"])
    context = browser(ALIPAY, mobile=True)
    context.add_init_script(ALIPAY_BRIDGE)
    page = context.new_page()
    page.goto(session["url"])
    methods = page.locator("#methods [data-method]").evaluate_all("els => els.map(e => e.dataset.method)")
    assert methods == ["alipay.jsapi", "alipay.wap"]
    shot(page, "alipay-methods")
    link = page.locator("a[data-method='alipay.jsapi']").get_attribute("href") or ""
    assert urlsplit(link).path == "/oauth2/publicAppAuthorize.htm"
    app_id = parse_qs(urlsplit(link).query)["app_id"][0]
    page.click("a[data-method='alipay.jsapi']")  # → Alipay's authorization → back with ?auth_code=
    page.locator("html[data-bridge]").wait_for(state="attached", timeout=WAIT_MS)
    assert urlsplit(page.url).path == f"/checkout/{session['id']}/alipay"
    assert "auth_code=" in urlsplit(page.url).query
    name, params = json.loads(page.locator("html").get_attribute("data-bridge") or "[]")
    assert name == "tradePay" and set(params) == {"tradeNO"} and params["tradeNO"]
    shot(page, "alipay-trade-pay")
    cashier = f"{stack.state['alipay_sandbox_url']}/sandbox/trade-pay"  # the Alipay app's cashier
    paid = requests.post(cashier, json={"app_id": app_id, "trade_no": params["tradeNO"]}, timeout=30)
    assert paid.json()["resultCode"] == "9000", paid.text
    page.evaluate("window.__bridgeDone({resultCode: '9000'})")
    page.wait_for_selector("[data-state='paid']", state="visible", timeout=WAIT_MS)
    shot(page, "alipay-paid")


def test_wechat_h5_comes_back_to_the_status_view(stack: Stack, browser: Any) -> None:
    """WeChat's H5 middle page (wx.tenpay.com, not reachable here) stands in as a route that
    does what WeChat does when the payer is done: go to redirect_url."""
    session = stack.create_session(["wechat.h5", "alipay.wap"])
    context = browser(IPHONE, mobile=True, locale="en-US")
    seen: list[str] = []

    def wechat_middle_page(route: Any) -> None:
        seen.append(route.request.url)
        query = parse_qs(urlsplit(route.request.url).query)
        pay = {"code": query["prepay_id"][0], "action": "pay"}  # the payer pays in WeChat
        assert requests.post(f"{stack.state['sandbox_url']}/sandbox/pay", json=pay, timeout=30).ok
        back = html.escape(query["redirect_url"][0])  # WeChat's page sends the payer back
        route.fulfill(content_type="text/html", body=f"<meta http-equiv='refresh' content='0;url={back}'>")

    context.route("https://wx.tenpay.com/**", wechat_middle_page)
    page = context.new_page()
    page.goto(session["url"])
    page.click("button[data-method='wechat.h5']")
    page.wait_for_selector("[data-view='status']", timeout=WAIT_MS)
    assert len(seen) == 1 and "redirect_url=" in seen[0]
    assert page.url == f"{session['url']}?view=status&lang=en"
    page.wait_for_selector("[data-state='paid']", state="visible", timeout=WAIT_MS)
    shot(page, "wechat-h5-back-paid")


def test_the_static_code_asks_for_the_amount_then_pays_it(stack: Stack, browser: Any) -> None:
    """The shop's printed code: the payer types the amount; too much is refused; a valid one
    becomes a session whose page (opened in Alipay here) starts Alipay's own flow."""
    code_url = stack.state["static_code_url"]
    page = browser(IPHONE, mobile=True, locale="en-US").new_page()
    page.goto(code_url)
    assert page.locator("#amount h2").inner_text() == "Amount to pay (yuan)"
    shot(page, "static-code")
    page.fill("#amount-input", "1000.01")  # over the shop's limit (1000 yuan)
    page.click("#pay-amount")
    page.wait_for_selector("#message[data-status='422']", timeout=WAIT_MS)
    shot(page, "static-code-refused")
    page.goto(code_url)
    page.fill("#amount-input", "12.34")
    page.click("#pay-amount")
    page.wait_for_selector("#methods", timeout=WAIT_MS)  # the new session's page, on this phone
    assert page.locator(".amount").get_attribute("data-amount") == "1234"
    methods = page.locator("#methods [data-method]").evaluate_all("els => els.map(e => e.dataset.method)")
    assert methods == ["wechat.h5", "alipay.wap"]
    shot(page, "static-code-session")
    context = browser(ALIPAY, mobile=True)
    context.add_init_script(ALIPAY_BRIDGE)
    alipay = context.new_page()
    alipay.goto(code_url)
    alipay.fill("#amount-input", "8")
    alipay.click("#pay-amount")  # → the session (?via=qr) → Alipay's authorization → tradePay
    alipay.locator("html[data-bridge]").wait_for(state="attached", timeout=WAIT_MS)
    assert alipay.locator(".amount").get_attribute("data-amount") == "800"
    shot(alipay, "static-code-alipay")
