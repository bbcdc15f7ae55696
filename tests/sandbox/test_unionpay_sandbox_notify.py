"""Back notifies: resent on UnionPay's schedule until the merchant answers 200 (or 302), 5
sends in all, driven here by a fake clock; settleDate follows the 23:00 cut-off."""

from __future__ import annotations

from collections.abc import Callable

from unionpay_sandbox_client import AcpClient, FakeClock, NotifyReceiver, Trust, at_beijing

from sandbox.unionpay import UNIONPAY_NOTIFY_DELAYS, GeneratedMerchant, UnionPaySandbox
from tests.support import wait_until


def sends(sb: UnionPaySandbox) -> int:
    return len(sb.notify_log)


def test_an_unanswered_notify_is_sent_five_times_on_the_schedule(
    make_unionpay: Callable[..., UnionPaySandbox],
    unionpay_identity: GeneratedMerchant,
    make_notify_receiver: Callable[..., NotifyReceiver],
) -> None:
    clock = FakeClock()
    sb = make_unionpay(unionpay_identity, clock=clock, notify_time_scale=1.0)
    receiver = make_notify_receiver([500] * 10)
    client = AcpClient(sb, unionpay_identity, clock)
    client.apply_qr("RESENDORDR1", 100, receiver.url)
    start = clock.now
    sb.pay("RESENDORDR1")
    assert wait_until(lambda: sends(sb) == 1)
    for count, delay in enumerate(UNIONPAY_NOTIFY_DELAYS, start=2):
        assert wait_until(lambda c=count: [p[2] for p in sb.pending_notifies()] == [c])
        ((due, order_id, _),) = sb.pending_notifies()
        assert order_id == "RESENDORDR1"
        assert round(due - sb.notify_log[-1].at, 3) == delay  # due `delay` after the last send
        clock.advance(delay)
        assert wait_until(lambda c=count: sends(sb) == c)
    assert sb.wait_for_notifies(5)
    log = sb.notify_log
    assert [attempt.send for attempt in log] == [1, 2, 3, 4, 5]
    offsets = [round(attempt.at - start) for attempt in log]
    assert offsets == [0, 60, 180, 420, 720]  # 0, +1, +2, +4, +5 minutes
    assert not any(attempt.delivered for attempt in log) and sb.pending_notifies() == []
    forms = [r.form for r in receiver.wait_for(5)]
    assert len(forms) == 5 and all(form == forms[0] for form in forms)  # the same signed form
    assert Trust.of(sb).verifies(forms[0])


def test_resends_stop_once_the_merchant_answers_200_or_302(
    make_unionpay: Callable[..., UnionPaySandbox],
    unionpay_identity: GeneratedMerchant,
    make_notify_receiver: Callable[..., NotifyReceiver],
) -> None:
    clock = FakeClock()
    sb = make_unionpay(unionpay_identity, clock=clock, notify_time_scale=1.0)
    client = AcpClient(sb, unionpay_identity, clock)
    for order_id, statuses in (("ANSWERS200X", [503, 200]), ("ANSWERS302X", [302])):
        receiver = make_notify_receiver(statuses)
        client.apply_qr(order_id, 100, receiver.url)
        sb.pay(order_id)
    assert wait_until(lambda: sends(sb) == 2)
    clock.advance(60)
    assert sb.wait_for_notifies(5)
    log = [(a.order_id, a.status, a.delivered) for a in sb.notify_log]
    assert sorted(log) == [
        ("ANSWERS200X", 200, True),
        ("ANSWERS200X", 503, False),
        ("ANSWERS302X", 302, True),
    ]
    assert sb.pending_notifies() == []


def test_an_unreachable_back_url_is_retried_with_the_scaled_delays(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity, notify_time_scale=0.0001)
    client = AcpClient(sb, unionpay_identity)
    client.apply_qr("UNREACHABL1", 100, "http://127.0.0.1:9/notify")
    sb.pay("UNREACHABL1")
    assert sb.wait_for_notifies(10)
    log = sb.notify_log
    assert [a.send for a in log] == [1, 2, 3, 4, 5]
    assert all(a.status is None and a.error for a in log)


def test_the_settle_date_is_cut_at_23_beijing_time(
    make_unionpay: Callable[..., UnionPaySandbox],
    unionpay_identity: GeneratedMerchant,
    make_notify_receiver: Callable[..., NotifyReceiver],
) -> None:
    clock = FakeClock(at_beijing(2026, 12, 31, 22, 59))
    sb = make_unionpay(unionpay_identity, clock=clock)
    receiver = make_notify_receiver()
    client = AcpClient(sb, unionpay_identity, clock)
    client.apply_qr("CUTOFFORD01", 100, receiver.url)
    sb.pay("CUTOFFORD01")
    clock.now = at_beijing(2026, 12, 31, 23, 0)
    client.apply_qr("CUTOFFORD02", 100, receiver.url)
    sb.pay("CUTOFFORD02")
    forms = {r.form["orderId"]: r.form for r in receiver.wait_for(2)}
    assert forms["CUTOFFORD01"]["settleDate"] == "1231"
    assert forms["CUTOFFORD02"]["settleDate"] == "0101"
    assert sb.transaction("CUTOFFORD02")["settleDate"] == "2027-01-01"
    assert forms["CUTOFFORD02"]["txnTime"].startswith("20261231")
