"""Synchronous refunds: partial, full, replay, inconsistent replay, over-refund, refund
query, and the trade_status_sync notifications that follow them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alipay_sandbox_helpers import APP_ID, AlipayEnv, alipay_env, verify_notify

REFUND_QUERY = "alipay.trade.fastpay.refund.query"


@pytest.fixture
def env() -> Iterator[AlipayEnv]:
    with alipay_env() as made:
        yield made


def test_partial_then_full_refund(env: AlipayEnv) -> None:
    # Given a paid 100.00 trade whose payment notification was acknowledged
    receiver = env.receiver()
    env.paid_trade("RF_FLOW_00001", "100.00", notify_url=receiver.url)
    receiver.wait_for(1)
    trade_no = env.sb.trades["RF_FLOW_00001"]["trade_no"]
    # When 30.00 is refunded
    first = env.refund("RF_FLOW_00001", "30.00", "RF_FLOW_REQ_1", refund_reason="少发一件")
    # Then the answer says the money moved, with the cumulative refund_fee
    assert first.verifies(env.key)
    assert first.response == {
        "code": "10000",
        "msg": "Success",
        "trade_no": trade_no,
        "out_trade_no": "RF_FLOW_00001",
        "buyer_logon_id": first["buyer_logon_id"],
        "buyer_user_id": first["buyer_user_id"],
        "fund_change": "Y",
        "refund_fee": "30.00",
        "send_back_fee": "30.00",
        "gmt_refund_pay": first["gmt_refund_pay"],
    }
    assert env.query("RF_FLOW_00001")["trade_status"] == "TRADE_SUCCESS"
    # And a notification carries the refund, the trade still TRADE_SUCCESS
    refund_notice = receiver.wait_for(2)[1].form
    assert verify_notify(refund_notice, env.key)
    assert refund_notice["trade_status"] == "TRADE_SUCCESS"
    assert (refund_notice["out_biz_no"], refund_notice["refund_fee"]) == ("RF_FLOW_REQ_1", "30.00")
    assert refund_notice["gmt_refund"].startswith(first["gmt_refund_pay"])
    assert len(refund_notice["gmt_refund"]) == 23  # yyyy-MM-dd HH:mm:ss.SSS
    assert refund_notice["notify_id"] != receiver.received[0].form["notify_id"]
    assert "gmt_close" not in refund_notice
    # When the remaining 70.00 is refunded
    second = env.refund("RF_FLOW_00001", "70.00", "RF_FLOW_REQ_2")
    assert (second["fund_change"], second["refund_fee"], second["send_back_fee"]) == ("Y", "100.00", "70.00")
    # Then the trade is closed and the notification says so
    assert env.query("RF_FLOW_00001")["trade_status"] == "TRADE_CLOSED"
    closing = receiver.wait_for(3)[2].form
    assert (closing["trade_status"], closing["refund_fee"], closing["out_biz_no"]) == (
        "TRADE_CLOSED",
        "100.00",
        "RF_FLOW_REQ_2",
    )
    assert "gmt_close" in closing
    assert verify_notify(closing, env.key)
    # And both refunds are on record
    assert env.sb.refunds[("RF_FLOW_00001", "RF_FLOW_REQ_1")]["refund_amount"] == "30.00"
    assert env.sb.refunds[("RF_FLOW_00001", "RF_FLOW_REQ_2")]["trade_closed"] is True
    assert env.sb.trades["RF_FLOW_00001"]["refunded_amount"] == "100.00"


def test_a_replay_returns_the_same_answer_without_moving_money(env: AlipayEnv) -> None:
    receiver = env.receiver()
    env.paid_trade("RF_REPLAY_001", "50.00", notify_url=receiver.url)
    first = env.refund("RF_REPLAY_001", "20.00", "RF_REPLAY_REQ")
    again = env.refund("RF_REPLAY_001", "20.00", "RF_REPLAY_REQ")
    assert again["fund_change"] == "N"
    assert {k: v for k, v in again.response.items() if k != "fund_change"} == {
        k: v for k, v in first.response.items() if k != "fund_change"
    }
    assert again.verifies(env.key)
    assert env.sb.trades["RF_REPLAY_001"]["refunded_amount"] == "20.00"
    assert env.sb.wait_for_notifications(5)
    assert [n.form["trade_status"] for n in receiver.received] == ["TRADE_SUCCESS", "TRADE_SUCCESS"]
    assert sum("out_biz_no" in n.form for n in receiver.received) == 1


def test_the_same_request_number_with_another_amount_is_inconsistent(env: AlipayEnv) -> None:
    env.paid_trade("RF_DISCORD_01", "50.00")
    env.refund("RF_DISCORD_01", "20.00", "RF_DISCORD_REQ")
    other = env.refund("RF_DISCORD_01", "25.00", "RF_DISCORD_REQ")
    assert (other["code"], other["msg"], other["sub_code"]) == (
        "40004",
        "Business Failed",
        "ACQ.DISCORDANT_REPEAT_REQUEST",
    )
    assert other.verifies(env.key)


def test_refunding_more_than_is_left_is_refused(env: AlipayEnv) -> None:
    env.paid_trade("RF_OVER_00001", "10.00")
    assert (
        env.refund("RF_OVER_00001", "10.01", "RF_OVER_REQ_1")["sub_code"] == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    )
    assert env.refund("RF_OVER_00001", "6.00", "RF_OVER_REQ_2")["code"] == "10000"
    assert (
        env.refund("RF_OVER_00001", "4.01", "RF_OVER_REQ_3")["sub_code"] == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    )
    assert env.refund("RF_OVER_00001", "4.00", "RF_OVER_REQ_4")["refund_fee"] == "10.00"
    # fully refunded (TRADE_CLOSED): nothing is left
    assert (
        env.refund("RF_OVER_00001", "0.01", "RF_OVER_REQ_5")["sub_code"] == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    )


def test_unpaid_and_unknown_trades_cannot_be_refunded(env: AlipayEnv) -> None:
    env.precreate("RF_UNPAID_001", "10.00")
    assert env.refund("RF_UNPAID_001", "1.00", "R1")["sub_code"] == "ACQ.TRADE_NOT_EXIST"  # not scanned yet
    env.sb.scan(APP_ID, "RF_UNPAID_001")
    assert env.refund("RF_UNPAID_001", "1.00", "R1")["sub_code"] == "ACQ.TRADE_STATUS_ERROR"
    assert env.refund("RF_NEVER_MADE", "1.00", "R1")["sub_code"] == "ACQ.TRADE_NOT_EXIST"
    assert env.refund("RF_UNPAID_001", "1.5", "R1")["sub_code"] == "isv.invalid-parameter"


def test_without_out_request_no_the_request_number_is_the_out_trade_no(env: AlipayEnv) -> None:
    env.paid_trade("RF_NOREQ_0001", "8.00")
    assert env.refund("RF_NOREQ_0001", "8.00")["fund_change"] == "Y"
    assert env.refund("RF_NOREQ_0001", "8.00")["fund_change"] == "N"
    assert env.refund("RF_NOREQ_0001", "3.00")["sub_code"] == "ACQ.DISCORDANT_REPEAT_REQUEST"
    found = env.client.call(
        REFUND_QUERY, {"out_trade_no": "RF_NOREQ_0001", "out_request_no": "RF_NOREQ_0001"}
    )
    assert found["refund_amount"] == "8.00"


def test_refund_query(env: AlipayEnv) -> None:
    env.paid_trade("RF_QUERY_0001", "60.00")
    refund = env.refund("RF_QUERY_0001", "12.50", "RF_QUERY_REQ", refund_reason="破损")
    trade_no = env.sb.trades["RF_QUERY_0001"]["trade_no"]
    found = env.client.call(REFUND_QUERY, {"trade_no": trade_no, "out_request_no": "RF_QUERY_REQ"})
    assert found.verifies(env.key)
    assert found.response == {
        "code": "10000",
        "msg": "Success",
        "trade_no": trade_no,
        "out_trade_no": "RF_QUERY_0001",
        "out_request_no": "RF_QUERY_REQ",
        "total_amount": "60.00",
        "refund_amount": "12.50",
        "refund_status": "REFUND_SUCCESS",
        "gmt_refund_pay": refund["gmt_refund_pay"],
        "refund_reason": "破损",
    }
    # no such refund: a Success without any refund field
    missing = env.client.call(REFUND_QUERY, {"out_trade_no": "RF_QUERY_0001", "out_request_no": "RF_NOPE"})
    assert missing["code"] == "10000"
    assert not {"out_request_no", "refund_amount", "refund_status"} & missing.response.keys()
    # no such trade
    unknown = env.client.call(REFUND_QUERY, {"out_trade_no": "RF_NEVER_MADE", "out_request_no": "R"})
    assert unknown["sub_code"] == "ACQ.TRADE_NOT_EXIST"
    # out_request_no is required
    assert (
        env.client.call(REFUND_QUERY, {"out_trade_no": "RF_QUERY_0001"})["sub_code"]
        == "isv.invalid-parameter"
    )
