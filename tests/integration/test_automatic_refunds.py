"""Automatic refunds (the second success of a double charge, a charge after close) are refunds
like any other: placed before the charge callback is acknowledged, followed up by the sweeper,
settled by callbacks and queries, visible on the payment, matched by reconciliation."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import requests

from paymux.channels.base import CreateRequest
from paymux.domain.ids import attempt_out_trade_no
from paymux.domain.refund import automatic_refund_id
from tests.integration.conftest import Alipay, World, callback_event
from tests.integration.test_reconcile import NO_CLASSES, alone, reconcile, today
from tests.integration.test_refunds import wait_until
from tests.support import invoke, run_sweeper


def only_alipay(world: World, alipay: Alipay) -> None:
    """Every other channel account disabled: a create routes to the Alipay sandbox."""
    for account in world.d.channel_config.accounts():
        if account.account_id != alipay.account_id and account.enabled:
            world.d.channel_config.put_account(replace(account, enabled=False), None)


def second_attempt(world: World, created: dict[str, Any]) -> tuple[str, str]:
    """An abandoned first attempt and a second one, both open at WeChat Pay: (first, second)."""
    first = world.d.payments.get(created["id"])
    second_no = attempt_out_trade_no(first.payment_id, 2)
    account = world.d.channel_config.account(world.account_id)
    notify_url = f"{world.catcher.base_url}/v1/callbacks/wechat/{world.account_id}"
    request = CreateRequest(
        second_no, "wechat.native", first.amount, "CNY", "2nd", notify_url, first.expires_at
    )
    world.d.channel(account).create(request)
    attempt = {
        "out_trade_no": second_no,
        "payment_id": first.payment_id,
        "account_id": world.account_id,
        "provider": "wechat",
        "product": "wechat.native",
        "created_at": world.clock(),
    }
    world.d.payments.add_attempt(first, attempt, {"out_trade_no": second_no, "attempt_count": 2})
    return first.out_trade_no, second_no


def double_charge(world: World, amount: int = 3000) -> tuple[dict[str, Any], str]:
    """A payment whose two attempts are both paid (the second first); returns the extra one."""
    _, created = world.create(amount=amount)
    first_no, second_no = second_attempt(world, created)
    world.sandbox.pay(world.mchid, second_no)
    assert world.sandbox.wait_for_callbacks(timeout=10)
    world.sandbox.pay(world.mchid, first_no)
    assert world.sandbox.wait_for_callbacks(timeout=10)
    return created, first_no


def test_a_double_charge_is_refunded_by_a_refund_record_visible_on_the_payment(world: World):
    created, extra = double_charge(world)
    refund = world.d.refunds.get(automatic_refund_id(extra))
    assert refund is not None and refund.kind == "automatic" and refund.status == "SUCCESS"
    assert (refund.out_trade_no, refund.amount, refund.account_id) == (extra, 3000, world.account_id)
    assert world.sandbox.refunds[refund.out_refund_no]["out_trade_no"] == extra  # the extra trade
    assert refund.channel_refund_no  # settled by its REFUND.SUCCESS callback

    status, payment = world.get(created["id"])
    assert status == 200
    assert (payment["status"], payment["amount_refunded"], payment["amount_refundable"]) == (
        "SUCCESS",
        0,
        3000,
    )
    (listed,) = payment["automatic_refunds"]
    assert listed | {"created_at": ""} == {
        "id": refund.refund_id,
        "out_trade_no": extra,
        "amount": 3000,
        "currency": "CNY",
        "reason": "duplicate payment refunded automatically",
        "status": "SUCCESS",
        "created_at": "",
    }
    _, events = world.call(
        "list_payment_events.json",
        path=f"/v1/payments/{created['id']}/events",
        path_params={"payment_id": created["id"]},
    )
    mine = [(e["type"], e["refund_id"]) for e in events["data"] if e["refund_id"] == refund.refund_id]
    assert ("refund.created", refund.refund_id) in mine and ("refund.succeeded", refund.refund_id) in mine
    # the refund's success is its one event: the payment, whose status stays, writes none of its own
    assert [e["type"] for e in events["data"]].count("refund.succeeded") == 1


def test_a_charge_callback_is_not_acknowledged_until_its_refund_is_placed(world: World):
    _, created = world.create(amount=2500)
    first_no, second_no = second_attempt(world, created)
    world.sandbox.pay(world.mchid, second_no)
    assert world.sandbox.wait_for_callbacks(timeout=10)
    world.sandbox.fail_next_refunds(500, "SYSTEM_ERROR", "系统繁忙")  # the first refund call fails
    world.sandbox.pay(world.mchid, first_no)
    assert world.sandbox.wait_for_callbacks(timeout=30)

    charge = [a for a in world.sandbox.callback_log if a.event_type == "TRANSACTION.SUCCESS"][1:]
    assert [a.status for a in charge][:1] == [500]  # not acknowledged: the refund was not placed
    assert charge[-1].status == 204 and len({a.event_id for a in charge}) == 1  # WeChat's retry
    refund = world.d.refunds.get(automatic_refund_id(first_no))
    assert refund.status == "SUCCESS" and refund.attempts == 1 and refund.last_error == "SYSTEM_ERROR"
    assert [r["out_trade_no"] for r in world.sandbox.refunds.values()] == [first_no]


def test_the_sweeper_follows_up_an_automatic_refund_whose_callback_is_lost(world: World):
    world.sandbox.auto_complete_refunds = False
    created, extra = double_charge(world)
    refund = world.d.refunds.get(automatic_refund_id(extra))
    assert refund.status == "PROCESSING" and refund.channel_refund_no  # placed, not settled yet
    world.catcher.forward = False
    world.sandbox.complete_refunds(world.mchid)
    world.clock.advance(601)  # WeChat answered PROCESSING: asked again ten minutes later
    assert run_sweeper()["refunds_queried"] == 1
    assert world.d.refunds.get(refund.refund_id).status == "SUCCESS"
    (listed,) = world.d.payments.get(created["id"]).automatic_refunds.values()
    assert listed["status"] == "SUCCESS"


def test_the_sweeper_places_an_automatic_refund_the_channel_refused_for_now(world: World):
    _, created = world.create(amount=2500)
    first_no, second_no = second_attempt(world, created)
    world.sandbox.pay(world.mchid, second_no)
    assert world.sandbox.wait_for_callbacks(timeout=10)
    world.catcher.forward = False  # the channel's deliveries are only recorded from here on
    world.sandbox.pay(world.mchid, first_no)
    wait_until(lambda: len(world.catcher.received) >= 2)
    charge = world.catcher.received[1]
    world.sandbox.fail_next_refunds(403, "NOT_ENOUGH", "余额不足")
    reply = invoke("channel_callback", callback_event(world.account_id, charge["headers"], charge["body"]))
    assert reply["statusCode"] == 500  # not acknowledged: WeChat keeps the charge alive
    refund = world.d.refunds.get(automatic_refund_id(first_no))
    assert (refund.status, refund.attempts, refund.last_error) == ("PROCESSING", 1, "NOT_ENOUGH")
    assert world.sandbox.refunds == {}

    world.clock.advance(61)
    assert run_sweeper()["refunds_queried"] == 1  # not found at WeChat: sent again
    assert [r["out_trade_no"] for r in world.sandbox.refunds.values()] == [first_no]
    reply = invoke("channel_callback", callback_event(world.account_id, charge["headers"], charge["body"]))
    assert reply["statusCode"] == 204 and len(world.sandbox.refunds) == 1  # placed: a retry is acked
    world.clock.advance(601)  # its REFUND.SUCCESS callback is lost too: the next query settles it
    assert run_sweeper()["refunds_queried"] == 1
    assert world.d.refunds.get(refund.refund_id).status == "SUCCESS"


def test_reconciliation_matches_the_extra_charge_and_its_refund(world: World):
    alone(world)
    created, extra = double_charge(world)
    refund = world.d.refunds.get(automatic_refund_id(extra))
    summary = reconcile(world, today(world))
    assert summary["failed_accounts"] == []
    assert summary["counts"]["payment"] == NO_CLASSES | {"matched": 2, "local_only": 0}
    assert summary["counts"]["refund"] == NO_CLASSES | {"matched": 1}
    assert summary["totals"]["local_paid"] == 3000  # the extra charge is not the kept payment
    assert summary["totals"]["channel_payments"] == 6000 and summary["discrepancies"] == 0
    assert refund.payment_id == created["id"] and refund.status == "SUCCESS"


def test_a_charge_after_close_on_alipay_is_not_acknowledged_until_refunded(world: World, alipay: Alipay):
    status, created = world.create(method="alipay.wap", amount=1999, return_url="https://shop.example.com/x")
    assert status == 201
    out_trade_no = world.out_trade_no(created["id"])
    assert world.close(created["id"])[1]["status"] == "CLOSED"
    assert requests.get(created["action"]["url"], timeout=5).status_code == 200  # the payer opens it
    alipay.sandbox.fail_next_refunds("20000", "ACQ.SYSTEM_ERROR", "系统繁忙")
    alipay.sandbox.pay(alipay.app_id, out_trade_no)
    assert alipay.sandbox.wait_for_notifications(timeout=30)

    charge = [a for a in alipay.sandbox.notify_log if a.form.get("trade_status") == "TRADE_SUCCESS"]
    assert [a.body.strip() for a in charge][:1] == ["fail"] and charge[-1].body.strip() == "success"
    refund = world.d.refunds.get(automatic_refund_id(out_trade_no))
    assert refund.status == "SUCCESS" and refund.kind == "automatic"
    _, payment = world.get(created["id"])
    assert payment["status"] == "CLOSED" and payment["amount_refunded"] == 0
    assert [(r["id"], r["status"]) for r in payment["automatic_refunds"]] == [(refund.refund_id, "SUCCESS")]
    assert [key for key in alipay.sandbox.refunds] == [(out_trade_no, refund.out_refund_no)]


def test_a_charge_after_close_is_followed_up_and_reconciled_against_its_refund(world: World, alipay: Alipay):
    only_alipay(world, alipay)
    status, created = world.create(method="alipay.qr", amount=1500)
    assert status == 201
    out_trade_no = world.out_trade_no(created["id"])
    assert world.close(created["id"])[1]["status"] == "CLOSED"  # nothing to close at Alipay yet
    alipay.sandbox.fail_next_refunds("40004", "ACQ.SELLER_BALANCE_NOT_ENOUGH", "余额不足", times=50)
    world.catcher.forward = False  # Alipay's notify is only recorded
    alipay.sandbox.pay(alipay.app_id, out_trade_no)
    wait_until(lambda: len(world.catcher.received) >= 1)
    notify = world.catcher.received[0]
    reply = invoke(
        "channel_callback", callback_event(alipay.account_id, notify["headers"], notify["body"], "alipay")
    )
    assert (reply["statusCode"], reply["body"]) == (500, "fail")
    refund = world.d.refunds.get(automatic_refund_id(out_trade_no))
    assert (refund.status, refund.last_error) == ("PROCESSING", "ACQ.SELLER_BALANCE_NOT_ENOUGH")

    alipay.sandbox.clear_refund_faults()
    world.clock.advance(61)
    assert run_sweeper()["refunds_queried"] == 1  # the sweeper places it
    assert world.d.refunds.get(refund.refund_id).status == "SUCCESS"
    assert world.get(created["id"])[1]["automatic_refunds"][0]["status"] == "SUCCESS"

    summary = reconcile(world, today(world))
    (account,) = [a for a in summary["accounts"] if a["account_id"] == alipay.account_id]
    assert account["counts"]["payment"] == NO_CLASSES | {"matched": 1, "local_only": 0}
    assert account["counts"]["refund"] == NO_CLASSES | {"matched": 1}
    assert account["totals"]["local_paid"] == 0  # a CLOSED payment: the charge was never kept


def test_a_charge_after_close_whose_notify_is_lost_is_found_by_the_sweeper(world: World, alipay: Alipay):
    """An Alipay QR code closed before anyone scanned it (Alipay has no trade to close) can still
    be paid until it expires there. If Alipay's notifies of that charge never arrive, the sweeper
    finds it: the closed payment stays on its index until the code's expiry (plus a grace), and
    the charge is refunded automatically. After the watch ends, the payment leaves the index."""
    only_alipay(world, alipay)
    status, created = world.create(method="alipay.qr", amount=1500, expires_in=1800)
    assert status == 201
    out_trade_no = world.out_trade_no(created["id"])
    assert world.close(created["id"])[1]["status"] == "CLOSED"  # nothing to close at Alipay yet
    world.catcher.forward = False  # every notify of the charge is lost
    alipay.sandbox.pay(alipay.app_id, out_trade_no)
    assert world.d.refunds.get(automatic_refund_id(out_trade_no)) is None

    world.clock.advance(61)
    run_sweeper()
    refund = world.d.refunds.get(automatic_refund_id(out_trade_no))
    assert refund is not None and refund.status == "SUCCESS"
    assert [key for key in alipay.sandbox.refunds] == [(out_trade_no, refund.out_refund_no)]
    payment = world.d.payments.get(created["id"])
    assert (payment.status, payment.watch_until) == ("CLOSED", 0.0)  # the refund is followed up now
    events = [e["type"] for e in world.d.payments.events(created["id"])]
    assert events.count("payment.paid_after_close") == 1 and events.count("payment.closed") == 1


def test_a_closed_payment_is_watched_only_until_its_code_expires(world: World, alipay: Alipay):
    only_alipay(world, alipay)
    status, created = world.create(method="alipay.qr", amount=1500, expires_in=600)
    assert status == 201
    assert world.close(created["id"])[1]["status"] == "CLOSED"
    due = lambda: [p.payment_id for s in range(8) for p in world.d.payments.due(s, world.clock() + 10**6)]  # noqa: E731
    assert due() == [created["id"]]
    world.clock.advance(600 + 600 + 1)  # past the code's expiry and the grace
    run_sweeper()  # one last look, then it leaves the index
    assert due() == []
    assert world.d.payments.get(created["id"]).status == "CLOSED"


def test_the_watch_asks_once_more_at_its_end(world: World, alipay: Alipay):
    """The watch's queries thin out with age, so its last look is the one at the end: a code paid
    after the look before it, with every notify lost, is still found and refunded."""
    only_alipay(world, alipay)
    status, created = world.create(method="alipay.qr", amount=1500, expires_in=5000)
    assert status == 201
    out_trade_no = world.out_trade_no(created["id"])
    assert world.close(created["id"])[1]["status"] == "CLOSED"
    world.catcher.forward = False
    world.clock.advance(3700)  # past the hourly look; the next is at the watch's end (5600 s)
    run_sweeper()
    alipay.sandbox.pay(alipay.app_id, out_trade_no)  # before the code expires (5000 s)
    world.clock.advance(5600 - 3700 + 1)
    run_sweeper()
    refund = world.d.refunds.get(automatic_refund_id(out_trade_no))
    assert refund is not None and refund.status == "SUCCESS"


def test_a_scanned_code_of_a_closed_payment_is_closed_at_the_channel(world: World, alipay: Alipay):
    """A payer who scanned the code after the merchant closed the payment has made the trade at
    Alipay: the watch closes it there, so it cannot be paid at all."""
    only_alipay(world, alipay)
    status, created = world.create(method="alipay.qr", amount=1500, expires_in=1800)
    assert status == 201
    out_trade_no = world.out_trade_no(created["id"])
    assert world.close(created["id"])[1]["status"] == "CLOSED"
    alipay.sandbox.scan(alipay.app_id, out_trade_no)
    assert alipay.sandbox.trades[out_trade_no]["trade_status"] == "WAIT_BUYER_PAY"
    world.clock.advance(61)
    run_sweeper()
    assert alipay.sandbox.trades[out_trade_no]["trade_status"] == "TRADE_CLOSED"


def test_a_double_charge_whose_automatic_refund_failed_is_a_discrepancy(world: World):
    """The payer is charged twice and nothing went back: the daily control must say so."""
    alone(world)
    _, created = world.create(amount=3000)
    first_no, second_no = second_attempt(world, created)
    world.sandbox.pay(world.mchid, second_no)
    assert world.sandbox.wait_for_callbacks(timeout=10)
    world.sandbox.fail_next_refunds(400, "INVALID_REQUEST", "订单已过退款期限")  # definitive
    world.sandbox.pay(world.mchid, first_no)
    assert world.sandbox.wait_for_callbacks(timeout=10)
    assert world.d.refunds.get(automatic_refund_id(first_no)).status == "FAILED"
    summary = reconcile(world, today(world))
    (account,) = [a for a in summary["accounts"] if a["account_id"] == world.account_id]
    assert account["counts"]["payment"]["status_mismatch"] == 1
    assert account["counts"]["payment"]["matched"] == 1  # the charge the payment kept


def test_reconciliation_refunds_a_charge_after_close_nothing_else_found(world: World, alipay: Alipay):
    """A charge after close that no notify and no sweeper query brought in (here the sweeper
    never ran) is found in the next day's statement and refunded automatically there; the day's
    report still lists it, with what was done."""
    only_alipay(world, alipay)
    status, created = world.create(method="alipay.qr", amount=1500)
    assert status == 201
    out_trade_no = world.out_trade_no(created["id"])
    assert world.close(created["id"])[1]["status"] == "CLOSED"
    world.catcher.forward = False  # every notify is lost
    alipay.sandbox.pay(alipay.app_id, out_trade_no)
    assert world.d.refunds.get(automatic_refund_id(out_trade_no)) is None

    summary = reconcile(world, today(world))
    (account,) = [a for a in summary["accounts"] if a["account_id"] == alipay.account_id]
    assert account["counts"]["payment"]["status_mismatch"] == 1
    refund = world.d.refunds.get(automatic_refund_id(out_trade_no))
    assert refund is not None and refund.status == "SUCCESS" and refund.kind == "automatic"
    assert [key for key in alipay.sandbox.refunds] == [(out_trade_no, refund.out_refund_no)]
    assert world.d.payments.get(created["id"]).status == "CLOSED"
