"""Asynchronous notifications: signature, resend schedule, ``success`` rule, notify_id."""

from __future__ import annotations

import socket
import time

import pytest
from alipay_sandbox_helpers import APP_ID, alipay_env, sdk_client, verify_notify

from sandbox.alipay import ALIPAY_NOTIFY_DELAYS


def test_the_documented_schedule_makes_eight_notifications() -> None:
    assert ALIPAY_NOTIFY_DELAYS == (240, 600, 600, 3600, 7200, 21600, 54000)


def test_failed_notifications_are_resent_with_the_same_notify_id_until_success() -> None:
    with alipay_env(notify_time_scale=0.0001) as env:
        # Given a merchant that fails four times in different ways
        receiver = env.receiver([(500, ""), (200, "fail"), (200, "SUCCESS"), (302, "success")])
        env.paid_trade("NT_RETRY_0001", "15.00", notify_url=receiver.url)
        # Then Alipay sends again until it reads "success", then stops
        assert env.sb.wait_for_notifications(5)
        received = receiver.received
        assert [r.answered for r in received] == [
            (500, ""),
            (200, "fail"),
            (200, "SUCCESS"),
            (302, "success"),  # a redirect is not followed, whatever it says
            (200, "success"),
        ]
        forms = [r.form for r in received]
        assert len({form["notify_id"] for form in forms}) == 1
        assert all(verify_notify(form, env.key) for form in forms)
        stable = [{k: v for k, v in form.items() if k not in ("notify_time", "sign")} for form in forms]
        assert all(fields == stable[0] for fields in stable)
        log = env.sb.notify_log
        assert [(a.attempt, a.status, a.delivered) for a in log] == [
            (1, 500, False),
            (2, 200, False),
            (3, 200, False),
            (4, 302, False),
            (5, 200, True),
        ]
        assert log[4].body == "success" and log[1].body == "fail"
        assert all(a.notify_id == forms[0]["notify_id"] for a in log)


def test_success_may_be_surrounded_by_whitespace() -> None:
    with alipay_env() as env:
        receiver = env.receiver([(200, "  success\r\n")])
        env.paid_trade("NT_SPACES_001", "1.00", notify_url=receiver.url)
        assert env.sb.wait_for_notifications(5)
        assert len(receiver.received) == 1
        assert env.sb.notify_log[0].delivered


def test_at_most_eight_notifications_are_sent() -> None:
    with alipay_env(notify_time_scale=0.000005) as env:
        receiver = env.receiver([(503, "busy")] * 20)
        env.paid_trade("NT_GIVEUP_001", "1.00", notify_url=receiver.url)
        assert env.sb.wait_for_notifications(5)
        time.sleep(0.05)  # nothing more comes
        assert len(receiver.received) == 8
        assert [a.attempt for a in env.sb.notify_log] == [1, 2, 3, 4, 5, 6, 7, 8]
        assert not any(a.delivered for a in env.sb.notify_log)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_merchant_is_retried_on_the_given_delays() -> None:
    with alipay_env(notify_retry_delays=(0.01, 0.01), notify_time_scale=1.0) as env:
        url = f"http://127.0.0.1:{_closed_port()}/notify"
        env.paid_trade("NT_UNREACH_01", "1.00", notify_url=url)
        assert env.sb.wait_for_notifications(5)
        log = env.sb.notify_log
        assert [a.attempt for a in log] == [1, 2, 3]
        assert all(a.status is None and a.error and not a.delivered for a in log)


def test_stop_cancels_pending_resends() -> None:
    with alipay_env(notify_time_scale=1.0) as env:
        receiver = env.receiver([(500, "")])
        env.paid_trade("NT_STOP_00001", "1.00", notify_url=receiver.url)
        receiver.wait_for(1)
        env.sb.stop()  # the resend due in 240 s is dropped
        assert env.sb.wait_for_notifications(1)
        assert len(env.sb.notify_log) == 1


def test_no_notify_url_means_no_notification() -> None:
    with alipay_env() as env:
        env.paid_trade("NT_NOURL_0001", "1.00")
        assert env.sb.wait_for_notifications(1)
        assert env.sb.notify_log == []


def test_python_alipay_sdk_verifies_the_notification(monkeypatch: pytest.MonkeyPatch) -> None:
    with alipay_env() as env:
        receiver = env.receiver()
        sdk = sdk_client(env, monkeypatch, notify_url=receiver.url)
        sdk.api_alipay_trade_precreate(
            subject="中文 & 商品",
            out_trade_no="NT_SDK_000001",
            total_amount="3.21",
            passback_params="a%3D1%26b%3D2",
        )
        env.sb.pay(APP_ID, "NT_SDK_000001")
        (notice,) = receiver.wait_for(1)
        form = dict(notice.form)
        assert form["passback_params"] == "a%3D1%26b%3D2"
        signature = form.pop("sign")
        assert all(value != "" for value in form.values())  # python-alipay-sdk would keep empty values
        assert sdk.verify(form, signature)


def test_a_gbk_order_is_notified_in_gbk() -> None:
    with alipay_env() as env:
        receiver = env.receiver()
        params = env.client.params(
            "alipay.trade.precreate",
            {"out_trade_no": "NT_GBK_000001", "total_amount": "2.00", "subject": "豆浆油条"},
            charset="gbk",
            notify_url=receiver.url,
        )
        assert env.client.send(env.client.sign(params, charset="gbk"), charset="gbk")["code"] == "10000"
        env.sb.pay(APP_ID, "NT_GBK_000001")
        (notice,) = receiver.wait_for(1)
        assert notice.content_type == "application/x-www-form-urlencoded; charset=gbk"
        assert notice.form["subject"] == "豆浆油条" and notice.form["charset"] == "gbk"
        assert b"%B6%B9" in notice.raw  # 豆 in GBK, percent-encoded
        assert verify_notify(notice.form, env.key, charset="gbk")


def test_finishing_is_notified_only_with_notify_on_finish() -> None:
    with alipay_env(notify_on_finish=True) as env:
        receiver = env.receiver()
        env.paid_trade("NT_FINISH_001", "4.00", notify_url=receiver.url)
        receiver.wait_for(1)
        env.sb.finish_trades()
        finished = receiver.wait_for(2)[1].form
        assert finished["trade_status"] == "TRADE_FINISHED" and "gmt_close" in finished
        assert verify_notify(finished, env.key)
    with alipay_env() as env:
        receiver = env.receiver()
        env.paid_trade("NT_FINISH_002", "4.00", notify_url=receiver.url)
        receiver.wait_for(1)
        assert env.sb.finish_trades() == ["NT_FINISH_002"]
        assert env.sb.wait_for_notifications(1)
        assert len(receiver.received) == 1
