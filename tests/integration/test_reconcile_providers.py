"""Refund classes on Alipay's and UnionPay's own statements, as their sandboxes serve them (the
real zip of GBK CSVs; the real deflated ZM/RD file): a refund that succeeded here and is not in
the statement is `local_only`; a UnionPay refund the file lists as cleared and still in
progress here (its notify lost) is repaired, the merchant notified."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from paymux.channels.base import RefundResult, RefundState
from paymux.domain.ids import new_refund_id
from paymux.domain.payment import Payment
from paymux.domain.refund import Refund
from paymux.services.reconciliation import reconcile_day
from paymux.services.refund_outcomes import apply_refund_result
from tests.integration.conftest import Alipay, World, notification_bodies
from tests.integration.test_alipay import paid as alipay_paid
from tests.integration.test_automatic_refunds import only_alipay
from tests.integration.test_reconcile import NO_CLASSES, away_from_midnight, today
from tests.integration.test_refunds import refund
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


def _believed_refunded(world: World, refund_id: str, settle_date: str = "") -> None:
    """Paymux holds the refund as SUCCESS, the channel never made it (say, a forged message)."""
    open_refund = world.d.refunds.get(refund_id)
    assert open_refund is not None and open_refund.status == "PROCESSING"
    result = RefundResult(
        open_refund.out_refund_no, RefundState.SUCCESS, open_refund.amount, settle_date=settle_date
    )
    assert apply_refund_result(world.d, open_refund, result, actor="test").status == "SUCCESS"


def _refund_never_sent(world: World, payment: Payment, amount: int) -> Refund:
    """A refund paymux records (its reservation made) and never sends to the channel."""
    now = world.clock()
    made = Refund(
        refund_id=new_refund_id(now),
        payment_id=payment.payment_id,
        merchant_id=payment.merchant_id,
        app_id=payment.app_id,
        merchant_refund_no="RF-never-sent",
        amount=amount,
        currency=payment.currency,
        request_hash="never-sent",
        created_at=now,
        out_trade_no=payment.out_trade_no,
    )
    world.d.refunds.create(made, payment, now + 3600)
    return made


def _run(world: World, day: date, account_id: str) -> dict[str, Any]:
    summary = reconcile_day(world.d, day).to_dict()
    (run,) = [a for a in summary["accounts"] if a["account_id"] == account_id]
    assert run["error"] is None, run
    return run


def test_an_alipay_refund_here_absent_from_alipays_bill_is_local_only(world: World, alipay: Alipay) -> None:
    only_alipay(world, alipay)
    away_from_midnight(world)
    day = today(world)
    listed, missing = alipay_paid(world, alipay, 1000), alipay_paid(world, alipay, 2000)
    status, made = refund(world, listed["id"], 300)
    assert status == 201 and made["status"] == "SUCCESS"
    alipay.sandbox.fail_next_refunds("20000", "ACQ.SYSTEM_ERROR", "系统繁忙")  # Alipay never makes it
    status, lost = refund(world, missing["id"], 400)
    assert status in (201, 202), lost
    _believed_refunded(world, lost["id"])

    run = _run(world, day, alipay.account_id)

    assert run["counts"]["payment"] == NO_CLASSES | {"matched": 2}
    assert run["counts"]["refund"] == NO_CLASSES | {"matched": 1, "local_only": 1}


def test_unionpay_refunds_local_only_and_repaired_from_the_file(
    world: World, unionpay: UnionPayWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    away_from_midnight(world)
    first, second = unionpay.paid(amount=1000), unionpay.paid(amount=1500)
    payment = world.d.payments.get(first["id"])
    assert payment is not None
    day = date.fromisoformat(payment.settle_date)
    never = _refund_never_sent(world, payment, 100)
    _believed_refunded(world, never.refund_id, payment.settle_date)  # not in UnionPay's file
    unionpay.sandbox.auto_complete_refunds = False  # refunds stay in progress at UnionPay
    status, cleared = unionpay.refund(second["id"], 200)
    assert status == 201 and cleared["status"] == "PROCESSING", cleared
    world.catcher.forward = False  # the refund's notify never reaches us
    unionpay.sandbox.complete_refunds()
    assert world.d.refunds.get(cleared["id"]).status == "PROCESSING"
    unionpay.sandbox.set_file_ready(day, True)
    world.queued_messages()
    world.run_notifier()
    before = len(notification_bodies(world.merchant_endpoint))

    run = _run(world, day, unionpay.account.account_id)

    assert run["counts"]["payment"] == NO_CLASSES | {"matched": 2}
    assert run["counts"]["refund"] == NO_CLASSES | {"local_only": 1, "status_mismatch": 1}
    assert [(r["out_refund_no"], r["from_status"], r["to_status"]) for r in run["repairs"]] == [
        (cleared["id"].removeprefix("re_"), "PROCESSING", "SUCCESS")
    ]
    assert world.d.refunds.get(cleared["id"]).status == "SUCCESS"
    world.run_notifier()
    sent = [
        (b["type"], b["data"]["object"]["id"]) for b in notification_bodies(world.merchant_endpoint)[before:]
    ]
    assert ("refund.succeeded", cleared["id"]) in sent
