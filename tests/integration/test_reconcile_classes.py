"""Reconciliation's classes beyond the plain payment: refunds here and absent from the
statement (local_only, from the refunds-by-account-and-day index), refund status differences
both ways (repaired only to a final status the statement states), and trades paid here that
the channel lists as revoked or refunded. The statements are WeChat Pay ALL bills in the real
format (tests/integration/reconcile_bills.py), read by the channel's parser."""

from __future__ import annotations

from typing import Any

import pytest

from paymux.services import reconciliation
from paymux.store.refunds import refund_key
from paymux.store.reports import ReportStore
from tests.integration.conftest import World, notification_bodies
from tests.integration.reconcile_bills import BillRow, serve_wechat_bills, wechat_bill
from tests.integration.test_reconcile import (
    NO_CLASSES,
    account_of,
    alone,
    away_from_midnight,
    discrepancies,
    reconcile,
    today,
)
from tests.integration.test_reconcile_scale import reads  # noqa: F401 - a fixture used below
from tests.integration.test_refunds import get_refund, paid_payment, refund, wait_until


def _refunded(world: World, payment_id: str, amount: int, status: str = "SUCCESS") -> dict[str, Any]:
    code, made = refund(world, payment_id, amount)
    assert code == 201, made
    wait_until(lambda: get_refund(world, made["id"])[1]["status"] == status)
    return made


def _paid_row(world: World, payment: dict[str, Any]) -> BillRow:
    return BillRow(world.out_trade_no(payment["id"]), payment["amount"], world.clock())


def _refund_row(world: World, payment: dict[str, Any], made: dict[str, Any], status: str) -> BillRow:
    out_refund_no = made["id"].removeprefix("re_")
    return BillRow(
        world.out_trade_no(payment["id"]), made["amount"], world.clock(), "", out_refund_no, status
    )


def _by_refund(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {"re_" + r["out_refund_no"]: r for r in rows if r["out_refund_no"]}


def test_a_refund_here_absent_from_the_statement_is_local_only_and_a_listed_one_reads_no_refund(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    reads: list[tuple[str, dict[str, Any]]],  # noqa: F811 - the fixture
) -> None:
    alone(world)
    away_from_midnight(world)
    day = today(world)
    first, second = paid_payment(world, 1000), paid_payment(world, 2000)
    missing, listed = _refunded(world, first["id"], 300), _refunded(world, second["id"], 500)
    item = world.d.dynamodb.get_item(TableName=world.d.settings.table, Key=refund_key(missing["id"]))["Item"]
    assert item["GSI3PK"]["S"].startswith(f"REFUNDED#{world.account_id}#{day}#")
    bill = [_paid_row(world, first), _paid_row(world, second), _refund_row(world, second, listed, "SUCCESS")]
    serve_wechat_bills(monkeypatch, {day: wechat_bill(world, bill)})
    reads.clear()

    summary = reconcile(world, day)

    assert summary["counts"]["refund"] == NO_CLASSES | {"matched": 1, "local_only": 1}
    assert summary["counts"]["payment"] == NO_CLASSES | {"matched": 2}
    (row,) = discrepancies(world, day)
    assert (row["class"], row["out_refund_no"], row["payment_id"]) == (
        "local_only",
        missing["id"].removeprefix("re_"),
        first["id"],
    )
    assert (row["local_status"], row["local_amount"], row["channel_amount"]) == ("SUCCESS", "300", "")
    keys_read = [p["Key"]["PK"]["S"] for n, p in reads if n == "GetItem"]
    keys_read += [
        k["PK"]["S"]
        for n, p in reads
        if n == "BatchGetItem"
        for t in p["RequestItems"].values()
        for k in t["Keys"]
    ]
    assert f"REFUND#{listed['id']}" not in keys_read  # matched from the index's sort key alone
    assert keys_read.count(f"REFUND#{missing['id']}") <= 1  # read once, in a batch, for its report


def test_refund_statuses_that_differ_are_repaired_only_to_what_the_statement_states_as_final(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone(world)
    away_from_midnight(world)
    day = today(world)
    payments = [paid_payment(world, 1000 + n) for n in range(5)]
    closed_there, processing_there = (
        _refunded(world, payments[0]["id"], 100),
        _refunded(world, payments[1]["id"], 100),
    )
    world.sandbox.auto_complete_refunds = False  # the next refunds stay PROCESSING here
    succeeded_there = _refunded(world, payments[2]["id"], 200, "PROCESSING")
    failed_there = _refunded(world, payments[3]["id"], 300, "PROCESSING")
    abnormal_there = _refunded(world, payments[4]["id"], 400, "PROCESSING")
    bill = [_paid_row(world, p) for p in payments]
    bill += [
        _refund_row(world, payments[0], closed_there, "REFUNDCLOSE"),
        _refund_row(world, payments[1], processing_there, "PROCESSING"),
        _refund_row(world, payments[2], succeeded_there, "SUCCESS"),
        _refund_row(world, payments[3], failed_there, "REFUNDCLOSE"),
        _refund_row(world, payments[4], abnormal_there, "ABNORMAL"),
    ]
    serve_wechat_bills(monkeypatch, {day: wechat_bill(world, bill)})
    world.queued_messages()
    world.run_notifier()
    before = len(notification_bodies(world.merchant_endpoint))

    summary = reconcile(world, day)

    assert summary["counts"]["refund"] == NO_CLASSES | {"status_mismatch": 5}
    assert summary["repaired"] == 2
    rows = _by_refund(discrepancies(world, day))
    status = {r: world.d.refunds.get(r).status.value for r in rows}
    assert status == {
        closed_there["id"]: "SUCCESS",  # final here: reported, never undone
        processing_there["id"]: "SUCCESS",
        succeeded_there["id"]: "SUCCESS",  # repaired
        failed_there["id"]: "FAILED",  # repaired: REFUNDCLOSE is final
        abnormal_there["id"]: "PROCESSING",  # ABNORMAL is not final: reported only
    }
    assert "repaired PROCESSING → SUCCESS by reconciliation" in rows[succeeded_there["id"]]["detail"]
    assert "repaired PROCESSING → FAILED by reconciliation" in rows[failed_there["id"]]["detail"]
    assert "not repaired" in rows[closed_there["id"]]["detail"]
    assert "not repaired" in rows[abnormal_there["id"]]["detail"]
    assert rows[succeeded_there["id"]]["local_status"] == "PROCESSING"
    events = [e for e in world.d.payments.events(payments[2]["id"]) if e["actor"] == "reconciliation"]
    # the refund's one event, by reconciliation (a partial refund changes no payment status)
    assert [(e["type"], e.get("refund_id") or "", e["to_status"]) for e in events] == [
        ("refund.succeeded", succeeded_there["id"], "SUCCESS"),
    ]
    assert world.d.payments.get(payments[2]["id"]).amount_refunded == 200
    world.run_notifier()
    sent = notification_bodies(world.merchant_endpoint)[before:]
    assert sorted(b["type"] for b in sent) == ["refund.failed", "refund.succeeded"]
    assert account_of(summary, world)["repairs"][0]["to_status"] in ("SUCCESS", "FAILED")

    # Again: the same summary; nothing is repaired or sent twice.
    again = reconcile(world, day)
    assert {k: v for k, v in again.items() if k != "generated_at"} == {
        k: v for k, v in summary.items() if k != "generated_at"
    }
    assert [e for e in world.d.payments.events(payments[2]["id"]) if e["actor"] == "reconciliation"] == events
    assert world.queued_messages() == []


def test_a_payment_paid_here_that_the_channel_lists_revoked_or_refunded_is_a_status_mismatch(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone(world)
    away_from_midnight(world)
    day = today(world)
    revoked, refunded, kept = paid_payment(world, 1500), paid_payment(world, 2500), paid_payment(world, 100)
    bill = [
        BillRow(world.out_trade_no(revoked["id"]), 1500, world.clock(), "REVOKED"),
        _paid_row(world, refunded),
        BillRow(
            world.out_trade_no(refunded["id"]),
            2500,
            world.clock(),
            "",
            "RF0000000000000000000000CHAN",
            "SUCCESS",
        ),
        _paid_row(world, kept),
    ]
    serve_wechat_bills(monkeypatch, {day: wechat_bill(world, bill)})

    summary = reconcile(world, day)

    assert summary["counts"]["payment"] == NO_CLASSES | {"matched": 2, "status_mismatch": 1}
    assert summary["counts"]["refund"] == NO_CLASSES | {"status_mismatch": 1}
    rows = {(r["payment_id"], r["out_refund_no"]): r for r in discrepancies(world, day)}
    row = rows[(revoked["id"], "")]
    assert (row["class"], row["local_status"]) == ("status_mismatch", "SUCCESS")
    assert "REVOKED at the channel, SUCCESS here (never repaired)" in row["detail"]
    row = rows[(refunded["id"], "RF0000000000000000000000CHAN")]
    assert row["class"] == "status_mismatch" and "refunded in full at the channel" in row["detail"]
    assert {world.d.payments.get(p["id"]).status.value for p in (revoked, refunded)} == {"SUCCESS"}


def test_a_rerun_after_a_run_that_died_before_its_report_reports_its_repairs_as_repairs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone(world)
    away_from_midnight(world)
    day = today(world)
    paid = paid_payment(world, 1000)
    world.sandbox.auto_complete_refunds = False
    open_refund = _refunded(world, paid["id"], 100, "PROCESSING")
    _, lost = world.create(amount=1999)
    world.catcher.forward = False  # its callback never reaches us
    world.sandbox.pay(world.mchid, world.out_trade_no(lost["id"]))
    before = world.d.payments.get(lost["id"]).status.value
    bill = [
        _paid_row(world, paid),
        BillRow(world.out_trade_no(lost["id"]), 1999, world.clock()),
        _refund_row(world, paid, open_refund, "SUCCESS"),
    ]
    serve_wechat_bills(monkeypatch, {day: wechat_bill(world, bill)})
    crashes = [RuntimeError("the function ran out of time")]
    put_text = ReportStore.put_text

    def dies_once(self: ReportStore, *args: Any, **kwargs: Any) -> None:
        if crashes:
            raise crashes.pop()
        put_text(self, *args, **kwargs)

    monkeypatch.setattr(ReportStore, "put_text", dies_once)
    with pytest.raises(RuntimeError):
        reconciliation.reconcile_day(world.d, day)  # repaired both, then died before its report
    assert world.d.payments.get(lost["id"]).status == "SUCCESS"
    assert world.d.refunds.get(open_refund["id"]).status == "SUCCESS"

    summary = reconcile(world, day)

    assert summary["counts"]["payment"] == NO_CLASSES | {"matched": 1, "status_mismatch": 1}
    assert summary["counts"]["refund"] == NO_CLASSES | {"status_mismatch": 1}
    assert summary["repaired"] == 2
    rows = {(r["payment_id"], r["out_refund_no"]): r for r in discrepancies(world, day)}
    assert rows[(lost["id"], "")]["detail"] == f"repaired {before} → SUCCESS by reconciliation"
    assert rows[(lost["id"], "")]["local_status"] == before
    refund_row = rows[(paid["id"], open_refund["id"].removeprefix("re_"))]
    assert (refund_row["detail"], refund_row["local_status"]) == (
        "repaired PROCESSING → SUCCESS by reconciliation",
        "PROCESSING",
    )
