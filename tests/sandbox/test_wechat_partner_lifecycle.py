"""WeChat Pay service-provider mode, per product, at the channel + sandbox level: paymux's
provider-mode channel for a bound sub-merchant creates the order on the partner API, the payer
pays in the sandbox, the callback the sandbox really sends (signed with WeChat's key, encrypted
with the provider's APIv3 key) is parsed, the order is queried, refunded, the refund callback
parsed and the refund queried, and the day's bill of that sub-merchant read."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from wechat_sandbox_helpers import CallbackReceiver

from paymux.channels.base import (
    AbnormalRefundRequest,
    CallbackEvent,
    CreateRequest,
    RefundRequest,
    RefundResult,
    RefundState,
    SubMerchant,
    TradeState,
)
from paymux.channels.wechat.client import WeChatPayChannel
from paymux.clock import CHINA
from paymux.errors import ChannelError
from sandbox.wechat import WeChatSandbox
from tests.wechat_partner import (
    SP_APPID,
    SP_MCHID,
    SUB_A,
    SUB_A_APPID,
    SUB_B,
    provider_channel,
    register_partners,
    sub_merchant,
)

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
PAYER: dict[str, dict[str, str]] = {
    "wechat.jsapi": {"openid": OPENID},
    "wechat.mini_program": {"openid": OPENID},
    "wechat.h5": {"client_ip": "203.0.113.7", "h5_type": "iOS"},
}
# product → the sub-merchant it is paid to (SUB_B has no app of its own: sp_openid, sp_appid)
SUB_OF = {
    "wechat.native": SUB_A,
    "wechat.jsapi": SUB_B,
    "wechat.mini_program": SUB_A,
    "wechat.h5": SUB_A,
    "wechat.app": SUB_A,
}
ACTION = {
    "wechat.native": "qr_code",
    "wechat.jsapi": "wechat_jsapi",
    "wechat.mini_program": "wechat_jsapi",
    "wechat.h5": "redirect",
    "wechat.app": "wechat_app",
}


@pytest.fixture
def partner_sb(make_sandbox: Callable[..., WeChatSandbox]) -> WeChatSandbox:
    sb = make_sandbox(key_mode="public_key")
    register_partners(sb)
    return sb


def _today() -> date:
    """The bill day: today in Asia/Shanghai (the sandbox serves bills up to today)."""
    return datetime.now(CHINA).date()


def _create(channel: WeChatPayChannel, product: str, notify_url: str, amount: int = 1999) -> str:
    out_trade_no = "P" + secrets.token_hex(8)
    request = CreateRequest(
        out_trade_no=out_trade_no,
        product=product,
        amount=amount,
        currency="CNY",
        subject="Coffee beans 1kg",
        notify_url=notify_url,
        expires_at=time.time() + 900,
        payer=PAYER.get(product, {}),
    )
    created = channel.create(request)
    assert created.action["type"] == ACTION[product]
    _check_action(created.action, product)
    return out_trade_no


def _check_action(action: dict[str, Any], product: str) -> None:
    """The front end pays in the app the payer's openid belongs to; APP's partnerid is the
    sub-merchant."""
    sub = SUB_OF[product]
    app = SUB_A_APPID if sub == SUB_A else SP_APPID
    if action["type"] == "wechat_jsapi":
        assert action["appId"] == app
    if action["type"] == "wechat_app":
        assert (action["appid"], action["partnerid"]) == (app, sub)


def _event(channel: WeChatPayChannel, receiver: CallbackReceiver, count: int) -> CallbackEvent:
    received = receiver.wait_for(count)
    assert len(received) == count
    last = received[-1]
    return channel.parse_callback(last.headers, last.body.encode())


@pytest.mark.parametrize("product", sorted(SUB_OF))
def test_partner_lifecycle(
    partner_sb: WeChatSandbox, make_receiver: Callable[..., CallbackReceiver], product: str
) -> None:
    receiver = make_receiver()
    sub = sub_merchant(SUB_OF[product])
    channel = provider_channel(partner_sb, sub)
    out_trade_no = _create(channel, product, receiver.url)
    order = partner_sb.orders[out_trade_no]
    assert (order["sp_mchid"], order["sp_appid"], order["sub_mchid"]) == (SP_MCHID, SP_APPID, sub.sub_mchid)
    assert order.get("sub_appid", "") == sub.sub_appid
    assert "mchid" not in order and "appid" not in order
    assert channel.query(out_trade_no).state == TradeState.OPEN

    _pay_and_query(partner_sb, channel, receiver, out_trade_no, sub)
    refund_no = _refund_and_query(channel, receiver, out_trade_no, sub)
    _bill(channel, out_trade_no, refund_no, sub)


def _pay_and_query(
    sb: WeChatSandbox,
    channel: WeChatPayChannel,
    receiver: CallbackReceiver,
    out_trade_no: str,
    sub: SubMerchant,
) -> None:
    """The payer pays; the real callback and a query both name the provider and the sub-merchant."""
    sb.pay(SP_MCHID, out_trade_no, openid=OPENID)
    paid = _event(channel, receiver, 1)
    assert paid.kind == "payment" and paid.trade is not None
    trade = paid.trade
    assert (trade.out_trade_no, trade.state, trade.amount, trade.currency) == (
        out_trade_no,
        TradeState.PAID,
        1999,
        "CNY",
    )
    ids = (SP_MCHID, SP_APPID, sub.sub_mchid, sub.sub_appid)
    assert (trade.mchid, trade.appid, trade.sub_mchid, trade.sub_appid) == ids
    assert "sub_mchid" in trade.carries and trade.channel_trade_no
    queried = channel.query(out_trade_no)
    assert (queried.state, queried.channel_trade_no, queried.amount) == (
        TradeState.PAID,
        trade.channel_trade_no,
        1999,
    )
    assert (queried.mchid, queried.appid, queried.sub_mchid, queried.sub_appid) == ids


def _refund_and_query(
    channel: WeChatPayChannel, receiver: CallbackReceiver, out_trade_no: str, sub: SubMerchant
) -> str:
    refund_no = "R" + secrets.token_hex(8)
    request = RefundRequest(out_trade_no, refund_no, 500, 1999, "CNY", "too bitter", receiver.url)
    accepted = channel.refund(request)
    assert accepted.state == RefundState.PROCESSING and accepted.amount == 500
    refunded = _event(channel, receiver, 2)
    assert refunded.kind == "refund" and refunded.refund is not None
    result = refunded.refund
    assert (result.out_refund_no, result.state, result.sub_mchid) == (
        refund_no,
        RefundState.SUCCESS,
        sub.sub_mchid,
    )
    assert channel.query_refund(refund_no, out_trade_no).state == RefundState.SUCCESS
    return refund_no


def _bill(channel: WeChatPayChannel, out_trade_no: str, refund_no: str, sub: SubMerchant) -> None:
    """The sub-merchant's bill of today: the payment and the refund, each naming it."""
    bill = channel.fetch_statement(_today())
    assert bill is not None
    rows = {(row.kind, row.out_trade_no): row for row in bill.rows}
    payment, refund_row = rows[("payment", out_trade_no)], rows[("refund", out_trade_no)]
    assert (payment.amount, payment.sub_mchid, payment.mchid, payment.appid) == (
        1999,
        sub.sub_mchid,
        SP_MCHID,
        SP_APPID,
    )
    assert (refund_row.amount, refund_row.out_refund_no, refund_row.sub_mchid) == (
        500,
        refund_no,
        sub.sub_mchid,
    )
    assert {row.sub_mchid for row in bill.rows} == {sub.sub_mchid}  # only this sub-merchant's
    assert "sub_mchid" in payment.carries


def _paid_callback(sb: WeChatSandbox, receiver: CallbackReceiver, sub: SubMerchant, count: int) -> Any:
    channel = provider_channel(sb, sub)
    out_trade_no = _create(channel, "wechat.native", receiver.url, amount=100)
    sb.pay(SP_MCHID, out_trade_no)
    return receiver.wait_for(count)[-1], out_trade_no


def test_a_callback_for_sub_merchant_a_says_a_whichever_binding_parses_it(
    partner_sb: WeChatSandbox, make_receiver: Callable[..., CallbackReceiver]
) -> None:
    """The services refuse to move merchant B's order with A's callback because the channel
    reports the sub-merchant the genuinely signed message names, not the one it is asked for."""
    receiver = make_receiver()
    callback_a, order_a = _paid_callback(partner_sb, receiver, sub_merchant(SUB_A, "m_a"), 1)
    callback_b, order_b = _paid_callback(partner_sb, receiver, sub_merchant(SUB_B, "m_b"), 2)
    unbound = provider_channel(partner_sb)  # the callback endpoint has only the account
    as_b = provider_channel(partner_sb, sub_merchant(SUB_B, "m_b"))
    for parser in (unbound, as_b):
        trade_a = parser.parse_callback(callback_a.headers, callback_a.body.encode()).trade
        trade_b = parser.parse_callback(callback_b.headers, callback_b.body.encode()).trade
        assert trade_a is not None and trade_b is not None
        assert (trade_a.out_trade_no, trade_a.sub_mchid, trade_a.sub_appid) == (order_a, SUB_A, SUB_A_APPID)
        assert (trade_b.out_trade_no, trade_b.sub_mchid, trade_b.sub_appid) == (order_b, SUB_B, "")


def test_the_providers_bill_without_a_sub_merchant_has_every_sub_merchant(
    partner_sb: WeChatSandbox, make_receiver: Callable[..., CallbackReceiver]
) -> None:
    receiver = make_receiver()
    _, order_a = _paid_callback(partner_sb, receiver, sub_merchant(SUB_A), 1)
    _, order_b = _paid_callback(partner_sb, receiver, sub_merchant(SUB_B), 2)
    bill = provider_channel(partner_sb).fetch_statement(_today())
    assert bill is not None
    assert {(row.out_trade_no, row.sub_mchid) for row in bill.rows} == {(order_a, SUB_A), (order_b, SUB_B)}
    only_b = provider_channel(partner_sb, sub_merchant(SUB_B)).fetch_statement(_today())
    assert only_b is not None
    assert [(row.out_trade_no, row.sub_mchid) for row in only_b.rows] == [(order_b, SUB_B)]


def test_closing_a_partner_order(
    partner_sb: WeChatSandbox, make_receiver: Callable[..., CallbackReceiver]
) -> None:
    channel = provider_channel(partner_sb, sub_merchant(SUB_A))
    out_trade_no = _create(channel, "wechat.native", make_receiver().url)
    channel.close(out_trade_no)
    assert partner_sb.orders[out_trade_no]["trade_state"] == "CLOSED"
    assert channel.query(out_trade_no).state == TradeState.CLOSED


def test_an_abnormal_partner_refund_is_reissued_for_its_sub_merchant(
    partner_sb: WeChatSandbox, make_receiver: Callable[..., CallbackReceiver]
) -> None:
    partner_sb.auto_complete_refunds = False
    receiver = make_receiver()
    channel = provider_channel(partner_sb, sub_merchant(SUB_A))
    out_trade_no = _create(channel, "wechat.native", receiver.url, amount=300)
    partner_sb.pay(SP_MCHID, out_trade_no)
    accepted = channel.refund(
        RefundRequest(out_trade_no, "RAB1" + out_trade_no, 300, 300, "CNY", "", receiver.url)
    )
    abnormal = _event_after(channel, receiver, partner_sb.abnormal_refund(SP_MCHID, accepted.out_refund_no))
    assert (abnormal.state, abnormal.sub_mchid) == (RefundState.ABNORMAL, SUB_A)
    again = channel.apply_abnormal_refund(
        AbnormalRefundRequest(accepted.channel_refund_no, accepted.out_refund_no, "MERCHANT_BANK_CARD")
    )
    assert again.state == RefundState.PROCESSING
    assert partner_sb.refunds[accepted.out_refund_no]["status"] == "PROCESSING"
    other = provider_channel(partner_sb, sub_merchant(SUB_B))  # B cannot re-issue A's refund
    with pytest.raises(ChannelError) as refused:
        other.apply_abnormal_refund(
            AbnormalRefundRequest(accepted.channel_refund_no, accepted.out_refund_no, "MERCHANT_BANK_CARD")
        )
    assert refused.value.channel_code == "RESOURCE_NOT_EXISTS"


def _event_after(channel: WeChatPayChannel, receiver: CallbackReceiver, _: object) -> RefundResult:
    """The refund callback that follows (the second callback of the order: after its payment)."""
    event = _event(channel, receiver, 2)
    assert event.refund is not None
    return event.refund
