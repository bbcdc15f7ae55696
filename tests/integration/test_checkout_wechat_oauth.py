"""JSAPI on the hosted checkout through WeChat's OAuth, pinned to one app: the openid belongs to
the appid that authorized it, so the payment is created on a route of that appid (the one the
signed OAuth state names), in direct mode with two accounts of different appids and in
service-provider mode (sub_appid → sub_openid, else sp_appid → sp_openid)."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from local.seed import seed_wechat_account
from paymux.channels.base import ChannelAccount
from paymux.checkout.sessions import sessions
from paymux.services.bindings import create_binding
from paymux.store.merchants import MerchantApp
from sandbox.wechat import generate_merchant
from tests.integration.conftest import World
from tests.integration.test_checkout_page import JAR, WECHAT, page, page_event
from tests.integration.test_checkout_sessions import create, session_body
from tests.support import invoke
from tests.wechat_partner import (
    SP_APPID,
    SP_MCHID,
    SUB_A,
    SUB_A_APPID,
    SUB_B,
    provider_account,
    provider_credentials,
    register_partners,
)

CACHE_SECONDS = 61  # past the channel configuration's per-container cache


def jsapi_link(world: World, session_id: str, **signing: Any) -> str:
    html = page(session_id, agent=WECHAT)["body"]
    link = re.search(r"data-method='wechat.jsapi' href='([^']+)'", html)
    assert link is not None, html
    return link.group(1).replace("&amp;", "&")


def authorize(world: World, link: str) -> dict[str, str]:
    """What WeChat does with the authorize link: the browser comes back with ?code=&state=."""
    parts = urlsplit(link)
    answer = requests.get(
        f"{world.sandbox.base_url}{parts.path}?{parts.query}", allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302, answer.text
    return dict(parse_qsl(urlsplit(answer.headers["Location"]).query))


def come_back(session_id: str, query: dict[str, str], **browser: Any) -> dict[str, Any]:
    event = page_event(
        "checkout_page", session_id, "/wechat", agent=WECHAT, query=urlencode(query), **browser
    )
    return invoke("checkout_page", event)


def jsapi_parameters(shown: dict[str, Any]) -> dict[str, str]:
    assert shown["statusCode"] == 200, shown
    found = re.search(r"id='jsapi'>(.*?)</script>", shown["body"])
    assert found is not None, shown["body"]
    return dict(json.loads(found.group(1)))


def second_account(world: World) -> ChannelAccount:
    suffix = secrets.token_hex(4)
    identity = generate_merchant(
        mchid=str(1_910_000_000 + int(suffix, 16) % 99_999), appids=(f"wx{suffix}b{suffix}",)
    )
    app = world.d.merchants.app(world.app_id)
    assert app is not None
    return seed_wechat_account(world.d, world.sandbox, identity, f"wx-b-{suffix}", owner=app.merchant_id)


def set_priority(world: World, account_id: str, priority: int) -> None:
    account = world.d.channel_config.account(account_id)
    assert account is not None
    world.d.channel_config.put_account(replace(account, priority=priority), None)


def test_jsapi_is_created_on_the_account_whose_appid_did_the_oauth(world: World) -> None:
    """Two JSAPI accounts of different appids. The OAuth runs in the best one's appid (A); the
    ranking changes before the payer is back (an operator re-prioritises B): the code is still
    exchanged in A's appid and the payment is created on A, never on B, whose appid the
    openid is not of (WeChat Pay refuses that pair)."""
    other = second_account(world)
    set_priority(world, world.account_id, 1)
    set_priority(world, other.account_id, 2)
    world.clock.advance(CACHE_SECONDS)
    session_id = create(world, session_body(methods=["wechat.jsapi"]))[1]["id"]
    link = jsapi_link(world, session_id)
    assert dict(parse_qsl(urlsplit(link).query))["appid"] == world.appid
    back = authorize(world, link)
    set_priority(world, world.account_id, 3)  # B is first now
    world.clock.advance(CACHE_SECONDS)
    parameters = jsapi_parameters(come_back(session_id, back))
    assert parameters["appId"] == world.appid
    stored = sessions(world.d).get(session_id)
    payment = world.d.payments.get(stored.payment_id)  # type: ignore[union-attr]
    assert payment is not None and payment.account_id == world.account_id
    assert payment.payer["openid"] == world.sandbox.web_authorization.openid(world.appid)
    order = world.sandbox.orders[payment.out_trade_no]
    assert (order["appid"], order["mchid"]) == (world.appid, world.mchid)


def test_the_oauth_state_cannot_be_swapped_for_another_app_or_session(world: World) -> None:
    other = second_account(world)
    session_id = create(world, session_body(methods=["wechat.jsapi"]))[1]["id"]
    back = authorize(world, jsapi_link(world, session_id))
    state = back["state"]
    appid, tail = state[:-42], state[-42:]  # the app, then the expiry (10 digits) and the tag
    assert appid in (world.appid, other.appid)
    swapped = (other.appid if appid == world.appid else world.appid) + tail
    assert come_back(session_id, {**back, "state": swapped})["statusCode"] == 404
    assert come_back(session_id, {**back, "state": session_id})["statusCode"] == 404
    another = create(world, session_body(methods=["wechat.jsapi"]))[1]["id"]
    # a state made for another session, in the same browser
    assert come_back(another, back, cookies=JAR[session_id])["statusCode"] == 404
    assert sessions(world.d).get(session_id).attempt == 0  # type: ignore[union-attr]
    assert jsapi_parameters(come_back(session_id, back))["appId"] == appid  # the real one works


def test_a_link_made_in_another_browser_does_not_pay_for_its_openid(world: World) -> None:
    """Someone who saw the session's URL authorizes in their own browser and sends the payer
    the return link (their code, their state): in the payer's browser (another nonce, or none)
    it is the 404 page and nothing is created; the payer's own authorization still works."""
    session_id = create(world, session_body(methods=["wechat.jsapi"]))[1]["id"]
    theirs = authorize(world, jsapi_link(world, session_id))
    attacker = JAR.pop(session_id)
    assert come_back(session_id, theirs, cookies=[])["statusCode"] == 404  # no nonce at all
    mine = authorize(world, jsapi_link(world, session_id))  # the payer's browser: a new nonce
    assert JAR[session_id] != attacker
    refused = come_back(session_id, theirs)
    assert refused["statusCode"] == 404 and "Content-Type" in refused["headers"]
    assert sessions(world.d).get(session_id).attempt == 0  # type: ignore[union-attr]
    assert jsapi_parameters(come_back(session_id, mine))["appId"] == world.appid


def test_the_nonce_cookie_is_http_only_lax_on_the_checkout_and_the_state_expires(world: World) -> None:
    session_id = create(world, session_body(methods=["wechat.jsapi"]))[1]["id"]
    shown = page(session_id, agent=WECHAT)
    [cookie] = shown["cookies"]
    attributes = {a.strip().split("=")[0] for a in cookie.split(";")[1:]}
    assert cookie.startswith("paymux_oauth=") and re.fullmatch(
        r"paymux_oauth=[0-9a-f]{32}", cookie.split(";")[0]
    )
    assert attributes == {"Max-Age", "Path", "Secure", "HttpOnly", "SameSite"}
    assert "Path=/checkout;" in cookie and "SameSite=Lax" in cookie and "Max-Age=600" in cookie
    qr = page(session_id, agent=WECHAT, query="via=qr")  # the aggregated code: straight to WeChat
    assert qr["statusCode"] == 302 and qr["cookies"][0].split(";")[0] == JAR[session_id][0]
    back = authorize(world, jsapi_link(world, session_id))
    world.clock.advance(601)
    assert come_back(session_id, back)["statusCode"] == 404  # the state has expired
    assert sessions(world.d).get(session_id).attempt == 0  # type: ignore[union-attr]


def partner_shop(world: World, sub_mchid: str, sub_appid: str = "") -> tuple[str, str]:
    """A merchant app bound to paymux's 服务商 account for `sub_mchid`; with `sub_appid`, the
    sub-merchant's official account's AppSecret is the binding's secret."""
    suffix = secrets.token_hex(3)
    app_id, secret, merchant_id = f"app_sp_{suffix}", "sk_" + secrets.token_hex(16), f"mch_sp_{suffix}"
    world.d.merchants.put_app(
        MerchantApp(app_id=app_id, merchant_id=merchant_id, name="Partner shop"), secret
    )
    account_id = f"wx-sp-{suffix}"
    credentials = provider_credentials(world.sandbox)
    credentials["oauth_app_secret"] = world.sandbox.web_authorization.app_secret(SP_APPID)
    world.d.channel_config.put_account(provider_account(world.sandbox, account_id), credentials)
    doc = {"merchant_id": merchant_id, "account_id": account_id, "sub_mchid": sub_mchid}
    token = {"oauth_app_secret": world.sandbox.web_authorization.app_secret(sub_appid)} if sub_appid else None
    create_binding(world.d, doc | ({"sub_appid": sub_appid} if sub_appid else {}), "test", token)
    return app_id, secret


def partner_jsapi(world: World, sub_mchid: str, sub_appid: str) -> tuple[str, dict[str, str], Any]:
    register_partners(world.sandbox)
    app_id, secret = partner_shop(world, sub_mchid, sub_appid)
    status, created = create(world, session_body(methods=["wechat.jsapi"]), app_id=app_id, secret=secret)
    assert status == 201, created
    link = jsapi_link(world, created["id"])
    parameters = jsapi_parameters(come_back(created["id"], authorize(world, link)))
    stored = sessions(world.d).get(created["id"])
    payment = world.d.payments.get(stored.payment_id)  # type: ignore[union-attr]
    return dict(parse_qsl(urlsplit(link).query))["appid"], parameters, payment


def test_provider_mode_with_a_sub_appid_authorizes_and_pays_as_sub_openid(world: World) -> None:
    asked, parameters, payment = partner_jsapi(world, SUB_A, SUB_A_APPID)
    assert asked == SUB_A_APPID and parameters["appId"] == SUB_A_APPID
    assert payment.sub_mchid == SUB_A and payment.sub_appid == SUB_A_APPID
    openid = world.sandbox.web_authorization.openid(SUB_A_APPID)
    assert payment.payer["openid"] == openid
    paid = world.sandbox.pay(SP_MCHID, payment.out_trade_no)  # the payer in WeChat pays it
    assert (paid["sp_appid"], paid["sub_appid"], paid["sub_mchid"]) == (SP_APPID, SUB_A_APPID, SUB_A)
    assert paid["payer"]["sub_openid"] == openid


def test_provider_mode_without_a_sub_appid_authorizes_and_pays_as_sp_openid(world: World) -> None:
    asked, parameters, payment = partner_jsapi(world, SUB_B, "")
    assert asked == SP_APPID and parameters["appId"] == SP_APPID
    openid = world.sandbox.web_authorization.openid(SP_APPID)
    paid = world.sandbox.pay(SP_MCHID, payment.out_trade_no)
    assert (paid["sp_appid"], paid["sub_mchid"], paid.get("sub_appid")) == (SP_APPID, SUB_B, None)
    assert paid["payer"] == {"sp_openid": openid}
