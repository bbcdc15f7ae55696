"""Refund outcomes are never guessed: WeChat Pay ABNORMAL is a state of its own (reserved,
followed up, re-issued by an operator), transient refusals are retried with the same
out_refund_no, and only a definitive refusal fails a refund."""

from __future__ import annotations

import pytest

from ops.__main__ import parse, run
from paymux.services.exceptions import list_exceptions
from tests.integration.conftest import Alipay, World, notification_bodies
from tests.integration.test_reconcile import NO_CLASSES, alone, reconcile, today
from tests.integration.test_refunds import get_refund, paid_payment, refund, wait_until
from tests.support import run_sweeper


def sweep(world: World) -> dict:
    result: dict = run_sweeper()
    return result


def exception_kinds(world: World, subject: str) -> list[str]:
    return [e["kind"] for e in list_exceptions(world.d, limit=100) if e["subject"] == subject]


def abnormal_refund(world: World, amount: int = 1000) -> tuple[dict, dict]:
    """A paid payment and a full refund of it that WeChat Pay answers ABNORMAL (callback)."""
    created = paid_payment(world, amount)
    world.sandbox.auto_complete_refunds = False
    status, body = refund(world, created["id"], amount)
    assert status == 201 and body["status"] == "PROCESSING"
    stored = world.d.refunds.get(body["id"])
    world.sandbox.abnormal_refund(world.mchid, stored.out_refund_no)
    assert world.sandbox.wait_for_callbacks(timeout=10)
    return created, body


def test_abnormal_keeps_the_reservation_tells_operator_and_merchant_and_refuses_a_second_refund(
    world: World,
):
    created, body = abnormal_refund(world)
    stored = world.d.refunds.get(body["id"])
    assert stored.status == "ABNORMAL" and stored.channel_refund_no
    _, public = get_refund(world, body["id"])
    assert public["status"] == "ABNORMAL" and public["failure"]["code"] == "ABNORMAL"
    payment = world.d.payments.get(created["id"])
    assert (payment.status, payment.amount_refund_reserved, payment.amount_refunded) == ("SUCCESS", 1000, 0)
    assert world.get(created["id"])[1]["amount_refundable"] == 0
    assert "refund_abnormal" in exception_kinds(world, body["id"])

    world.run_notifier()
    types = [b["type"] for b in notification_bodies(world.merchant_endpoint)]
    assert "refund.abnormal" in types and "refund.failed" not in types
    abnormal = next(b for b in notification_bodies(world.merchant_endpoint) if b["type"] == "refund.abnormal")
    assert abnormal["data"]["object"]["id"] == body["id"]

    # The money already left the merchant's balance: the same money cannot be refunded again.
    status, error = refund(world, created["id"], 1000)
    assert status == 422 and error["error"]["details"][0]["field"] == "amount"
    assert len(world.sandbox.refunds) == 1


def test_abnormal_then_success_by_callback_after_an_operator_reissues_it_with_ops(world: World, monkeypatch):
    for name, value in world.stack.env.items():
        monkeypatch.setenv(name, value)
    created, body = abnormal_refund(world)
    world.sandbox.auto_complete_refunds = True
    answer = run(
        parse(
            [
                "refunds",
                "apply-abnormal",
                body["id"],
                "--to",
                "user-card",
                "--bank-type",
                "ICBC_DEBIT",
                "--bank-account",
                "6222020200001234567",
                "--real-name",
                "张三",
            ]
        )
    )
    assert answer["id"] == body["id"] and answer["status"] in ("PROCESSING", "SUCCESS")
    assert world.sandbox.wait_for_callbacks(timeout=10)
    at_wechat = world.sandbox.refunds[world.d.refunds.get(body["id"]).out_refund_no]
    # the sandbox decrypted the card number with WeChat Pay's key: it was sent encrypted
    assert at_wechat["channel"] == "OTHER_BANKCARD" and at_wechat["user_received_account"].endswith("4567")
    assert world.d.refunds.get(body["id"]).status == "SUCCESS"
    payment = world.d.payments.get(created["id"])
    assert (payment.status, payment.amount_refunded, payment.amount_refund_reserved) == (
        "REFUNDED",
        1000,
        1000,
    )
    events = [e["type"] for e in world.d.payments.events(created["id"])]
    assert "refund.abnormal" in events and "refund.reissued" in events
    # each change once: ABNORMAL, re-issued, SUCCESS, and the payment's SUCCESS → REFUNDED
    assert [events.count(t) for t in ("refund.abnormal", "refund.reissued", "refund.succeeded")] == [1, 1, 1]
    assert events.count("payment.refunded") == 1
    world.run_notifier()
    types = [b["type"] for b in notification_bodies(world.merchant_endpoint)]
    assert types.count("refund.succeeded") == 1 and "refund.abnormal" in types
    (succeeded,) = [
        b for b in notification_bodies(world.merchant_endpoint) if b["type"] == "refund.succeeded"
    ]
    assert succeeded["data"]["object"]["reissued_to"] == "user_bank_card"  # the merchant is told where


def test_apply_abnormal_refuses_a_refund_that_is_not_abnormal(world: World, monkeypatch):
    for name, value in world.stack.env.items():
        monkeypatch.setenv(name, value)
    created = paid_payment(world, 500)
    _, body = refund(world, created["id"], 500)
    wait_until(lambda: world.d.refunds.get(body["id"]).status == "SUCCESS")
    with pytest.raises(SystemExit, match="not ABNORMAL"):
        run(parse(["refunds", "apply-abnormal", body["id"], "--to", "merchant-card"]))
    created, abnormal = abnormal_refund(world, 700)
    with pytest.raises(SystemExit, match="bank_account"):
        run(parse(["refunds", "apply-abnormal", abnormal["id"], "--to", "user-card"]))
    assert world.d.refunds.get(abnormal["id"]).status == "ABNORMAL"


def test_abnormal_is_followed_up_hourly_and_settled_by_the_sweepers_query(world: World):
    created, body = abnormal_refund(world)
    world.clock.advance(61)
    assert sweep(world)["refunds_queried"] == 0  # ABNORMAL: not every minute
    world.clock.advance(3600)
    assert sweep(world)["refunds_queried"] == 1
    assert world.d.refunds.get(body["id"]).status == "ABNORMAL"  # still abnormal at WeChat

    # The merchant re-issues it in WeChat's portal; its callback never gets through.
    world.catcher.forward = False
    out_refund_no = world.d.refunds.get(body["id"]).out_refund_no
    world.sandbox.reissue_from_portal(world.mchid, out_refund_no)
    world.sandbox.complete_refunds(world.mchid)
    world.clock.advance(3601)
    assert sweep(world)["refunds_queried"] == 1
    assert world.d.refunds.get(body["id"]).status == "SUCCESS"
    payment = world.d.payments.get(created["id"])
    assert (payment.status, payment.amount_refunded) == ("REFUNDED", 1000)


@pytest.mark.parametrize(
    ("status", "code"),
    [(429, "FREQUENCY_LIMITED"), (500, "SYSTEM_ERROR"), (403, "NOT_ENOUGH")],
)
def test_a_transient_refusal_is_retried_with_the_same_out_refund_no(world: World, status: int, code: str):
    created = paid_payment(world, 800)
    world.sandbox.fail_next_refunds(status, code, "try again later", times=2)
    status_code, body = refund(world, created["id"], 800)
    assert status_code == 201 and body["status"] == "PROCESSING"
    stored = world.d.refunds.get(body["id"])
    assert (stored.status, stored.attempts, stored.last_error) == ("PROCESSING", 1, code)
    assert world.d.payments.get(created["id"]).amount_refund_reserved == 800
    assert world.sandbox.refunds == {}  # WeChat took nothing

    world.clock.advance(61)
    assert sweep(world)["refunds_queried"] == 1  # queried (not found), sent again, refused again
    stored = world.d.refunds.get(body["id"])
    assert (stored.status, stored.attempts) == ("PROCESSING", 2)
    world.clock.advance(61)
    assert sweep(world)["refunds_queried"] == 0  # backoff: the next try is 2 minutes out
    world.clock.advance(60)
    assert sweep(world)["refunds_queried"] == 1
    assert world.sandbox.wait_for_callbacks(timeout=10)
    assert list(world.sandbox.refunds) == [stored.out_refund_no]
    assert world.d.refunds.get(body["id"]).status == "SUCCESS"
    assert world.d.payments.get(created["id"]).status == "REFUNDED"
    world.run_notifier()
    types = [b["type"] for b in notification_bodies(world.merchant_endpoint)]
    assert "refund.failed" not in types and "refund.succeeded" in types


def test_a_definitive_refusal_fails_the_refund_and_releases_the_reservation(world: World):
    created = paid_payment(world, 800)
    world.sandbox.fail_next_refunds(403, "USER_ACCOUNT_ABNORMAL", "退款请求失败")
    status, body = refund(world, created["id"], 800)
    assert status == 201 and body["status"] == "FAILED"
    assert body["failure"]["code"] == "USER_ACCOUNT_ABNORMAL"
    assert world.d.payments.get(created["id"]).amount_refund_reserved == 0
    assert refund(world, created["id"], 800)[0] == 201  # refundable again


def test_a_refusal_that_needs_a_person_keeps_the_refund_open(world: World):
    created = paid_payment(world, 800)
    world.sandbox.fail_next_refunds(403, "NO_AUTH", "商户无权限")
    status, body = refund(world, created["id"], 800)
    assert status == 201 and body["status"] == "PROCESSING"
    assert world.d.payments.get(created["id"]).amount_refund_reserved == 800
    assert "refund_refused" in exception_kinds(world, body["id"])


def test_alipay_seller_balance_short_is_retried_not_failed(world: World, alipay: Alipay):
    status, created = world.create(method="alipay.qr", amount=1200)
    assert status == 201
    alipay.sandbox.pay(alipay.app_id, world.out_trade_no(created["id"]))
    wait_until(lambda: world.d.payments.get(created["id"]).status == "SUCCESS")
    alipay.sandbox.fail_next_refunds("40004", "ACQ.SELLER_BALANCE_NOT_ENOUGH", "卖家余额不足")
    status, body = refund(world, created["id"], 1200)
    assert status == 201 and body["status"] == "PROCESSING"
    assert world.d.payments.get(created["id"]).amount_refund_reserved == 1200
    world.clock.advance(61)
    assert sweep(world)["refunds_queried"] == 1
    stored = world.d.refunds.get(body["id"])
    assert stored.status == "SUCCESS"
    assert list(alipay.sandbox.refunds) == [(world.out_trade_no(created["id"]), stored.out_refund_no)]


def test_reconciliation_compares_an_abnormal_refund_as_abnormal(world: World):
    alone(world)
    _, body = abnormal_refund(world, 600)
    summary = reconcile(world, today(world))
    assert summary["counts"]["refund"] == NO_CLASSES | {"matched": 1}
    assert world.d.refunds.get(body["id"]).status == "ABNORMAL"  # reconciliation changes nothing


def test_a_refund_reissued_to_the_merchants_card_says_so(world: World, monkeypatch):
    """The money of an ABNORMAL refund re-issued to the merchant's own bank account never reached
    the payer: the merchant must pay them back itself, so the refund says where it went."""
    for name, value in world.stack.env.items():
        monkeypatch.setenv(name, value)
    _, body = abnormal_refund(world)
    world.sandbox.auto_complete_refunds = True
    run(parse(["refunds", "apply-abnormal", body["id"], "--to", "merchant-card"]))
    assert world.sandbox.wait_for_callbacks(timeout=10)
    status, shown = world.call(
        "get_refund.json", path=f"/v1/refunds/{body['id']}", path_params={"refund_id": body["id"]}
    )
    assert (status, shown["status"], shown["reissued_to"]) == (200, "SUCCESS", "merchant_bank_card")
