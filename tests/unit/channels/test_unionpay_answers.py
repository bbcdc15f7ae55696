"""What UnionPay's answers mean (paymux.channels.unionpay.answers), code class by code class:
success, unknown (never failed), failed, and a malformed query."""

from __future__ import annotations

from datetime import datetime

import pytest

from paymux.channels.base import RefundErrorClass, RefundState, TradeState, classify_refund_error
from paymux.channels.unionpay import answers
from paymux.clock import CHINA
from paymux.errors import ChannelError, ChannelUnavailable

ORDER = "01M8S5XW5YYA3ZVMSQVWH1J03601"
PAID_FIELDS = {
    "merId": "777290058167151",
    "orderId": ORDER,
    "txnTime": "20261201233005",
    "txnAmt": "1999",
    "currencyCode": "156",
    "queryId": "782212012330050000001",
    "settleDate": "1202",
}


def _query(resp: str, orig: str = "", **extra: str) -> dict[str, str]:
    return {**PAID_FIELDS, "respCode": resp, "origRespCode": orig, **extra}


@pytest.mark.parametrize("orig", ["00", "A6"])
def test_a_query_of_a_successful_consume_is_paid(orig: str) -> None:
    trade = answers.query_trade(_query("00", orig), ORDER)

    assert trade.state == TradeState.PAID
    assert (trade.amount, trade.currency, trade.mchid, trade.channel_trade_no) == (
        1999,
        "CNY",
        "777290058167151",
        "782212012330050000001",
    )
    assert trade.paid_at == datetime(2026, 12, 1, 23, 30, 5, tzinfo=CHINA).timestamp()
    assert trade.settle_date == "2026-12-02"  # after the 23:00 cut-off: the next clearing day
    assert trade.carries == frozenset({"amount", "mchid"})


@pytest.mark.parametrize("orig", ["03", "04", "05", ""])
def test_a_query_of_an_unknown_consume_is_open(orig: str) -> None:
    trade = answers.query_trade(_query("00", orig), ORDER)

    assert trade.state == TradeState.OPEN and trade.settle_date == "" and trade.paid_at is None


@pytest.mark.parametrize("orig", ["01", "12", "30", "31", "99"])
def test_a_query_of_a_failed_consume_is_failed(orig: str) -> None:
    trade = answers.query_trade(_query("00", orig), ORDER)

    assert trade.state == TradeState.FAILED and trade.raw_state == f"orig:{orig}"


def test_no_such_order_is_not_found_never_failed() -> None:
    trade = answers.query_trade({"respCode": "34", "respMsg": "查无此交易"}, ORDER)

    assert trade.state == TradeState.NOT_FOUND and trade.out_trade_no == ORDER


@pytest.mark.parametrize("code", ["10", "11", "06", "31", ""])
def test_a_query_that_itself_failed_is_unavailable(code: str) -> None:
    with pytest.raises(ChannelUnavailable):
        answers.query_trade(_query(code, "00"), ORDER)


@pytest.mark.parametrize("code", ["00", "A6"])
def test_a_payer_code_paid_at_once(code: str) -> None:
    trade = answers.sync_trade({**PAID_FIELDS, "respCode": code}, ORDER)

    assert trade is not None and trade.state == TradeState.PAID and trade.amount == 1999


@pytest.mark.parametrize("code", sorted(answers.SYNC_UNKNOWN))
def test_a_payer_code_unknown_at_once_is_left_to_the_ladder(code: str) -> None:
    assert answers.sync_trade({**PAID_FIELDS, "respCode": code}, ORDER) is None


@pytest.mark.parametrize("code", ["30", "51", "99", ""])
def test_a_payer_code_refused_is_failed(code: str) -> None:
    trade = answers.sync_trade({"respCode": code, "orderId": ORDER}, ORDER)

    assert trade is not None and trade.state == TradeState.FAILED and trade.raw_state == code


def test_a_transaction_request_accepted_unknown_or_refused() -> None:
    answers.outcome_of({"respCode": "00"}, "refund")
    for code in sorted(answers.SYNC_UNKNOWN):
        with pytest.raises(ChannelUnavailable):
            answers.outcome_of({"respCode": code}, "refund")
    with pytest.raises(ChannelError) as refused:
        answers.outcome_of({"respCode": "36"}, "refund")
    assert not isinstance(refused.value, ChannelUnavailable) and refused.value.channel_code == "36"


@pytest.mark.parametrize(
    ("resp", "orig", "state"),
    [
        ("00", "00", RefundState.SUCCESS),
        ("00", "A6", RefundState.SUCCESS),
        ("00", "05", RefundState.PROCESSING),
        ("00", "03", RefundState.PROCESSING),
        ("00", "30", RefundState.FAILED),
        ("34", "", RefundState.NOT_FOUND),
    ],
)
def test_a_refund_query(resp: str, orig: str, state: RefundState) -> None:
    result = answers.refund_result(_query(resp, orig), "REFUND00000000000000000001", queried=True)

    assert result.state == state


def test_a_refund_notify_is_its_result() -> None:
    result = answers.refund_result({**PAID_FIELDS, "respCode": "00", "txnType": "04"}, ORDER, queried=False)

    assert (result.state, result.amount, result.channel_refund_no) == (
        RefundState.SUCCESS,
        1999,
        "782212012330050000001",
    )
    assert result.settle_date == "2026-12-02"


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        *[
            (code, RefundErrorClass.TRANSIENT)
            for code in ("03", "04", "05", "01", "12", "34", "60", "02", "06", "37")
        ],
        *[(code, RefundErrorClass.DEFINITIVE) for code in ("30", "31", "32", "33", "36")],
        # ours to fix, or perhaps this refund's own first send: a person decides
        *[(code, RefundErrorClass.NEEDS_PERSON) for code in ("10", "11", "35", "45")],
        # not in the table: never guessed, neither failed nor retried blind
        *[(code, RefundErrorClass.NEEDS_PERSON) for code in ("99", "38", "61", "A6", "")],
    ],
)
def test_refund_codes_follow_the_official_table(code: str, kind: RefundErrorClass) -> None:
    assert classify_refund_error(answers.REFUND_ERRORS, code, outcome_unknown=False) == kind


def test_a_refund_refusal_of_a_definitive_code_is_a_channel_error_with_its_code() -> None:
    with pytest.raises(ChannelError) as raised:
        answers.outcome_of({"respCode": "33", "respMsg": "交易金额超限"}, "refund")
    assert not isinstance(raised.value, ChannelUnavailable) and raised.value.channel_code == "33"


def test_an_acquirer_trade_names_the_sub_merchant() -> None:
    fields = {**_query("00", "00"), "acqInsCode": "48021000", "merId": "898110000000001"}

    trade = answers.provider_trade(answers.query_trade(fields, ORDER), fields)

    assert (trade.mchid, trade.sub_mchid) == ("48021000", "898110000000001")
    assert "mchid" not in trade.carries


def test_a_paid_answer_without_settle_date_clears_on_its_txn_time_day() -> None:
    """Without settleDate the payment still gets its clearing day (23:00 cut-off), so it is
    reconciled on the statement that lists it, not on its paid day (found by review)."""
    fields = {k: v for k, v in _query("00", "00").items() if k != "settleDate"}
    assert answers.query_trade(fields, ORDER).settle_date == "2026-12-02"


def test_an_app_consume_answer_is_its_tn_only_when_accepted_with_one() -> None:
    assert answers.app_tn({"respCode": "00", "tn": "201512151321481233778"}) == "201512151321481233778"
    with pytest.raises(ChannelUnavailable, match="without a tn"):
        answers.app_tn({"respCode": "00"})
    with pytest.raises(ChannelUnavailable):
        answers.app_tn({"respCode": "03", "tn": "201512151321481233778"})  # unknown: no tn believed
    with pytest.raises(ChannelError) as refused:
        answers.app_tn({"respCode": "43", "respMsg": "无此业务权限", "tn": "201512151321481233778"})
    assert refused.value.channel_code == "43" and not isinstance(refused.value, ChannelUnavailable)
