"""Alipay's in-app flow on the hosted checkout (alipay.jsapi) against the Alipay sandbox: inside
the Alipay app the page sends the payer through Alipay's user authorization, reads `auth_code`
from the query string of the way back, exchanges it (alipay.system.oauth.token) for the payer's
open_id (an application created after 2023) or user_id (an older one), creates the trade with
alipay.trade.create (buyer_open_id / buyer_id) on the app that authorized, and hands its
trade_no to AlipayJSBridge tradePay; the sandbox's payment completes the session."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from paymux.checkout.sessions import sessions
from tests.integration.conftest import Alipay, World
from tests.integration.test_checkout_page import ALIPAY, JAR, methods_listed, page, page_event, status
from tests.integration.test_checkout_sessions import create, session_body
from tests.support import invoke, wait_until


def authorize_link(session_id: str) -> str:
    html = page(session_id, agent=ALIPAY)["body"]
    assert methods_listed(html)[0] == "alipay.jsapi", html  # the wallet's own way first
    link = re.search(r"data-method='alipay.jsapi' href='([^']+)'", html)
    assert link is not None
    return link.group(1).replace("&amp;", "&")


def authorize(link: str) -> dict[str, str]:
    """What Alipay does with the link: back (302) with auth_code and state in the query string."""
    answer = requests.get(link, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return dict(parse_qsl(urlsplit(answer.headers["Location"]).query))


def come_back(session_id: str, query: dict[str, str], **browser: Any) -> dict[str, Any]:
    event = page_event(
        "checkout_page", session_id, "/alipay", agent=ALIPAY, query=urlencode(query), **browser
    )
    return invoke("checkout_page", event)


def trade_no_of(shown: dict[str, Any]) -> str:
    assert shown["statusCode"] == 200, shown
    found = re.search(r"id='alipay-jsapi'>(.*?)</script>", shown["body"])
    assert found is not None, shown["body"]
    return str(json.loads(found.group(1))["tradeNO"])


def test_inside_alipay_the_payer_pays_with_trade_pay_after_the_user_authorization(
    world: World, alipay: Alipay
) -> None:
    session_id = create(world, session_body(methods=["alipay.jsapi", "alipay.wap"]))[1]["id"]
    link = authorize_link(session_id)
    asked = urlsplit(link)
    assert asked.path == "/oauth2/publicAppAuthorize.htm"
    assert asked.netloc == urlsplit(alipay.sandbox.base_url).netloc
    query = dict(parse_qsl(asked.query))
    assert (query["app_id"], query["scope"]) == (alipay.app_id, "auth_base")
    assert query["redirect_uri"] == f"{world.catcher.base_url}/checkout/{session_id}/alipay"
    back = authorize(link)
    assert back["auth_code"] and back["state"] == query["state"]
    shown = come_back(session_id, back)
    trade_no = trade_no_of(shown)
    assert "data-status-url" in shown["body"] and "AlipayJSBridge" in shown["body"]
    stored = sessions(world.d).get(session_id)
    payment = world.d.payments.get(stored.payment_id)  # type: ignore[union-attr]
    assert payment is not None and (payment.method, payment.account_id) == ("alipay.jsapi", alipay.account_id)
    assert payment.payer["openid"] == alipay.sandbox.user_auth.open_id(alipay.app_id)
    assert payment.action == {
        "type": "alipay_jsapi",
        "trade_no": trade_no,
        "out_trade_no": payment.out_trade_no,
    }
    trade = alipay.sandbox.trades[payment.out_trade_no]
    assert (trade["method"], trade["product_code"], trade["trade_no"]) == (
        "alipay.trade.create",
        "JSAPI_PAY",
        trade_no,
    )
    assert trade["trade_status"] == "WAIT_BUYER_PAY" and trade["total_amount"] == "25.00"
    assert come_back(session_id, back)["statusCode"] == 303  # a code is good once: ask again
    cashier = f"{alipay.sandbox.base_url}/sandbox/trade-pay"  # what tradePay opens in the Alipay app
    paid = requests.post(cashier, json={"app_id": alipay.app_id, "trade_no": trade_no}, timeout=5)
    assert (paid.status_code, paid.json()["resultCode"]) == (200, "9000")
    assert wait_until(lambda: status(session_id)["state"] == "paid", timeout=10)


def test_an_application_made_before_open_id_pays_with_the_users_user_id(world: World, alipay: Alipay) -> None:
    alipay.sandbox.user_auth.use_user_id(alipay.app_id)
    session_id = create(world, session_body(methods=["alipay.jsapi"]))[1]["id"]
    trade_no_of(come_back(session_id, authorize(authorize_link(session_id))))
    payment = world.d.payments.get(sessions(world.d).get(session_id).payment_id)  # type: ignore[union-attr]
    user_id = alipay.sandbox.user_auth.user_id()
    assert payment is not None and payment.payer["openid"] == user_id and user_id.startswith("2088")
    paid = alipay.sandbox.pay(alipay.app_id, payment.out_trade_no)
    assert paid["buyer_user_id"] == user_id  # the trade was created for that buyer (buyer_id)


def test_the_aggregated_code_opened_in_alipay_starts_the_user_authorization(
    world: World, alipay: Alipay
) -> None:
    session_id = create(world, session_body(methods=["wechat.native", "alipay.jsapi", "alipay.wap"]))[1]["id"]
    opened = page(session_id, agent=ALIPAY, query="via=qr")
    assert opened["statusCode"] == 303
    location = urlsplit(opened["headers"]["Location"])
    assert location.path == "/oauth2/publicAppAuthorize.htm"
    state = dict(parse_qsl(location.query))["state"]
    other = create(world, session_body(methods=["alipay.jsapi"]))[1]["id"]
    back = authorize(opened["headers"]["Location"])
    assert come_back(other, back, cookies=JAR[session_id])["statusCode"] == 404  # a state is one session's
    assert come_back(session_id, {**back, "state": state[:-1] + "0"})["statusCode"] == 404
    assert trade_no_of(come_back(session_id, back))


def test_alipay_jsapi_is_only_offered_inside_alipay(world: World, alipay: Alipay) -> None:
    session_id = create(world, session_body(methods=["alipay.jsapi", "alipay.wap", "alipay.qr"]))[1]["id"]
    assert methods_listed(page(session_id)["body"]) == ["alipay.qr"]  # a desktop
    refused = invoke(
        "checkout_choose",
        page_event("checkout_choose", session_id, "/pay", body="method=alipay.jsapi"),
    )
    assert refused["statusCode"] == 422  # no open_id without the user's authorization
    assert sessions(world.d).get(session_id).attempt == 0  # type: ignore[union-attr]
