"""Refunds of every kind through reconciliation: an automatic refund (of a charge the payment
did not keep) is on the refunds-by-day index under its own attempt and account; ABNORMAL
refunds are neither failures nor successes (matched when the channel agrees, repaired when it
states SUCCESS); a sub-merchant's refunds are its own route's alone."""

from __future__ import annotations

import pytest

from paymux.domain.refund import automatic_refund_id
from paymux.store.refunds import refund_key
from tests.integration.conftest import World, notification_bodies
from tests.integration.partner_world import WeChatPartner, binding_run, reconcile_paid_day, wx_partner
from tests.integration.reconcile_bills import BillRow, serve_wechat_bills, wechat_bill
from tests.integration.test_automatic_refunds import double_charge
from tests.integration.test_reconcile import (
    NO_CLASSES,
    alone,
    away_from_midnight,
    discrepancies,
    reconcile,
    today,
)
from tests.integration.test_refund_outcomes import abnormal_refund
from tests.integration.test_refunds import wait_until
from tests.wechat_partner import SP_MCHID

__all__ = ["wx_partner"]  # a fixture


def _index_entry(world: World, refund_id: str) -> tuple[str, str]:
    item = world.d.dynamodb.get_item(TableName=world.d.settings.table, Key=refund_key(refund_id))["Item"]
    return item["GSI3PK"]["S"], item["GSI3SK"]["S"]


def test_an_automatic_refund_is_indexed_under_its_attempt_and_local_only_when_the_bill_lacks_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone(world)
    away_from_midnight(world)
    day = today(world)
    created, extra = double_charge(world)
    automatic = world.d.refunds.get(automatic_refund_id(extra))
    assert automatic is not None and automatic.status == "SUCCESS"
    pk, sk = _index_entry(world, automatic.refund_id)
    assert pk.startswith(f"REFUNDED#{world.account_id}#{day}#")
    assert sk == f"{automatic.refund_id}#{created['id']}#{extra}#3000#"
    kept = world.d.payments.get(created["id"]).out_trade_no
    bill = [BillRow(kept, 3000, world.clock()), BillRow(extra, 3000, world.clock())]
    serve_wechat_bills(monkeypatch, {day: wechat_bill(world, bill)})  # the refund's row is missing

    summary = reconcile(world, day)

    assert summary["counts"]["payment"] == NO_CLASSES | {"matched": 2}  # the extra one: its refund
    assert summary["counts"]["refund"] == NO_CLASSES | {"local_only": 1}
    (row,) = discrepancies(world, day)
    assert (row["class"], row["out_trade_no"], row["out_refund_no"], row["local_amount"]) == (
        "local_only",
        extra,
        automatic.out_refund_no,
        "3000",
    )


def test_abnormal_refunds_match_when_the_channel_agrees_and_are_repaired_when_it_states_success(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone(world)
    away_from_midnight(world)
    day = today(world)
    agreed_payment, agreed = abnormal_refund(world, 1000)
    paid_payment, paid_back = abnormal_refund(world, 2000)
    wait_until(lambda: world.d.refunds.get(paid_back["id"]).status == "ABNORMAL")
    assert world.d.refunds.get(agreed["id"]).status == "ABNORMAL"
    bill = [
        BillRow(world.out_trade_no(p["id"]), p["amount"], world.clock())
        for p in (agreed_payment, paid_payment)
    ]
    bill += [
        BillRow(
            world.out_trade_no(agreed_payment["id"]), 1000, world.clock(), "", agreed["id"][3:], "ABNORMAL"
        ),
        BillRow(
            world.out_trade_no(paid_payment["id"]), 2000, world.clock(), "", paid_back["id"][3:], "SUCCESS"
        ),
    ]
    serve_wechat_bills(monkeypatch, {day: wechat_bill(world, bill)})
    world.queued_messages()
    world.run_notifier()
    before = len(notification_bodies(world.merchant_endpoint))

    summary = reconcile(world, day)

    assert summary["counts"]["refund"] == NO_CLASSES | {"matched": 1, "status_mismatch": 1}
    (row,) = discrepancies(world, day)
    assert (row["out_refund_no"], row["local_status"], row["detail"]) == (
        paid_back["id"][3:],
        "ABNORMAL",
        "repaired ABNORMAL → SUCCESS by reconciliation",
    )
    assert world.d.refunds.get(paid_back["id"]).status == "SUCCESS"
    assert world.d.payments.get(paid_payment["id"]).status == "REFUNDED"  # refunded in full
    assert world.d.refunds.get(agreed["id"]).status == "ABNORMAL"  # the channel agrees: left to a person
    world.run_notifier()
    sent = [
        (b["type"], b["data"]["object"]["id"]) for b in notification_bodies(world.merchant_endpoint)[before:]
    ]
    assert ("refund.succeeded", paid_back["id"]) in sent


def test_a_sub_merchants_refunds_are_on_its_own_routes_index(wx_partner: WeChatPartner) -> None:
    world, shop, other = wx_partner.world, wx_partner.a, wx_partner.b
    away_from_midnight(world)
    created = shop.create("wechat.native")
    payment = world.d.payments.get(created["id"])
    world.sandbox.pay(SP_MCHID, payment.out_trade_no, openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    shop.wait_paid(created["id"])
    made = shop.refund(created["id"], 500)
    wait_until(lambda: shop.refund_status(made["id"]) == "SUCCESS")
    _, sk = _index_entry(world, str(made["id"]))
    assert sk.endswith("#" + shop.binding["binding_id"])

    _, summary = reconcile_paid_day(world, world.d.payments.get(created["id"]).paid_at or 0)

    mine = binding_run(summary, wx_partner.account.account_id, shop.binding["binding_id"])
    assert {c: n for c, n in mine["counts"]["refund"].items() if n} == {"matched": 1}
    theirs = binding_run(summary, wx_partner.account.account_id, other.binding["binding_id"])
    assert not any(theirs["counts"]["refund"].values())  # not the other sub-merchant's local_only
