"""The pending pool across three days, with the world's FakeClock put just before midnight
(Asia/Shanghai): records one side has and the other does not are `pending` on their day (listed,
counted, not alarmed), matched on a later day when their other half turns up (and listed under
`resolved` there), and reported with their own class once the third day's run has not found it.
Every day's run can be repeated with the same result."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from paymux.services import reconciliation
from tests.integration.conftest import World
from tests.integration.reconcile_bills import BillRow, serve_wechat_bills, wechat_bill
from tests.integration.test_reconcile import NO_CLASSES, SHANGHAI, account_of, alone, discrepancies, reconcile
from tests.integration.test_refunds import get_refund, paid_payment, refund, wait_until


def _just_before_midnight(world: World) -> datetime:
    now = datetime.fromtimestamp(world.clock(), SHANGHAI)
    target = now.replace(hour=23, minute=50, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    world.clock.advance((target - now).total_seconds())
    return target


def _without(summary: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k not in {"generated_at", *keys}}


def test_the_pending_pool_over_three_days(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    emitted: list[tuple[str, float]] = []
    monkeypatch.setattr(
        reconciliation, "emit_metric", lambda name, value=1, *a, **k: emitted.append((name, value))
    )
    alone(world)
    day1 = _just_before_midnight(world).date()
    day2, day3 = day1 + timedelta(days=1), day1 + timedelta(days=2)
    late, never, listed = paid_payment(world, 1000), paid_payment(world, 2000), paid_payment(world, 3000)
    code, made = refund(world, listed["id"], 300)
    assert code == 201
    wait_until(lambda: get_refund(world, made["id"])[1]["status"] == "SUCCESS")
    out_refund_no = made["id"].removeprefix("re_")
    at = world.clock()
    unknown = "UNKNOWN2026120100000000000001"
    serve_wechat_bills(
        monkeypatch,
        {
            # day 1: `listed` and a trade paymux never had, at 23:55; not `late`, `never`, nor the refund
            day1: wechat_bill(
                world,
                [BillRow(world.out_trade_no(listed["id"]), 3000, at), BillRow(unknown, 800, at + 300)],
            ),
            # day 2: the channel books `late` and the refund after midnight
            day2: wechat_bill(
                world,
                [
                    BillRow(world.out_trade_no(late["id"]), 1000, at + 630),
                    BillRow(world.out_trade_no(listed["id"]), 300, at + 640, "", out_refund_no, "SUCCESS"),
                ],
            ),
        },
    )

    first = reconcile(world, day1)

    assert first["counts"]["payment"] == NO_CLASSES | {"matched": 1, "pending": 3}
    assert first["counts"]["refund"] == NO_CLASSES | {"pending": 1}
    assert (first["discrepancies"], first["pending"]) == (0, 4)
    assert ("ReconciliationDiscrepancies", 0) in emitted and ("ReconciliationPending", 4) in emitted
    rows = discrepancies(world, day1)
    assert {r["class"] for r in rows} == {"pending"} and len(rows) == 4
    assert {(r["payment_id"], r["out_refund_no"]) for r in rows} == {
        (late["id"], ""),
        (never["id"], ""),
        ("", ""),
        (listed["id"], out_refund_no),
    }
    assert all("near midnight" in r["detail"] for r in rows)

    second = reconcile(world, day2)

    assert second["counts"]["payment"] == NO_CLASSES | {"matched": 1}
    assert second["counts"]["refund"] == NO_CLASSES | {"matched": 1}
    assert (second["discrepancies"], second["pending"], second["resolved"]) == (0, 0, 2)
    assert discrepancies(world, day2) == []
    resolved = {
        (r["kind"], r["number"], r["pooled_on"], r["class"]) for r in account_of(second, world)["resolved"]
    }
    assert resolved == {
        ("payment", world.out_trade_no(late["id"]), day1.isoformat(), "local_only"),
        ("refund", out_refund_no, day1.isoformat(), "local_only"),
    }

    third = reconcile(world, day3)

    assert third["counts"]["payment"] == NO_CLASSES | {"local_only": 1, "channel_only": 1}
    assert (third["discrepancies"], third["pending"]) == (2, 0)
    assert ("ReconciliationDiscrepancies", 2) in emitted
    rows = {r["class"]: r for r in discrepancies(world, day3)}
    assert rows["local_only"]["payment_id"] == never["id"]
    assert rows["channel_only"]["out_trade_no"] == unknown
    assert all(f"pooled on {day1}, not matched by {day3}" in r["detail"] for r in rows.values())

    # Every day again, in any order: the same summaries and reports.
    assert _without(reconcile(world, day2)) == _without(second)
    assert discrepancies(world, day2) == []
    assert _without(reconcile(world, day1)) == _without(first)
    assert _without(reconcile(world, day3)) == _without(third)
    assert {r["class"]: r for r in discrepancies(world, day3)} == rows


def test_a_pooled_record_whose_last_run_never_happened_is_reported_by_the_next_run(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone(world)
    day1 = _just_before_midnight(world).date()
    unknown = "UNKNOWN2026120100000000000002"
    serve_wechat_bills(monkeypatch, {day1: wechat_bill(world, [BillRow(unknown, 500, world.clock() + 300)])})
    assert reconcile(world, day1)["pending"] == 1

    later = reconcile(world, day1 + timedelta(days=5))  # the runs of days 2 to 5 never happened

    assert later["counts"]["payment"] == NO_CLASSES | {"channel_only": 1}
    (row,) = discrepancies(world, day1 + timedelta(days=5))
    assert row["out_trade_no"] == unknown and f"pooled on {day1}" in row["detail"]


def test_a_stale_pooled_record_whose_other_half_turns_up_later_is_matched_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Day 1 pools two payments paid here just before midnight; the runs of days 2 and 3 never
    happen. Day 4's statement lists one of them: the pair is matched (and resolved) there, once,
    not reported as the pooled record's `local_only` and the row's `channel_only` both; the other
    one, still unmatched, is reported for good."""
    alone(world)
    day1 = _just_before_midnight(world).date()
    day4 = day1 + timedelta(days=3)
    late, never = paid_payment(world, 1000), paid_payment(world, 2000)
    noon4 = datetime.combine(day4, datetime.min.time(), SHANGHAI).timestamp() + 12 * 3600
    serve_wechat_bills(
        monkeypatch,
        {
            day1: wechat_bill(world, []),
            day4: wechat_bill(world, [BillRow(world.out_trade_no(late["id"]), 1000, noon4)]),
        },
    )
    first = reconcile(world, day1)
    assert first["counts"]["payment"] == NO_CLASSES | {"pending": 2}

    fourth = reconcile(world, day4)

    assert fourth["counts"]["payment"] == NO_CLASSES | {"matched": 1, "local_only": 1}
    assert (fourth["discrepancies"], fourth["pending"], fourth["resolved"]) == (1, 0, 1)
    (row,) = discrepancies(world, day4)
    assert (row["class"], row["payment_id"]) == ("local_only", never["id"])
    assert f"pooled on {day1}, not matched by {day4}" in row["detail"]
    (resolved,) = account_of(fourth, world)["resolved"]
    assert (resolved["number"], resolved["pooled_on"], resolved["resolved_on"]) == (
        world.out_trade_no(late["id"]),
        day1.isoformat(),
        day4.isoformat(),
    )
    # a re-run of day 4 makes the same decisions
    assert _without(reconcile(world, day4)) == _without(fourth)
    assert discrepancies(world, day4) == [row]
