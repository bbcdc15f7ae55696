"""Face-to-face QR trades: precreate, scan, pay, query, close, expiry, repeats, views."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alipay_sandbox_helpers import (
    APP_ID,
    PID,
    AlipayEnv,
    FakeClock,
    alipay_env,
    gmt8,
    verify_notify,
)

from sandbox.alipay import SandboxStateError
from tests.support import wait_until


@pytest.fixture
def env() -> Iterator[AlipayEnv]:
    with alipay_env() as made:
        yield made


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def timed(clock: FakeClock) -> Iterator[AlipayEnv]:
    with alipay_env(clock=clock) as made:
        yield made


def test_precreate_scan_pay_and_the_notification(env: AlipayEnv) -> None:
    # Given a precreated QR order with a live notify endpoint
    receiver = env.receiver()
    created = env.precreate("F2F_FLOW_0001", "88.88", notify_url=receiver.url, body="2 kg")
    assert created.response.keys() == {"code", "msg", "out_trade_no", "qr_code"}
    assert created["out_trade_no"] == "F2F_FLOW_0001"
    assert created["qr_code"].startswith(f"{env.sb.base_url}/sandbox/scan?code=bax")
    assert created.verifies(env.key)
    # Then, before anyone scans it, the trade does not exist
    assert env.query("F2F_FLOW_0001")["sub_code"] == "ACQ.TRADE_NOT_EXIST"
    view = env.sb.trades["F2F_FLOW_0001"]
    assert (view["exists"], view["trade_status"], view["total_amount"]) == (False, None, "88.88")
    assert view["qr_code"] == created["qr_code"]
    # When a payer scans it, it waits for payment, with the scanning buyer known
    env.sb.scan(APP_ID, "F2F_FLOW_0001", buyer_id="2088102177846880")
    waiting = env.query("F2F_FLOW_0001")
    assert waiting.response == {
        "code": "10000",
        "msg": "Success",
        "trade_no": waiting["trade_no"],
        "out_trade_no": "F2F_FLOW_0001",
        "trade_status": "WAIT_BUYER_PAY",
        "total_amount": "88.88",
        "buyer_logon_id": waiting["buyer_logon_id"],
        "buyer_user_id": "2088102177846880",
        "receipt_amount": "0.00",
        "buyer_pay_amount": "0.00",
        "point_amount": "0.00",
        "invoice_amount": "0.00",
    }
    assert len(waiting["trade_no"]) == 28 and waiting["trade_no"].isdigit()
    assert "****" in waiting["buyer_logon_id"]
    assert not receiver.received  # no notification for WAIT_BUYER_PAY
    # When the payer pays
    env.sb.pay(APP_ID, "F2F_FLOW_0001")
    paid = env.query("F2F_FLOW_0001")
    assert paid["trade_status"] == "TRADE_SUCCESS"
    assert paid["trade_no"] == waiting["trade_no"]
    assert (paid["receipt_amount"], paid["buyer_pay_amount"], paid["invoice_amount"]) == ("88.88",) * 3
    assert paid["fund_bill_list"] == [{"amount": "88.88", "fund_channel": "ALIPAYACCOUNT"}]
    assert len(paid["send_pay_date"]) == 19
    assert paid.verifies(env.key)
    # Then one trade_status_sync notification arrives, verifiable with the Alipay key
    (notice,) = receiver.wait_for(1)
    form = notice.form
    assert notice.content_type == "application/x-www-form-urlencoded; charset=utf-8"
    assert verify_notify(form, env.key)
    assert not verify_notify(form, env.app.app.app_public_key_pem)
    assert form["notify_type"] == "trade_status_sync"
    assert form["trade_status"] == "TRADE_SUCCESS"
    assert (form["app_id"], form["seller_id"], form["out_trade_no"]) == (APP_ID, PID, "F2F_FLOW_0001")
    assert form["trade_no"] == paid["trade_no"]
    assert form["buyer_id"] == "2088102177846880"
    assert form["total_amount"] == form["receipt_amount"] == form["buyer_pay_amount"] == "88.88"
    assert form["fund_bill_list"] == '[{"amount":"88.88","fundChannel":"ALIPAYACCOUNT"}]'
    assert (form["subject"], form["body"]) == ("Iphone6 16G", "2 kg")
    assert (form["charset"], form["version"], form["sign_type"]) == ("utf-8", "1.0", "RSA2")
    assert form["gmt_payment"] == paid["send_pay_date"]
    assert len(form["notify_id"]) == 34
    assert "gmt_close" not in form and "refund_fee" not in form
    assert all(value != "" for value in form.values())
    assert env.sb.wait_for_notifications(5)
    (attempt,) = env.sb.notify_log
    assert (attempt.attempt, attempt.status, attempt.body, attempt.delivered) == (1, 200, "success", True)
    assert attempt.notify_id == form["notify_id"] and attempt.form == form


def test_paying_scans_first_when_nobody_scanned(env: AlipayEnv) -> None:
    env.precreate("F2F_DIRECT_01", "1.00")
    view = env.sb.pay(APP_ID, "F2F_DIRECT_01")
    assert view["trade_status"] == "TRADE_SUCCESS"
    assert env.query("F2F_DIRECT_01")["trade_status"] == "TRADE_SUCCESS"


def test_abandoning_changes_nothing(env: AlipayEnv) -> None:
    env.precreate("F2F_ABANDON_1", "1.00")
    env.sb.scan(APP_ID, "F2F_ABANDON_1")
    env.sb.abandon(APP_ID, "F2F_ABANDON_1")
    assert env.query("F2F_ABANDON_1")["trade_status"] == "WAIT_BUYER_PAY"
    with pytest.raises(SandboxStateError):
        env.sb.abandon(APP_ID, "F2F_NEVER_MADE")


def test_a_repeated_precreate_answers_by_the_state_of_the_out_trade_no(env: AlipayEnv) -> None:
    first = env.precreate("F2F_REPEAT_01", "10.00")
    # the same parameters: the same QR code
    assert env.precreate("F2F_REPEAT_01", "10.00")["qr_code"] == first["qr_code"]
    # other parameters: the context changed
    changed = env.precreate("F2F_REPEAT_01", "11.00")
    assert (changed["code"], changed["sub_code"]) == ("40004", "ACQ.CONTEXT_INCONSISTENT")
    assert changed.verifies(env.key)
    # paid: already paid
    env.sb.pay(APP_ID, "F2F_REPEAT_01")
    assert env.precreate("F2F_REPEAT_01", "10.00")["sub_code"] == "ACQ.TRADE_HAS_SUCCESS"
    # closed: already closed
    env.precreate("F2F_REPEAT_02", "10.00")
    env.sb.scan(APP_ID, "F2F_REPEAT_02")
    assert env.client.call("alipay.trade.close", {"out_trade_no": "F2F_REPEAT_02"})["code"] == "10000"
    assert env.precreate("F2F_REPEAT_02", "10.00")["sub_code"] == "ACQ.TRADE_HAS_CLOSE"
    # the same number through another product is another context
    env.precreate("F2F_REPEAT_03", "10.00")
    biz = {"out_trade_no": "F2F_REPEAT_03", "total_amount": "10.00", "subject": "Iphone6 16G"}
    order_string = env.client.order_string("alipay.trade.app.pay", biz)
    refused = env.sb.pay_app_order(order_string)
    assert refused["resultStatus"] == "4000" and "ACQ.CONTEXT_INCONSISTENT" in refused["result"]


def test_close_only_closes_an_existing_unpaid_trade(env: AlipayEnv) -> None:
    close = "alipay.trade.close"
    env.precreate("F2F_CLOSE_001", "5.00")
    # not scanned: it does not exist, so it cannot be closed (and stays payable)
    assert env.client.call(close, {"out_trade_no": "F2F_CLOSE_001"})["sub_code"] == "ACQ.TRADE_NOT_EXIST"
    env.sb.scan(APP_ID, "F2F_CLOSE_001")
    closed = env.client.call(close, {"out_trade_no": "F2F_CLOSE_001"})
    trade_no = env.sb.trades["F2F_CLOSE_001"]["trade_no"]
    assert closed.response == {
        "code": "10000",
        "msg": "Success",
        "trade_no": trade_no,
        "out_trade_no": "F2F_CLOSE_001",
    }
    assert closed.verifies(env.key)
    assert env.query("F2F_CLOSE_001")["trade_status"] == "TRADE_CLOSED"
    # only WAIT_BUYER_PAY can be closed: a second close and a paid trade are state errors
    assert env.client.call(close, {"out_trade_no": "F2F_CLOSE_001"})["sub_code"] == "ACQ.TRADE_STATUS_ERROR"
    with pytest.raises(SandboxStateError):
        env.sb.pay(APP_ID, "F2F_CLOSE_001")
    env.paid_trade("F2F_CLOSE_002", "5.00")
    assert env.client.call(close, {"trade_no": env.sb.trades["F2F_CLOSE_002"]["trade_no"]})["sub_code"] == (
        "ACQ.TRADE_STATUS_ERROR"
    )
    assert env.client.call(close, {"out_trade_no": "F2F_NEVER_MADE"})["sub_code"] == "ACQ.TRADE_NOT_EXIST"


def test_query_by_trade_no_takes_precedence(env: AlipayEnv) -> None:
    env.paid_trade("F2F_BYNO_0001", "3.00")
    env.paid_trade("F2F_BYNO_0002", "4.00")
    trade_no = env.sb.trades["F2F_BYNO_0002"]["trade_no"]
    both = env.client.call("alipay.trade.query", {"out_trade_no": "F2F_BYNO_0001", "trade_no": trade_no})
    assert both["out_trade_no"] == "F2F_BYNO_0002"
    neither = env.client.call("alipay.trade.query", {})
    assert (neither["code"], neither["sub_code"]) == ("40004", "ACQ.INVALID_PARAMETER")


def test_timeout_express_closes_an_unpaid_trade(timed: AlipayEnv, clock: FakeClock) -> None:
    timed.precreate("F2F_TIMEOUT_1", "2.00", timeout_express="30m")
    timed.sb.scan(APP_ID, "F2F_TIMEOUT_1")
    clock.advance(29 * 60)
    assert timed.query("F2F_TIMEOUT_1")["trade_status"] == "WAIT_BUYER_PAY"
    clock.advance(2 * 60)
    closed = timed.query("F2F_TIMEOUT_1")
    assert closed["trade_status"] == "TRADE_CLOSED"
    assert timed.sb.trades["F2F_TIMEOUT_1"]["close_reason"] == "timeout"
    with pytest.raises(SandboxStateError):
        timed.sb.pay(APP_ID, "F2F_TIMEOUT_1")


def test_an_expired_qr_code_cannot_be_scanned(timed: AlipayEnv, clock: FakeClock) -> None:
    timed.precreate("F2F_QR_EXP_01", "2.00", time_expire=gmt8(clock.now + 600))
    clock.advance(601)
    with pytest.raises(SandboxStateError, match="expired"):
        timed.sb.scan(APP_ID, "F2F_QR_EXP_01")
    assert timed.query("F2F_QR_EXP_01")["sub_code"] == "ACQ.TRADE_NOT_EXIST"


def test_time_expire_wins_over_timeout_express_and_must_be_ahead(timed: AlipayEnv, clock: FakeClock) -> None:
    timed.precreate("F2F_EXPIRE_01", "2.00", timeout_express="1d", time_expire=gmt8(clock.now + 120))
    timed.sb.scan(APP_ID, "F2F_EXPIRE_01")
    clock.advance(121)
    assert timed.query("F2F_EXPIRE_01")["trade_status"] == "TRADE_CLOSED"
    past = timed.precreate("F2F_EXPIRE_02", "2.00", time_expire=gmt8(clock.now - 60))
    assert (past["code"], past["sub_code"]) == ("40004", "ACQ.NOW_TIME_AFTER_EXPIRE_TIME_ERROR")


def test_face_to_face_trades_close_after_three_hours_by_default(timed: AlipayEnv, clock: FakeClock) -> None:
    timed.precreate("F2F_DEFAULT_1", "2.00")
    timed.sb.scan(APP_ID, "F2F_DEFAULT_1")
    clock.advance(3 * 3600 - 5)
    assert timed.query("F2F_DEFAULT_1")["trade_status"] == "WAIT_BUYER_PAY"
    clock.advance(10)
    assert timed.query("F2F_DEFAULT_1")["trade_status"] == "TRADE_CLOSED"


def test_closing_is_notified_only_with_notify_on_close(clock: FakeClock) -> None:
    with alipay_env(clock=clock, notify_on_close=True) as env:
        receiver = env.receiver()
        env.precreate("F2F_CLOSENOTE", "6.00", notify_url=receiver.url, timeout_express="5m")
        env.sb.scan(APP_ID, "F2F_CLOSENOTE")
        clock.advance(301)  # nobody asks: the sweeper notices the timeout
        (notice,) = receiver.wait_for(1)
        assert notice.form["trade_status"] == "TRADE_CLOSED"
        assert notice.form["gmt_close"] == gmt8(clock.now - 1)
        assert "gmt_payment" not in notice.form and "receipt_amount" not in notice.form
        assert verify_notify(notice.form, env.key)
    with alipay_env(clock=clock) as env:
        receiver = env.receiver()
        env.precreate("F2F_CLOSEQUIET", "6.00", notify_url=receiver.url)
        env.sb.scan(APP_ID, "F2F_CLOSEQUIET")
        assert env.client.call("alipay.trade.close", {"out_trade_no": "F2F_CLOSEQUIET"})["code"] == "10000"
        assert env.sb.wait_for_notifications(1)
        assert not receiver.received


def test_require_https_notify_refuses_plain_http_at_order_time() -> None:
    with alipay_env(require_https_notify=True) as env:
        refused = env.precreate("F2F_HTTPS_001", "1.00", notify_url="http://merchant.example/notify")
        assert (refused["code"], refused["sub_code"]) == ("40002", "isv.invalid-parameter")
        accepted = env.precreate("F2F_HTTPS_002", "1.00", notify_url="https://merchant.example/notify")
        assert accepted["code"] == "10000"
    with alipay_env() as env:
        assert (
            env.precreate("F2F_HTTPS_003", "1.00", notify_url="ftp://merchant.example/n")["code"] == "40002"
        )


def test_finished_trades_are_paid_but_no_longer_refundable(env: AlipayEnv) -> None:
    env.paid_trade("F2F_FINISH_01", "9.00")
    assert env.sb.finish_trades(APP_ID) == ["F2F_FINISH_01"]
    assert env.query("F2F_FINISH_01")["trade_status"] == "TRADE_FINISHED"
    assert env.refund("F2F_FINISH_01", "1.00", "RF_FINISH_01")["sub_code"] == "ACQ.TRADE_HAS_FINISHED"


def test_the_views_are_read_only_snapshots(env: AlipayEnv) -> None:
    env.paid_trade("F2F_VIEW_0001", "7.00")
    trades = env.sb.trades
    with pytest.raises(TypeError):
        trades["F2F_VIEW_0001"] = {}  # type: ignore[index]
    view = trades["F2F_VIEW_0001"]
    view["trade_status"] = "TAMPERED"
    assert env.sb.trades["F2F_VIEW_0001"]["trade_status"] == "TRADE_SUCCESS"
    assert view["app_id"] == APP_ID and view["product_code"] == "FACE_TO_FACE_PAYMENT"
    assert view["sandbox_pay_path"].startswith("/sandbox/scan?code=bax")
    assert wait_until(lambda: env.sb.wait_for_notifications(0.1))


def test_misreport_changes_signed_query_answers_and_notifies_but_not_the_truth(env: AlipayEnv) -> None:
    # Given a paid trade that the sandbox is told to misreport
    receiver = env.receiver()
    env.precreate("F2F_LIES_0001", "5.00", notify_url=receiver.url)
    env.sb.misreport(APP_ID, "F2F_LIES_0001", lambda fields: fields | {"total_amount": "0.01"})
    env.sb.pay(APP_ID, "F2F_LIES_0001")
    # Then the query answer and the notify say 0.01, signed as genuine
    answer = env.query("F2F_LIES_0001")
    assert answer["total_amount"] == "0.01" and answer.verifies(env.key)
    (notice,) = receiver.wait_for(1)
    assert notice.form["total_amount"] == "0.01" and verify_notify(notice.form, env.key)
    # While the sandbox's own view keeps the truth, and None stops the misreport
    assert env.sb.trades["F2F_LIES_0001"]["total_amount"] == "5.00"
    env.sb.misreport(APP_ID, "F2F_LIES_0001", None)
    assert env.query("F2F_LIES_0001")["total_amount"] == "5.00"
