"""A payment is reconciled on the statement day that lists it: the channel's clearing day when
its word names one (UnionPay's settleDate: after the 23:00 Beijing cut-off a payment is cleared
the next day), else the Asia/Shanghai day it was paid."""

from __future__ import annotations

from datetime import date, datetime

from paymux.channels.base import StatementRow, TradeResult, TradeState
from paymux.clock import CHINA, iso
from paymux.services.outcomes import apply_trade_result
from paymux.services.reconciliation_match import paid_trade
from tests.integration.conftest import World


def _paid_late(world: World, settle_date: str) -> tuple[str, date]:
    """A payment paid at 23:30 Beijing on 2026-12-01, as the channel reports it."""
    status, body = world.create()
    assert status == 201, body
    payment = world.d.payments.get(body["id"])
    assert payment is not None
    paid_at = datetime(2026, 12, 1, 23, 30, tzinfo=CHINA).timestamp()
    trade = TradeResult(
        out_trade_no=payment.out_trade_no,
        state=TradeState.PAID,
        amount=payment.amount,
        currency="CNY",
        channel_trade_no="CT" + payment.out_trade_no,
        paid_at=paid_at,
        mchid=world.mchid,
        appid=world.appid,
        settle_date=settle_date,
    )
    apply_trade_result(world.d, payment, trade, actor="channel_callback")
    return payment.payment_id, datetime.fromtimestamp(paid_at, CHINA).date()


def test_a_payment_with_a_clearing_day_is_reconciled_on_it(world: World) -> None:
    payment_id, paid_day = _paid_late(world, "2026-12-02")

    stored = world.d.payments.get(payment_id)
    assert stored is not None and stored.settle_date == "2026-12-02"
    next_day = [p.payment_id for p in world.d.payments.paid_on(world.account_id, date(2026, 12, 2))]
    assert next_day == [payment_id]
    assert world.d.payments.paid_on(world.account_id, paid_day) == []


def test_a_payment_without_one_is_reconciled_on_its_paid_day(world: World) -> None:
    payment_id, paid_day = _paid_late(world, "")

    stored = world.d.payments.get(payment_id)
    assert stored is not None and stored.settle_date == ""
    assert [p.payment_id for p in world.d.payments.paid_on(world.account_id, paid_day)] == [payment_id]
    assert world.d.payments.paid_on(world.account_id, date(2026, 12, 2)) == []


def test_a_repair_from_a_statement_row_books_the_payment_on_the_day_that_lists_it(world: World) -> None:
    """A UnionPay payment paid at 23:30 on 12-01 is listed on clearing day 12-02; repaired from
    that statement it is indexed on 12-02, so a re-run of 12-02 finds it (found by review)."""
    _, body = world.create()
    payment = world.d.payments.get(body["id"])
    assert payment is not None
    paid_at = datetime(2026, 12, 1, 23, 30, tzinfo=CHINA).timestamp()
    row = StatementRow(
        out_trade_no=payment.out_trade_no,
        kind="payment",
        amount=payment.amount,
        fee=0,
        channel_trade_no="CT1",
        status="SUCCESS",
        occurred_at=iso(paid_at),
        mchid=world.mchid,
        appid=world.appid,
        currency="CNY",
        settle_date="2026-12-02",
    )
    apply_trade_result(world.d, payment, paid_trade(row), actor="reconciliation")  # what a repair does
    assert [p.payment_id for p in world.d.payments.paid_on(world.account_id, date(2026, 12, 2))] == [
        payment.payment_id
    ]
    assert world.d.payments.paid_on(world.account_id, date(2026, 12, 1)) == []
