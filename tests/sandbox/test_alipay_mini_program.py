"""alipay.mini_program, the channel against the Alipay sandbox: the mini program's my.getAuthCode,
the server's alipay.system.oauth.token and alipay.trade.create (JSAPI_PAY, buyer_open_id), the
mini program's my.tradePay, the notify and the query; an open_id given to another app is
refused; a third-party application ordering for a merchant's mini program names it in
op_app_id (refused by the sandbox without it)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
from alipay_sandbox_helpers import FakeClock, NotifyReceiver

from paymux.channels.alipay.client import AlipayChannel
from paymux.channels.base import ChannelAccount, CreateRequest, RefundRequest, RefundState, TradeState
from paymux.channels.http import READ_TIMEOUT, HttpResponse, RequestsHttpClient
from paymux.clock import CHINA
from paymux.errors import BadRequest, ChannelError
from sandbox.alipay import AlipaySandbox, GeneratedApp
from sandbox.alipay.jsapi import UserAuthorizations
from tests.alipay_isv_support import bind_merchant, isv_account, isv_credentials, merchant

PRODUCT = "alipay.mini_program"


class RecordingHttp(RequestsHttpClient):
    """The real client, keeping the form of every gateway call (the bytes on the wire)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, str]] = []

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes = b"",
        timeout: float = READ_TIMEOUT,
    ) -> HttpResponse:
        self.sent.append(dict(parse_qsl(body.decode())))
        return super().request(method, url, headers=headers, body=body, timeout=timeout)

    def biz_of(self, method: str) -> dict[str, Any]:
        (found,) = [form for form in self.sent if form.get("method") == method]
        return dict(json.loads(found["biz_content"]))


@dataclass
class Mini:
    sb: AlipaySandbox
    clock: FakeClock
    receiver: NotifyReceiver

    def direct(self, app: GeneratedApp) -> tuple[AlipayChannel, RecordingHttp]:
        """The mini program's own application as a direct account."""
        self.sb.register_app(app.app)
        account = ChannelAccount(
            account_id=f"ali-{app.app.app_id}",
            provider="alipay",
            products=(PRODUCT,),
            mchid=app.app.pid,
            appid=app.app.app_id,
            base_url=self.sb.gateway_url,
        )
        credentials = {
            "app_private_key_pem": app.private_key_pem.decode(),
            "alipay_public_key_pem": self.sb.alipay_public_key_pem.decode(),
        }
        http = RecordingHttp()
        return AlipayChannel(account, credentials, http, self.clock), http

    def order(self, out_trade_no: str, openid: str) -> CreateRequest:
        return CreateRequest(
            out_trade_no=out_trade_no,
            product=PRODUCT,
            amount=1999,
            currency="CNY",
            subject="咖啡",
            notify_url=self.receiver.url,
            expires_at=self.clock() + 3600,
            payer={"openid": openid},
        )

    def trade_pay(self, app_id: str, trade_no: str) -> requests.Response:
        """my.tradePay inside the mini program, over the sandbox's HTTP stand-in."""
        body = {"app_id": app_id, "trade_no": trade_no, "action": "pay"}
        return requests.post(f"{self.sb.base_url}/sandbox/mini-program/trade-pay", json=body, timeout=5)


@pytest.fixture
def mini() -> Iterator[Mini]:
    clock = FakeClock()
    sb = AlipaySandbox(clock=clock, notify_time_scale=0.0005)
    sb.start()
    receiver = NotifyReceiver()
    try:
        yield Mini(sb, clock, receiver)
    finally:
        sb.stop()
        receiver.close()


def get_auth_code(mini: Mini, app_id: str) -> str:
    """my.getAuthCode inside the mini program, over the sandbox's HTTP stand-in."""
    url = f"{mini.sb.base_url}/sandbox/mini-program/auth-code"
    answer = requests.post(url, json={"app_id": app_id}, timeout=5)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["authCode"])


def test_the_payer_pays_inside_the_mini_program(mini: Mini) -> None:
    shop = merchant(41)
    channel, http = mini.direct(shop)
    open_id = channel.payer_identity(get_auth_code(mini, shop.app.app_id))
    assert open_id == UserAuthorizations.open_id(shop.app.app_id)

    action = channel.create(mini.order("MINI0001", open_id)).action
    sent = http.biz_of("alipay.trade.create")
    assert (sent["product_code"], sent["buyer_open_id"], sent["total_amount"]) == (
        "JSAPI_PAY",
        open_id,
        "19.99",
    )
    assert "op_app_id" not in sent and "buyer_id" not in sent  # the mini program's own app ordered
    at_alipay = mini.sb.trades["MINI0001"]
    assert action == {
        "type": "alipay_mini_program",
        "trade_no": at_alipay["trade_no"],
        "out_trade_no": "MINI0001",
    }
    assert at_alipay["trade_status"] == "WAIT_BUYER_PAY"

    paid = mini.trade_pay(shop.app.app_id, action["trade_no"])
    assert (paid.status_code, paid.json()["resultCode"]) == (200, "9000")
    (notify,) = mini.receiver.wait_for(1, timeout=10)
    event = channel.parse_callback({}, notify.raw)
    assert event.trade is not None and (event.trade.state, event.trade.amount) == (TradeState.PAID, 1999)
    assert channel.query("MINI0001").state == TradeState.PAID

    refund = RefundRequest("MINI0001", "RMINI0001", 500, 1999, "CNY", "退一杯", mini.receiver.url)
    assert channel.refund(refund).state == RefundState.SUCCESS
    assert channel.query_refund("RMINI0001", "MINI0001").amount == 500
    bill = channel.fetch_statement(datetime.fromtimestamp(mini.clock(), CHINA).date())
    assert bill is not None
    rows = {(row.kind, row.out_trade_no): row.amount for row in bill.rows}
    assert rows == {("payment", "MINI0001"): 1999, ("refund", "MINI0001"): 500}


def test_an_open_id_of_another_mini_program_is_refused(mini: Mini) -> None:
    shop, other = merchant(42), merchant(43)
    channel, _ = mini.direct(shop)
    other_channel, _ = mini.direct(other)
    foreign = other_channel.payer_identity(get_auth_code(mini, other.app.app_id))
    with pytest.raises(ChannelError, match=r"ACQ\.INVALID_PARAMETER"):
        channel.create(mini.order("MINI0002", foreign))
    assert "MINI0002" not in mini.sb.trades
    with pytest.raises(ChannelError):  # a code is the mini program's it was asked in, once
        channel.payer_identity(get_auth_code(mini, other.app.app_id))


def test_without_a_payer_nothing_is_sent(mini: Mini) -> None:
    channel, http = mini.direct(merchant(44))
    with pytest.raises(BadRequest, match=r"payer\.openid"):
        channel.create(mini.order("MINI0003", ""))
    assert http.sent == []


def test_the_tradepay_stand_in_pays_only_the_mini_programs_own_trade(mini: Mini) -> None:
    shop, other = merchant(45), merchant(46)
    channel, _ = mini.direct(shop)
    mini.direct(other)
    open_id = channel.payer_identity(mini.sb.mini_programs.get_auth_code(shop.app.app_id))
    trade_no = channel.create(mini.order("MINI0004", open_id)).action["trade_no"]
    refused = mini.trade_pay(other.app.app_id, trade_no)
    assert (refused.status_code, refused.json()["resultCode"]) == (404, "4000")
    assert mini.sb.trades["MINI0004"]["trade_status"] == "WAIT_BUYER_PAY"
    assert mini.sb.mini_programs.trade_pay(shop.app.app_id, trade_no, "cancel")[1]["resultCode"] == "6001"
    assert mini.sb.trades["MINI0004"]["trade_status"] == "WAIT_BUYER_PAY"


def test_a_third_party_application_names_the_mini_program_in_op_app_id(mini: Mini) -> None:
    account = replace(isv_account(mini.sb, "ali-isv-mini"), products=(PRODUCT,))
    shop = merchant(47)
    sub, _ = bind_merchant(mini.sb, account, shop, "bind-mini", "m-mini", mini.clock)
    http = RecordingHttp()
    channel = AlipayChannel(account, isv_credentials(mini.sb), http, mini.clock, sub_merchant=sub)

    # the merchant's mini program asks for the code; paymux's application exchanges it for it
    open_id = channel.payer_identity(get_auth_code(mini, shop.app.app_id))
    assert open_id == UserAuthorizations.open_id(shop.app.app_id)
    action = channel.create(mini.order("MINIISV01", open_id)).action
    (created,) = [form for form in http.sent if form.get("method") == "alipay.trade.create"]
    assert (created["app_id"], created["app_auth_token"]) == (account.appid, sub.app_auth_token)
    assert http.biz_of("alipay.trade.create")["op_app_id"] == shop.app.app_id == sub.sub_appid
    assert mini.sb.trades["MINIISV01"]["app_id"] == shop.app.app_id  # the merchant's trade

    assert mini.trade_pay(shop.app.app_id, action["trade_no"]).json()["resultCode"] == "9000"
    assert channel.query("MINIISV01").state == TradeState.PAID

    # without op_app_id (a binding that names no mini program) Alipay refuses the order
    blind = AlipayChannel(
        account,
        isv_credentials(mini.sb),
        RecordingHttp(),
        mini.clock,
        sub_merchant=replace(sub, sub_appid=""),
    )
    again = blind.payer_identity(get_auth_code(mini, shop.app.app_id))
    with pytest.raises(ChannelError, match="op_app_id"):
        blind.create(mini.order("MINIISV02", again))
    assert "MINIISV02" not in mini.sb.trades
