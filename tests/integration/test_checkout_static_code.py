"""The static per-merchant code (收款码) against the moto stack: `/pay/{app_id}` asks the payer for
the amount; posting it makes a checkout session on the fly with the merchant's server-side
settings and limits, and sends the payer on to that session's page; a bad amount is a typed
422 page in the payer's language and writes nothing."""

from __future__ import annotations

import copy
import html
import re
from dataclasses import replace
from typing import Any

import pytest

from paymux.checkout.sessions import sessions
from paymux.store.merchants import StaticCode
from paymux.store.static_code_limits import SESSIONS_PER_MINUTE
from tests.integration.conftest import World
from tests.integration.test_checkout_page import DESKTOP, WECHAT, page, page_event
from tests.support import invoke, load_event

CODE = StaticCode(
    notify_url="https://merchant.example.com/paymux/notify",
    return_url="https://merchant.example.com/thanks",
    methods=("wechat.native", "alipay.qr", "wechat.jsapi"),
    max_amount=5000,
    subject="Corner café",
)


def code_event(app_id: str, method: str = "GET", body: str = "", **kwargs: Any) -> dict[str, Any]:
    event = copy.deepcopy(load_event("checkout_choose.json" if method == "POST" else "checkout_page.json"))
    path = f"/pay/{app_id}"
    event.update(rawPath=path, rawQueryString="", pathParameters={"app_id": app_id}, body=body)
    event["routeKey"] = f"{method} /pay/{{app_id}}"
    event["requestContext"]["http"].update(method=method, path=path)
    event["requestContext"]["domainName"] = "pay.example.com"
    event["headers"]["user-agent"] = kwargs.get("agent", DESKTOP)
    event["headers"]["accept-language"] = kwargs.get("language", "zh-CN,zh;q=0.9")
    if "ip" in kwargs:
        event["requestContext"]["http"]["sourceIp"] = kwargs["ip"]
    return event


def session_of(posted: dict[str, Any]) -> str:
    assert posted["statusCode"] == 200, posted["body"]
    found = re.search(r"id='channel-link' href='/checkout/(cs_[0-9A-Z]{26})\?", posted["body"])
    assert found is not None, posted["body"]
    return found.group(1)


def sessions_stored(world: World) -> int:
    items = world.d.dynamodb.scan(TableName=world.d.settings.table)["Items"]
    return sum(1 for i in items if i["PK"]["S"].startswith("CHECKOUT#") and i["SK"]["S"] == "CHECKOUT")


@pytest.fixture
def coded(world: World) -> World:
    app = world.d.merchants.app(world.app_id)
    assert app is not None
    world.d.merchants.put_app(replace(app, static_code=CODE), world.secret)
    return world


def test_the_code_asks_for_the_amount_and_makes_a_session_with_the_merchants_settings(coded: World) -> None:
    shown = invoke("checkout_page", code_event(coded.app_id))
    assert shown["statusCode"] == 200 and "name='amount'" in shown["body"] and "Test shop" in shown["body"]
    assert "form-action 'self'" in shown["headers"]["Content-Security-Policy"]
    posted = invoke("checkout_page", code_event(coded.app_id, "POST", "amount=12.5"))
    assert posted["statusCode"] == 200, posted["body"]
    link = re.search(r"id='channel-link' href='([^']+)'", posted["body"])
    assert link is not None
    found = re.fullmatch(r"/checkout/(cs_[0-9A-Z]{26})\?via=qr&lang=zh-CN", html.unescape(link.group(1)))
    assert found is not None
    session = sessions(coded.d).get(found.group(1))
    assert session is not None and session.status == "open"
    assert (session.amount, session.currency, session.subject) == (1250, "CNY", "Corner café")
    assert session.methods == CODE.methods and session.merchant_order_no.startswith("SC-")
    assert (session.notify_url, session.return_url) == (CODE.notify_url, CODE.return_url)
    assert session.expires_at - session.created_at == 1800
    opened = page(session.session_id, agent=WECHAT, query="via=qr")  # scanned in WeChat: OAuth at once
    assert opened["statusCode"] == 302 and "/connect/oauth2/authorize?" in opened["headers"]["Location"]


@pytest.mark.parametrize("amount", ["0", "0.00", "50.01", "abc", "1.234", "-5", "", "9" * 12])
def test_an_amount_outside_the_merchants_limits_is_a_422_page_and_writes_nothing(
    coded: World, amount: str
) -> None:
    answer = invoke("checkout_page", code_event(coded.app_id, "POST", f"amount={amount}", language="en"))
    assert answer["statusCode"] == 422 and "cannot be paid here" in answer["body"]
    assert sessions_stored(coded) == 0


def test_the_limit_is_the_smaller_of_the_codes_and_the_apps(coded: World) -> None:
    app = coded.d.merchants.app(coded.app_id)
    assert app is not None
    coded.d.merchants.put_app(replace(app, max_amount=1000), coded.secret)
    coded.clock.advance(61)  # past the merchant configuration's cache
    assert invoke("checkout_page", code_event(coded.app_id, "POST", "amount=10.01"))["statusCode"] == 422
    assert invoke("checkout_page", code_event(coded.app_id, "POST", "amount=10"))["statusCode"] == 200
    assert sessions_stored(coded) == 1


def test_no_code_or_an_unknown_app_is_a_404_page(world: World) -> None:
    assert invoke("checkout_page", code_event(world.app_id))["statusCode"] == 404  # no static code set
    assert invoke("checkout_page", code_event(world.app_id, "POST", "amount=1"))["statusCode"] == 404
    assert invoke("checkout_page", code_event("app_nobody"))["statusCode"] == 404
    assert invoke("checkout_page", code_event("../etc"))["statusCode"] == 404
    assert sessions_stored(world) == 0


def test_a_body_that_is_not_the_form_is_a_415_page(coded: World) -> None:
    event = code_event(coded.app_id, "POST", '{"amount": 1}')
    event["headers"]["content-type"] = "application/json"
    assert invoke("checkout_page", event)["statusCode"] == 415
    assert sessions_stored(coded) == 0


def test_the_same_amount_from_the_same_address_gets_its_open_session_again(coded: World) -> None:
    """A reload or a double tap does not write a second session: the open one, untouched by any
    payment, is offered again for 5 minutes; another amount or address, or a started payment,
    gets a new one."""
    post = lambda amount, ip="203.0.113.7": invoke(  # noqa: E731
        "checkout_page", code_event(coded.app_id, "POST", f"amount={amount}", ip=ip)
    )
    first = session_of(post("12.50"))
    assert session_of(post("12.5")) == first and sessions_stored(coded) == 1
    assert session_of(post("12.50", ip="198.51.100.9")) != first
    assert session_of(post("13")) != first and sessions_stored(coded) == 3
    chosen = invoke(
        "checkout_choose",
        page_event("checkout_choose", first, "/pay", body="method=wechat.native"),
    )
    assert chosen["statusCode"] == 303, chosen
    after_choice = session_of(post("12.50"))  # a payment was started on it: a fresh session
    assert after_choice != first and sessions_stored(coded) == 4
    coded.clock.advance(301)
    assert session_of(post("12.50")) not in (first, after_choice) and sessions_stored(coded) == 5


def test_past_the_codes_sessions_per_minute_a_429_page_in_the_payers_language(coded: World) -> None:
    for n in range(SESSIONS_PER_MINUTE):
        assert (
            invoke("checkout_page", code_event(coded.app_id, "POST", f"amount={n + 1}"))["statusCode"] == 200
        )
    refused = invoke("checkout_page", code_event(coded.app_id, "POST", "amount=40", language="en"))
    assert refused["statusCode"] == 429 and "try again in a minute" in refused["body"]
    zh = invoke("checkout_page", code_event(coded.app_id, "POST", "amount=41"))
    assert zh["statusCode"] == 429 and "请一分钟后再试" in zh["body"]
    assert sessions_stored(coded) == SESSIONS_PER_MINUTE  # nothing written past the limit
    assert (
        invoke("checkout_page", code_event(coded.app_id, "POST", "amount=1"))["statusCode"] == 200
    )  # reused
    coded.clock.advance(60 - coded.clock() % 60)  # the next minute
    assert invoke("checkout_page", code_event(coded.app_id, "POST", "amount=40"))["statusCode"] == 200
    assert sessions_stored(coded) == SESSIONS_PER_MINUTE + 1
