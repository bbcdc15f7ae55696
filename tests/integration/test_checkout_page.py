"""The hosted checkout page's handlers (page, choose, status, WeChat's return, the signed return)
invoked with payload-2.0 events against the moto stack and the real sandboxes."""

from __future__ import annotations

import copy
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from paymux.checkout.sessions import sessions
from paymux_sdk import SignatureVerificationError, verify_return
from tests.integration.conftest import Alipay, World
from tests.integration.test_checkout_sessions import create, session_body
from tests.support import invoke, load_event

DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.50(0x1800322d) NetType/WIFI Language/zh_CN"
)
ALIPAY = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
    "Mobile Safari/537.36 AlipayClient/10.5.86.8000 Language/zh-Hans"
)


# The payer's browser: the cookies the checkout set (name=value), one browser per session.
JAR: dict[str, list[str]] = {}


def keep_cookies(session_id: str, response: dict[str, Any]) -> dict[str, Any]:
    """Stores what the response's Set-Cookie (HTTP API's `cookies`) set for the session's browser."""
    for cookie in response.get("cookies") or []:
        name_value = cookie.split(";", 1)[0]
        name = name_value.split("=", 1)[0]
        JAR[session_id] = [c for c in JAR.get(session_id, []) if not c.startswith(name + "=")] + [name_value]
    return response


def page_event(name: str, session_id: str, tail: str = "", **kwargs: Any) -> dict[str, Any]:
    event = copy.deepcopy(load_event(f"{name}.json"))
    event["cookies"] = kwargs.get("cookies", JAR.get(session_id, []))
    path = f"/checkout/{session_id}{tail}"
    query = kwargs.get("query", "")
    event.update(rawPath=path, rawQueryString=query, pathParameters={"session_id": session_id})
    event["requestContext"]["http"]["path"] = path
    event["queryStringParameters"] = dict(parse_qsl(query)) if query else None
    event["requestContext"]["domainName"] = kwargs.get("domain", "pay.example.com")
    event["headers"]["user-agent"] = kwargs.get("agent", DESKTOP)
    event["headers"]["accept-language"] = kwargs.get("language", "zh-CN,zh;q=0.9")
    if "body" in kwargs:
        event["body"] = kwargs["body"]
    return event


def page(session_id: str, **kwargs: Any) -> dict[str, Any]:
    return keep_cookies(
        session_id, invoke("checkout_page", page_event("checkout_page", session_id, **kwargs))
    )


def choose(session_id: str, method: str, **kwargs: Any) -> dict[str, Any]:
    event = page_event("checkout_choose", session_id, "/pay", body=f"method={method}", **kwargs)
    return keep_cookies(session_id, invoke("checkout_choose", event))


def status(session_id: str) -> dict[str, Any]:
    response = invoke("checkout_status", page_event("checkout_status", session_id, "/status"))
    assert response["statusCode"] == 200
    return json.loads(response["body"])


def methods_listed(html: str) -> list[str]:
    return re.findall(r"data-method='([a-z0-9_.]+)'", html.split("id='methods'", 1)[-1])


def new_session(world: World, **overrides: Any) -> str:
    status_code, created = create(world, session_body(**overrides))
    assert status_code == 201
    return str(created["id"])


def test_the_page_is_self_contained_with_a_strict_csp(world: World) -> None:
    session_id = new_session(world, methods=["wechat.native", "alipay.qr", "wechat.jsapi", "alipay.wap"])
    response = page(session_id)
    assert response["statusCode"] == 200
    csp = response["headers"]["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", csp)
    html = response["body"]
    assert not re.search(r"(?:src|href)=['\"]?(?:https?:)?//", html)  # no CDN, no external fonts
    assert "@import" not in html and "url(" not in html
    assert "Test shop" in html and "¥25.00" in html and "<svg" in html  # the aggregated code
    assert methods_listed(html) == ["wechat.native", "alipay.qr"]


def test_choosing_a_qr_method_shows_its_code_and_the_status_follows_the_payment(world: World) -> None:
    session_id = new_session(world)
    chosen = choose(session_id, "wechat.native")
    assert (
        chosen["statusCode"] == 303 and chosen["headers"]["Location"] == f"/checkout/{session_id}?lang=zh-CN"
    )
    shown = page(session_id)["body"]
    stored = sessions(world.d).get(session_id)
    assert stored is not None and stored.payment_id
    payment = world.d.payments.get(stored.payment_id)
    assert payment is not None and payment.action["code_url"] in shown
    assert "data-status-url='/checkout/" in shown
    assert status(session_id)["state"] == "open"
    world.sandbox.pay(world.mchid, payment.out_trade_no)
    world.sandbox.wait_for_callbacks(timeout=10)
    assert status(session_id)["state"] == "paid"
    assert page(session_id)["statusCode"] == 410  # a paid session's page says so, in Chinese
    back = invoke("checkout_page", page_event("checkout_page", session_id, "/return"))
    assert back["statusCode"] == 303
    location = urlsplit(back["headers"]["Location"])
    assert location.netloc == "merchant.example.com"
    values = verify_return(location.query, world.secret, now=world.clock())
    assert values["paymux_status"] == "paid" and values["paymux_payment_id"] == payment.payment_id
    with pytest.raises(SignatureVerificationError):
        verify_return(location.query.replace("paymux_status=paid", "paymux_status=paid2"), world.secret)


def test_unknown_expired_and_refused_are_clear_pages_in_the_payers_language(world: World) -> None:
    unknown = page("cs_01KB0000000000000000000000", language="en-US,en;q=0.9")
    assert unknown["statusCode"] == 404 and "Checkout not found" in unknown["body"]
    assert page("not-an-id")["statusCode"] == 404 and "收银台不存在" in page("not-an-id")["body"]
    session_id = new_session(world, methods=["alipay.qr"])
    refused = choose(session_id, "wechat.native", language="en")
    assert refused["statusCode"] == 422 and "not available for this order" in refused["body"]
    world.clock.advance(1801)
    expired = page(session_id)
    assert expired["statusCode"] == 410 and "已过期" in expired["body"]
    assert "Traceback" not in expired["body"]
    assert status(session_id)["state"] == "expired"


def test_language_follows_accept_language_and_the_switch(world: World) -> None:
    session_id = new_session(world)
    assert "<html lang='en'>" in page(session_id, language="en-GB,en;q=0.8,zh;q=0.5")["body"]
    assert "<html lang='zh-CN'>" in page(session_id, language="zh-TW;q=0.9,en;q=0.1")["body"]
    switched = page(session_id, language="zh-CN", query="lang=en")["body"]
    assert "<html lang='en'>" in switched and "Choose how to pay" in switched
    assert f"href='/checkout/{session_id}?lang=zh-CN'" in switched


def test_methods_follow_the_merchants_recent_use_on_that_kind_of_device(world: World, alipay: Alipay) -> None:
    for _ in range(2):
        choose(new_session(world), "alipay.qr")
    session_id = new_session(world)
    assert methods_listed(page(session_id)["body"]) == ["alipay.qr", "wechat.native"]
    mobile = new_session(world, methods=["wechat.h5", "alipay.wap"])
    assert methods_listed(page(mobile, agent=ALIPAY.replace(" AlipayClient/10.5.86.8000", ""))["body"]) == [
        "wechat.h5",
        "alipay.wap",
    ]


def test_inside_wechat_jsapi_goes_through_oauth_with_the_code_from_the_query(world: World) -> None:
    session_id = new_session(world, methods=["wechat.jsapi", "alipay.wap"])
    html = page(session_id, agent=WECHAT)["body"]
    assert "微信内无法打开支付宝" in html  # Alipay WAP is blocked inside WeChat: how to proceed
    link = re.search(r"data-method='wechat.jsapi' href='([^']+)'", html)
    assert link is not None
    authorize = urlsplit(link.group(1).replace("&amp;", "&"))
    assert authorize.fragment == "wechat_redirect"
    import requests

    answer = requests.get(
        f"{world.sandbox.base_url}{authorize.path}?{authorize.query}", allow_redirects=False, timeout=5
    )
    back = urlsplit(answer.headers["Location"])
    assert back.path == f"/checkout/{session_id}/wechat" and back.fragment == "wechat_redirect"
    event = page_event("checkout_page", session_id, "/wechat", agent=WECHAT, query=back.query)
    shown = invoke("checkout_page", event)
    assert shown["statusCode"] == 200
    parameters = json.loads(re.search(r"id='jsapi'>(.*?)</script>", shown["body"]).group(1))  # type: ignore[union-attr]
    assert parameters["appId"] == world.appid and parameters["package"].startswith("prepay_id=")
    assert parameters["signType"] == "RSA" and parameters["paySign"]
    stored = sessions(world.d).get(session_id)
    payment = world.d.payments.get(stored.payment_id)  # type: ignore[union-attr]
    assert payment is not None and payment.payer["openid"] == world.sandbox.web_authorization.openid(
        world.appid
    )
    replayed = invoke("checkout_page", event)  # a code is good once: back to the page, to ask again
    assert replayed["statusCode"] == 303
    assert replayed["headers"]["Location"] == f"/checkout/{session_id}?lang=zh-CN"


def test_the_aggregated_code_opened_in_alipay_starts_alipay(world: World, alipay: Alipay) -> None:
    session_id = new_session(world, methods=["wechat.native", "wechat.jsapi", "alipay.wap"])
    opened = page(session_id, agent=ALIPAY, query="via=qr")
    assert opened["statusCode"] == 303
    assert urlsplit(opened["headers"]["Location"]).netloc == urlsplit(alipay.sandbox.base_url).netloc
    stored = sessions(world.d).get(session_id)
    assert stored is not None and stored.method == "alipay.wap"


def test_a_channel_that_is_down_offers_the_other_allowed_methods(world: World, alipay: Alipay) -> None:
    session_id = new_session(world, methods=["wechat.native", "alipay.qr"])
    world.sandbox.stop()
    shown = choose(session_id, "wechat.native", language="en")
    assert shown["statusCode"] == 200
    assert "unavailable right now" in shown["body"]
    assert methods_listed(shown["body"]) == ["alipay.qr"]
    assert choose(session_id, "alipay.qr")["statusCode"] == 303


def test_the_merchants_name_logo_and_colour_come_from_its_configuration(world: World) -> None:
    from dataclasses import replace

    app = world.d.merchants.app(world.app_id)
    assert app is not None
    logo = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0naHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmcnLz4="
    branded = replace(app, name="Tea & Co", brand_color="#c0392b", logo=logo)
    world.d.merchants.put_app(branded, world.secret)
    html = page(new_session(world))["body"]
    assert "Tea &amp; Co" in html and f'<img src="{logo}"' in html and "--brand:#c0392b" in html
    world.d.merchants.put_app(
        replace(branded, brand_color="red;}body{display:none", logo="https://cdn.example/l.png"), world.secret
    )
    html = page(new_session(world))["body"]
    assert "display:none" not in html and "cdn.example" not in html and "--brand:#1f6feb" in html


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"content-type": "application/json"}, '{"method": "wechat.native"}', 415),
        ({"content-type": "application/x-www-form-urlencoded"}, "method=" + "x" * 3000, 413),
        ({"content-type": "application/x-www-form-urlencoded"}, "method=", 422),
        ({"content-type": "application/x-www-form-urlencoded"}, "method=unionpay.barcode", 422),
        ({"content-type": "application/x-www-form-urlencoded"}, "%ff=%fe", 422),
        ({"content-type": "application/x-www-form-urlencoded"}, "&".join(f"a{n}=1" for n in range(9)), 400),
    ],
)
def test_a_bad_choice_is_a_typed_page_never_a_5xx(
    world: World, headers: dict[str, str], body: str, status: int
) -> None:
    session_id = new_session(world)
    event = page_event("checkout_choose", session_id, "/pay", body=body)
    event["headers"].update(headers)
    response = invoke("checkout_choose", event)
    assert response["statusCode"] == status and "text/html" in response["headers"]["Content-Type"]
    assert sessions(world.d).get(session_id).attempt == 0  # type: ignore[union-attr]


def test_the_status_says_closed_or_failed_when_the_current_payment_is(world: World) -> None:
    from paymux.domain.states import PaymentStatus
    from paymux.services.outcomes import transition
    from paymux.services.payments import close_payment

    closed_session = new_session(world)
    choose(closed_session, "wechat.native")
    stored = sessions(world.d).get(closed_session)
    app = world.d.merchants.app(world.app_id)
    assert stored is not None and app is not None
    close_payment(world.d, app, stored.payment_id)  # e.g. the merchant closed it meanwhile
    assert status(closed_session)["state"] == "closed"
    failed_session = new_session(world)
    choose(failed_session, "wechat.native")
    failing = world.d.payments.get(sessions(world.d).get(failed_session).payment_id)  # type: ignore[union-attr]
    assert failing is not None
    transition(world.d, failing, PaymentStatus.FAILED, {"failure_code": "X"}, "payment.failed", "channel", {})
    assert status(failed_session)["state"] == "failed"
    assert page(failed_session)["statusCode"] == 200  # the payer may choose again


def test_the_aggregated_code_in_wechat_without_a_jsapi_account_lists_the_methods(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No account can take JSAPI now: the page lists the other methods, never a 303 with an
    empty Location (which the browser follows back to the same URL, forever; found by review)."""
    from paymux.checkout import flows
    from paymux.errors import ChannelUnavailable

    def no_route(*args: Any, **kwargs: Any) -> Any:
        raise ChannelUnavailable("no enabled channel account offers wechat.jsapi")

    session_id = new_session(world, methods=["wechat.native", "wechat.jsapi", "alipay.wap"])
    monkeypatch.setattr(flows, "rank_routes", no_route)
    opened = page(session_id, agent=WECHAT, query="via=qr")
    assert opened["statusCode"] == 200
    assert "wechat.jsapi" not in methods_listed(opened["body"])
    assert methods_listed(opened["body"])
