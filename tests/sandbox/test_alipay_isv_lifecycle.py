"""Alipay third-party application mode, the channel against the sandbox: per product, a merchant
authorizes paymux's application, the code is exchanged, and create → pay → notify → query →
refund → refund query → bill all run with the merchant's app_auth_token and land in the
merchant's account; expiry, refresh, revocation and the cancel message; two merchants kept
apart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from alipay_sandbox_helpers import FakeClock, NotifyReceiver

from paymux.channels.alipay.client import AlipayChannel
from paymux.channels.base import (
    ChannelAccount,
    CreateRequest,
    RefundRequest,
    RefundState,
    SubMerchant,
    TradeState,
)
from paymux.channels.http import RequestsHttpClient
from paymux.clock import CHINA
from paymux.errors import ChannelAuthorizationInvalid, ChannelError, ConfigurationError
from sandbox.alipay import AlipaySandbox, GeneratedApp
from tests.alipay_isv_support import (
    ISV_APP_ID,
    PRODUCTS,
    bind_merchant,
    isv_account,
    isv_credentials,
    merchant,
)

YEAR = 31536000


@dataclass
class Isv:
    sb: AlipaySandbox
    clock: FakeClock
    account: ChannelAccount
    receiver: NotifyReceiver

    def application(self) -> AlipayChannel:
        """paymux's application acting for nobody (verifies notifies, exchanges codes)."""
        return AlipayChannel(self.account, isv_credentials(self.sb), RequestsHttpClient(), self.clock)

    def channel(self, sub: SubMerchant) -> AlipayChannel:
        return AlipayChannel(
            self.account, isv_credentials(self.sb), RequestsHttpClient(), self.clock, sub_merchant=sub
        )

    def bind(self, identity: GeneratedApp, name: str) -> tuple[SubMerchant, AlipayChannel]:
        sub, _ = bind_merchant(self.sb, self.account, identity, f"bind-{name}", name, self.clock)
        return sub, self.channel(sub)


@pytest.fixture
def isv() -> Iterator[Isv]:
    clock = FakeClock()
    sb = AlipaySandbox(clock=clock, notify_time_scale=0.0005)
    sb.start()
    receiver = NotifyReceiver()
    try:
        yield Isv(sb, clock, isv_account(sb), receiver)
    finally:
        sb.stop()
        receiver.close()


def order(isv: Isv, out_trade_no: str, product: str, amount: int = 1999) -> CreateRequest:
    return CreateRequest(
        out_trade_no=out_trade_no,
        product=product,
        amount=amount,
        currency="CNY",
        subject="咖啡",
        notify_url=isv.receiver.url,
        expires_at=isv.clock() + 3600,
        return_url="https://shop.example.com/paid",
    )


def pay(isv: Isv, channel: AlipayChannel, request: CreateRequest, merchant_app_id: str) -> None:
    """The payer's side of each product, as the sandbox offers it."""
    action = channel.create(request).action
    if request.product == "alipay.app":
        assert isv.sb.pay_app_order(action["order_string"])["resultStatus"] == "9000"
        return
    if request.product in ("alipay.page", "alipay.wap"):
        sent = dict(parse_qsl(urlsplit(action["url"]).query))
        assert sent["app_id"] == ISV_APP_ID and sent["app_auth_token"]  # the merchant's, signed
        opened = requests.get(action["url"], allow_redirects=False, timeout=10)
        assert opened.status_code == 302  # verified by the gateway, cashier opened
    isv.sb.pay(merchant_app_id, request.out_trade_no)


def notifies(isv: Isv, count: int) -> list[bytes]:
    received = isv.receiver.wait_for(count, timeout=10)
    assert len(received) >= count
    return [r.raw for r in received[:count]]


def china_today(isv: Isv) -> datetime:
    return datetime.fromtimestamp(isv.clock(), CHINA)


@pytest.mark.parametrize("product", PRODUCTS)
def test_a_merchants_payment_lifecycle_through_the_third_party_application(isv: Isv, product: str) -> None:
    shop = merchant(1)
    sub, channel = isv.bind(shop, "m-1")
    assert (sub.sub_mchid, sub.sub_appid) == (shop.app.pid, shop.app.app_id)
    out_trade_no = f"ISV{product.split('.')[1].upper()}0001"
    pay(isv, channel, order(isv, out_trade_no, product), shop.app.app_id)

    # The trade is the merchant's: its seller, its application; placed by paymux's.
    at_alipay = isv.sb.trades[out_trade_no]
    assert (at_alipay["app_id"], at_alipay["trade_status"]) == (shop.app.app_id, "TRADE_SUCCESS")
    (paid_notify,) = notifies(isv, 1)
    event = isv.application().parse_callback({}, paid_notify)  # no sub-merchant needed to verify
    trade = event.trade
    assert trade is not None and trade.state == TradeState.PAID and trade.amount == 1999
    assert (trade.appid, trade.mchid) == (ISV_APP_ID, "")  # the account's app; no pid of ours
    assert (trade.sub_appid, trade.sub_mchid) == (shop.app.app_id, shop.app.pid)
    assert trade.carries == frozenset({"amount", "appid"})
    form = dict(parse_qsl(paid_notify.decode()))
    assert (form["app_id"], form["auth_app_id"], form["seller_id"]) == (
        ISV_APP_ID,
        shop.app.app_id,
        shop.app.pid,
    )

    queried = channel.query(out_trade_no)
    assert (queried.state, queried.amount, queried.channel_trade_no) == (
        TradeState.PAID,
        1999,
        trade.channel_trade_no,
    )
    assert (queried.sub_mchid, queried.sub_appid, queried.mchid, queried.appid) == ("", "", "", "")

    refund = RefundRequest(out_trade_no, f"R{out_trade_no}", 500, 1999, "CNY", "退一杯", isv.receiver.url)
    assert channel.refund(refund).state == RefundState.SUCCESS
    assert isv.sb.refunds[(out_trade_no, refund.out_refund_no)]["app_id"] == shop.app.app_id
    found = channel.query_refund(refund.out_refund_no, out_trade_no)
    assert (found.state, found.amount) == (RefundState.SUCCESS, 500)
    refund_event = isv.application().parse_callback({}, notifies(isv, 2)[1])
    assert refund_event.refund is not None and refund_event.refund.sub_mchid == shop.app.pid

    bill = channel.fetch_statement(china_today(isv).date())
    assert bill is not None
    rows = {(row.kind, row.out_trade_no): row for row in bill.rows}
    assert set(rows) == {("payment", out_trade_no), ("refund", out_trade_no)}
    assert {(r.sub_mchid, r.mchid) for r in bill.rows} == {(shop.app.pid, "")}  # the merchant's bill
    assert (rows[("payment", out_trade_no)].amount, rows[("refund", out_trade_no)].amount) == (1999, 500)
    assert "mchid" not in rows[("payment", out_trade_no)].carries


def test_the_authorization_page_redirects_with_a_single_use_code(isv: Isv) -> None:
    shop = merchant(2)
    isv.sb.register_app(shop.app)
    answer = requests.post(
        f"{isv.sb.base_url}/sandbox/app-auth",
        data={
            "app_id": ISV_APP_ID,
            "redirect_uri": "https://pay.example.com/alipay/auth?x=1",
            "merchant_app_id": shop.app.app_id,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    back = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
    assert (back["app_id"], back["x"]) == (ISV_APP_ID, "1")
    grant = isv.application().exchange_app_auth_code(back["app_auth_code"])
    assert (grant.user_id, grant.auth_app_id) == (shop.app.pid, shop.app.app_id)
    assert (
        grant.expires_at == pytest.approx(isv.clock() + YEAR) and grant.refresh_expires_at > grant.expires_at
    )
    with pytest.raises(ChannelError) as again:
        isv.application().exchange_app_auth_code(back["app_auth_code"])
    assert again.value.channel_code == "isv.code-invalid"


def test_a_code_unused_for_a_day_is_refused(isv: Isv) -> None:
    shop = merchant(2)
    isv.sb.register_app(shop.app)
    code = isv.sb.app_auth.authorize(ISV_APP_ID, shop.app.app_id)
    isv.clock.advance(86400 + 1)
    with pytest.raises(ChannelError) as refused:
        isv.application().exchange_app_auth_code(code)
    assert refused.value.channel_code == "isv.code-invalid"


def test_an_expired_token_is_refused_until_refreshed(isv: Isv) -> None:
    shop = merchant(1)
    sub, grant = bind_merchant(isv.sb, isv.account, shop, "bind-m-1", "m-1", isv.clock)
    channel = isv.channel(sub)
    isv.clock.advance(YEAR + 1)
    with pytest.raises(ChannelAuthorizationInvalid) as expired:
        channel.query("NOSUCHORDER")
    assert (expired.value.channel_code, expired.value.refreshable) == ("aop.app-auth-token-time-out", True)
    assert expired.value.retryable_elsewhere  # nothing was done for the merchant
    fresh = isv.application().refresh_app_auth(grant.app_refresh_token)
    assert fresh.app_auth_token != grant.app_auth_token and fresh.user_id == shop.app.pid
    assert fresh.expires_at == pytest.approx(isv.clock() + YEAR)
    renewed = isv.channel(SubMerchant("bind-m-1", "m-1", sub.sub_mchid, sub.sub_appid, fresh.app_auth_token))
    assert renewed.query("NOSUCHORDER").state == TradeState.NOT_FOUND  # the call works again


def test_a_replaced_token_works_ten_minutes_more(isv: Isv) -> None:
    sub, grant = bind_merchant(isv.sb, isv.account, merchant(1), "bind-m-1", "m-1", isv.clock)
    old = isv.channel(sub)
    isv.application().refresh_app_auth(grant.app_refresh_token)
    isv.clock.advance(599)
    assert old.query("NOSUCHORDER").state == TradeState.NOT_FOUND
    isv.clock.advance(2)
    with pytest.raises(ChannelAuthorizationInvalid) as replaced:
        old.query("NOSUCHORDER")
    assert (replaced.value.channel_code, replaced.value.refreshable) == ("aop.invalid-app-auth-token", False)


def test_a_revoked_authorization_refuses_calls_and_the_application_is_told(isv: Isv) -> None:
    shop = merchant(1)
    sub, grant = bind_merchant(isv.sb, isv.account, shop, "bind-m-1", "m-1", isv.clock)
    channel = isv.channel(sub)
    gateway = NotifyReceiver()
    try:
        isv.sb.app_auth.set_gateway(ISV_APP_ID, gateway.url)
        isv.sb.app_auth.revoke(ISV_APP_ID, shop.app.app_id)
        with pytest.raises(ChannelAuthorizationInvalid) as revoked:
            channel.create(order(isv, "ISVREVOKED1", "alipay.qr"))
        assert (revoked.value.channel_code, revoked.value.refreshable) == (
            "aop.invalid-app-auth-token",
            False,
        )
        with pytest.raises(ChannelError) as no_refresh:
            isv.application().refresh_app_auth(grant.app_refresh_token)
        assert no_refresh.value.channel_code == "isv.refresh-token-invalid"
        (message,) = gateway.wait_for(1, timeout=10)
        notice = isv.application().parse_auth_notice({}, message.raw)
        assert (notice.kind, notice.auth_app_id, notice.user_id) == (
            "cancelled",
            shop.app.app_id,
            shop.app.pid,
        )
        assert json.loads(message.form["biz_content"])["auth_app_id"] == shop.app.app_id
    finally:
        gateway.close()


def test_each_merchants_notify_names_that_merchant_and_tokens_do_not_cross(isv: Isv) -> None:
    shop_a, shop_b = merchant(1), merchant(3)
    _, channel_a = isv.bind(shop_a, "m-a")
    _, channel_b = isv.bind(shop_b, "m-b")
    pay(isv, channel_a, order(isv, "ISVMERCHANTA1", "alipay.qr", 100), shop_a.app.app_id)
    pay(isv, channel_b, order(isv, "ISVMERCHANTB1", "alipay.qr", 200), shop_b.app.app_id)
    trades = [isv.application().parse_callback({}, raw).trade for raw in notifies(isv, 2)]
    by_order = {t.out_trade_no: t for t in trades if t is not None}
    assert (by_order["ISVMERCHANTA1"].sub_mchid, by_order["ISVMERCHANTA1"].sub_appid) == (
        shop_a.app.pid,
        shop_a.app.app_id,
    )
    assert (by_order["ISVMERCHANTB1"].sub_mchid, by_order["ISVMERCHANTB1"].sub_appid) == (
        shop_b.app.pid,
        shop_b.app.app_id,
    )
    # B's token sees only B's trades: A's order does not exist for it.
    assert channel_b.query("ISVMERCHANTA1").state == TradeState.NOT_FOUND
    assert channel_a.query("ISVMERCHANTA1").state == TradeState.PAID


def test_the_application_without_a_merchant_acts_for_nobody(isv: Isv) -> None:
    application = isv.application()
    calls = [
        lambda: application.create(order(isv, "ISVNOBODY1", "alipay.qr")),
        lambda: application.query("ISVNOBODY1"),
        lambda: application.close("ISVNOBODY1"),
        lambda: application.refund(RefundRequest("ISVNOBODY1", "R1", 1, 1, "CNY", "", isv.receiver.url)),
        lambda: application.query_refund("R1", "ISVNOBODY1"),
        lambda: application.fetch_statement(china_today(isv).date()),
        application.query_app_auth,
    ]
    for call in calls:
        with pytest.raises(ConfigurationError):
            call()
    assert isv.sb.trades == {}  # nothing reached Alipay


def test_the_token_query_answers_for_the_bound_merchant(isv: Isv) -> None:
    shop = merchant(1)
    sub, _ = bind_merchant(isv.sb, isv.account, shop, "bind-m-1", "m-1", isv.clock)
    status = isv.channel(sub).query_app_auth()
    assert (status.valid, status.user_id, status.auth_app_id) == (True, shop.app.pid, shop.app.app_id)
    assert "alipay.trade.refund" in status.methods
    isv.sb.app_auth.revoke(ISV_APP_ID, shop.app.app_id)
    assert isv.channel(sub).query_app_auth().valid is False


def test_closing_a_merchants_unpaid_trade_uses_its_token(isv: Isv) -> None:
    shop = merchant(1)
    _, channel = isv.bind(shop, "m-1")
    channel.create(order(isv, "ISVCLOSE0001", "alipay.qr"))
    isv.sb.scan(shop.app.app_id, "ISVCLOSE0001")  # the trade exists once scanned
    channel.close("ISVCLOSE0001")
    assert isv.sb.trades["ISVCLOSE0001"]["trade_status"] == "TRADE_CLOSED"
    assert channel.query("ISVCLOSE0001").state == TradeState.CLOSED
