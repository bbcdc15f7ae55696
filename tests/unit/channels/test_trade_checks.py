"""What each channel's trade parsing reports as absent (never a made-up default), and how a
channel's word is checked against the order and its account (services/outcomes,
services/statement_checks): pure, no AWS."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paymux.channels.alipay import transform as alipay
from paymux.channels.base import CHECKED_FIELDS, ChannelAccount, StatementRow, TradeResult, TradeState
from paymux.channels.wechat import transform as wechat
from paymux.domain.payment import Payment
from paymux.services.outcomes import IncompleteTrade, TradeMismatch, check_trade
from paymux.services.statement_checks import field_mismatch, payment_row_mismatch, refund_row_mismatch
from paymux.store.bindings import Binding

ACCOUNT = ChannelAccount(
    "wx-1", "wechat", ("wechat.native",), "1900000109", "wx8888888888888888", "https://x"
)
PAYMENT = Payment(
    payment_id="pay_1",
    merchant_id="mch_1",
    app_id="app_1",
    merchant_order_no="ORD-1",
    amount=2500,
    currency="CNY",
    method="wechat.native",
    subject="beans",
    notify_url="https://merchant.example.com/notify",
    request_hash="h",
    created_at=0.0,
    expires_at=7200.0,
)
PAID_TX = {
    "appid": "wx8888888888888888",
    "mchid": "1900000109",
    "out_trade_no": "pay_1-01",
    "transaction_id": "4200000000000000000000000001",
    "trade_state": "SUCCESS",
    "success_time": "2026-11-27T10:55:23+08:00",
    "amount": {"total": 2500, "payer_total": 2500, "currency": "CNY", "payer_currency": "CNY"},
}


def test_a_wechat_transaction_without_amount_or_currency_reports_them_absent():
    trade = wechat.trade_result({k: v for k, v in PAID_TX.items() if k != "amount"}, "callback")
    assert (trade.state, trade.amount, trade.currency) == (TradeState.PAID, None, "")
    assert wechat.trade_result(PAID_TX | {"amount": {"total": 2500}}, "query").currency == ""  # not "CNY"
    assert trade.carries == CHECKED_FIELDS


@pytest.mark.parametrize("total", ["2500", 25.0, True, None, [2500]])
def test_a_wechat_total_that_is_not_an_integer_is_absent_not_an_error(total):
    assert (
        wechat.trade_result(PAID_TX | {"amount": {"total": total, "currency": "CNY"}}, "query").amount is None
    )


def test_alipay_messages_carry_what_their_type_always_has():
    notify = {"out_trade_no": "pay_1-01", "trade_status": "TRADE_SUCCESS", "total_amount": "25.00"}
    assert alipay.trade_result(notify, message="callback").carries == {"amount", "mchid", "appid"}
    assert alipay.trade_result(notify, message="query").carries == {"amount"}
    assert alipay.trade_result(notify, message="query").currency == "CNY"  # the unit of Alipay's yuan amounts
    assert alipay.trade_result(notify | {"trans_currency": "USD"}, message="query").currency == "USD"


@pytest.mark.parametrize("total_amount", ["", "abc", "1e3", "25.001", None])
def test_an_alipay_amount_that_cannot_be_read_is_absent(total_amount):
    fields = {"out_trade_no": "pay_1-01", "trade_status": "TRADE_SUCCESS", "total_amount": total_amount}
    assert alipay.trade_result(fields, message="callback").amount is None


def _trade(state=TradeState.PAID, **overrides) -> TradeResult:
    values = {"amount": 2500, "currency": "CNY", "mchid": "1900000109", "appid": "wx8888888888888888"}
    return TradeResult("pay_1-01", state, **(values | overrides))


def test_a_complete_agreeing_paid_word_passes():
    check_trade(PAYMENT, _trade(), ACCOUNT)


@pytest.mark.parametrize(
    ("overrides", "error", "text"),
    [
        ({"amount": None}, IncompleteTrade, "without amount"),
        ({"currency": ""}, IncompleteTrade, "without currency"),
        ({"mchid": "", "appid": ""}, IncompleteTrade, "without merchant id, app id"),
        ({"amount": 1}, TradeMismatch, "amount 1 != 2500"),
        ({"currency": "USD", "amount": None}, TradeMismatch, "currency USD != CNY"),  # mismatch first
        ({"appid": "wxother"}, TradeMismatch, "app id wxother != wx8888888888888888"),
    ],
)
def test_a_paid_word_missing_or_disagreeing_is_refused(overrides, error, text):
    with pytest.raises(error, match=text) as raised:
        check_trade(PAYMENT, _trade(**overrides), ACCOUNT)
    assert raised.type is error


def test_a_field_its_message_type_does_not_carry_is_compared_only_when_present():
    query = _trade(mchid="", appid="", carries=frozenset({"amount"}))  # an Alipay query answer
    check_trade(PAYMENT, query, ACCOUNT)
    with pytest.raises(TradeMismatch, match="merchant id 2088 != 1900000109"):
        check_trade(PAYMENT, _trade(mchid="2088", appid="", carries=frozenset({"amount"})), ACCOUNT)


def test_closed_and_failed_words_are_compared_on_what_they_carry():
    check_trade(PAYMENT, _trade(TradeState.CLOSED, amount=None, currency="", mchid="", appid=""), ACCOUNT)
    for state in (TradeState.CLOSED, TradeState.FAILED):
        with pytest.raises(TradeMismatch, match="merchant id 1900000001"):
            check_trade(PAYMENT, _trade(state, mchid="1900000001"), ACCOUNT)


def _row(**overrides) -> StatementRow:
    values = {
        "out_trade_no": "pay_1-01",
        "kind": "payment",
        "amount": 2500,
        "fee": 15,
        "channel_trade_no": "4200",
        "status": "SUCCESS",
        "occurred_at": "2026-11-27T02:55:23Z",
        "mchid": "1900000109",
        "appid": "wx8888888888888888",
        "currency": "CNY",
    }
    return StatementRow(**(values | overrides))


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, None),
        ({"amount": 2499}, ("amount_mismatch", "amount 2499 != 2500")),
        ({"currency": "USD"}, ("amount_mismatch", "currency USD != CNY")),
        ({"currency": ""}, ("amount_mismatch", "currency absent")),
        ({"mchid": "1900000001"}, ("merchant_mismatch", "merchant id 1900000001 != 1900000109")),
        ({"appid": ""}, ("merchant_mismatch", "app id absent")),
        ({"appid": "", "carries": frozenset({"amount", "mchid"})}, None),  # a bill without app ids
        ({"appid": "wxother", "carries": frozenset({"amount", "mchid"})}, ("merchant_mismatch", "wxother")),
    ],
)
def test_a_payment_row_is_checked_like_a_callback(overrides, expected):
    found = payment_row_mismatch(_row(**overrides), PAYMENT, ACCOUNT)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found[0] == expected[0] and expected[1] in found[1]


def test_a_refund_row_of_another_merchant_is_named():
    assert refund_row_mismatch(_row(kind="refund"), ACCOUNT) == ""
    assert "merchant id 1900000001" in refund_row_mismatch(_row(kind="refund", mchid="1900000001"), ACCOUNT)


_FIELD = st.sampled_from(["", "1900000109", "wx8888888888888888", "CNY", "USD", "sub1", "x"])


@given(
    amount=st.sampled_from([0, 2499, 2500]),
    currency=_FIELD,
    mchid=_FIELD,
    appid=_FIELD,
    sub_mchid=_FIELD,
    carries=st.sets(st.sampled_from(sorted(CHECKED_FIELDS))).map(frozenset),
    binding_sub=st.sampled_from([None, "", "sub1"]),
)
def test_the_quick_agreement_check_answers_as_the_field_by_field_check(
    amount: int,
    currency: str,
    mchid: str,
    appid: str,
    sub_mchid: str,
    carries: frozenset[str],
    binding_sub: str | None,
) -> None:
    row = _row(
        amount=amount, currency=currency, mchid=mchid, appid=appid, sub_mchid=sub_mchid, carries=carries
    )
    binding = None if binding_sub is None else Binding("b1", "mch_1", "wx-1", binding_sub)
    assert payment_row_mismatch(row, PAYMENT, ACCOUNT, binding) == field_mismatch(
        row, PAYMENT, ACCOUNT, binding
    )
