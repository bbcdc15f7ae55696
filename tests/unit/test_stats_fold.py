"""What each payment and refund change adds to the stats buckets (services.stats_fold), and the
figures the answer derives from the counters (services.stats_figures)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from paymux.clock import CHINA
from paymux.domain.ids import attempt_out_trade_no
from paymux.services.stats import check_range
from paymux.services.stats_figures import answer, figures
from paymux.services.stats_fold import fold
from paymux.store.buckets import COUNTERS, BucketKey, merge, period_start

PAY_ID = "pay_01KB0000000000000000000000"
T0 = datetime(2026, 12, 1, 10, 7, tzinfo=CHINA).timestamp()


def payment(status: str, **changes: object) -> dict[str, object]:
    return {
        "PK": f"PAY#{PAY_ID}",
        "SK": "PAY",
        "payment_id": PAY_ID,
        "merchant_id": "mch_a",
        "method": "wechat.native",
        "provider": "wechat",
        "currency": "CNY",
        "amount": 1999,
        "status": status,
        "out_trade_no": attempt_out_trade_no(PAY_ID, 1),
        "created_at": T0,
        "updated_at": T0,
        **changes,
    }


def nothing(_: str) -> None:
    return None


def counters(deltas: list) -> list[tuple[float, dict[str, int]]]:
    return [(d.at, d.counters) for d in deltas]


def test_a_new_payment_counts_as_created_in_its_creation_hour():
    assert counters(fold(None, payment("PENDING"), nothing)) == [(T0, {"created": 1})]


def test_a_payment_paid_counts_by_its_paid_time_not_its_creation():
    paid = payment("SUCCESS", paid_at=T0 + 7200, updated_at=T0 + 7200)
    assert counters(fold(payment("PROCESSING"), paid, nothing)) == [
        (T0 + 7200, {"succeeded": 1, "amount_succeeded": 1999})
    ]


def test_a_payment_paid_on_a_fallback_attempt_is_rescued_and_on_the_method_it_ended_on():
    paid = payment(
        "SUCCESS",
        paid_at=T0 + 60,
        method="alipay.qr",
        provider="alipay",
        out_trade_no=attempt_out_trade_no(PAY_ID, 2),
    )
    (delta,) = fold(payment("PENDING"), paid, nothing)
    assert delta.counters == {"succeeded": 1, "amount_succeeded": 1999, "rescued": 1, "amount_rescued": 1999}
    assert delta.key == BucketKey("mch_a", "alipay.qr", "alipay", "CNY")


@pytest.mark.parametrize(
    ("status", "changes", "outcome", "at"),
    [
        ("FAILED", {"updated_at": T0 + 5}, "failed", T0 + 5),
        ("CLOSED", {"closed_at": T0 + 900, "updated_at": T0 + 901}, "closed", T0 + 900),
    ],
)
def test_unpaid_outcomes_count_at_their_transition(status, changes, outcome, at):
    assert counters(fold(payment("PENDING"), payment(status, **changes), nothing)) == [(at, {outcome: 1})]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (payment("PENDING"), payment("PROCESSING")),  # not an outcome
        (payment("PENDING"), payment("PENDING", attempt_count=2)),  # a fallback attempt added
        (payment("SUCCESS", paid_at=T0), payment("REFUNDED", paid_at=T0)),  # paid once, counted once
        (payment("SUCCESS", paid_at=T0), payment("SUCCESS", paid_at=T0, amount_refunded=5)),
        (payment("CLOSED", closed_at=T0), payment("CLOSED", closed_at=T0, automatic_refunds={"x": {}})),
        (payment("SUCCESS", paid_at=T0), None),  # REMOVE
    ],
)
def test_changes_that_are_not_outcomes_add_nothing(old, new):
    assert fold(old, new, nothing) == []


def test_the_backfill_fold_of_a_stored_payment_is_its_creation_and_its_outcome():
    stored = payment("REFUNDED", paid_at=T0 + 60)
    assert counters(fold(None, stored, nothing)) == [
        (T0, {"created": 1}),
        (T0 + 60, {"succeeded": 1, "amount_succeeded": 1999}),
    ]


def refund(status: str, **changes: object) -> dict[str, object]:
    return {
        "PK": "REFUND#re_01KB0000000000000000000001",
        "SK": "REFUND",
        "refund_id": "re_01KB0000000000000000000001",
        "payment_id": PAY_ID,
        "merchant_id": "mch_a",
        "amount": 500,
        "currency": "CNY",
        "status": status,
        "kind": "merchant",
        **changes,
    }


def test_a_refund_counts_once_at_its_success_under_its_payments_method():
    looked_up = []

    def payment_of(payment_id: str) -> dict[str, object]:
        looked_up.append(payment_id)
        return payment("SUCCESS", method="wechat.h5")

    (delta,) = fold(refund("PROCESSING"), refund("SUCCESS", succeeded_at=T0 + 30), payment_of)
    assert (delta.at, delta.counters, delta.key.method, looked_up) == (
        T0 + 30,
        {"refunds": 1, "amount_refunded": 500},
        "wechat.h5",
        [PAY_ID],
    )
    assert (
        fold(refund("SUCCESS", succeeded_at=T0), refund("SUCCESS", succeeded_at=T0, version=3), payment_of)
        == []
    )
    assert fold(refund("PROCESSING"), refund("FAILED"), payment_of) == []
    automatic = refund("SUCCESS", succeeded_at=T0, kind="automatic")
    assert fold(refund("PROCESSING", kind="automatic"), automatic, payment_of) == []


def test_other_items_add_nothing():
    event = {"PK": f"PAY#{PAY_ID}", "SK": "EVT#000002", "status": "SUCCESS"}
    bucket = {"PK": "STATS#mch_a#1h#2026-12-01", "SK": "2026-12-01T10:00#x#y#CNY", "succeeded": 1}
    assert fold(None, event, nothing) == [] and fold(None, bucket, nothing) == []


def test_a_delta_lands_in_its_quarter_hour_and_day_in_shanghai_time():
    late = datetime(2026, 12, 1, 23, 59, tzinfo=CHINA).timestamp()  # 15:59 UTC
    buckets = merge(fold(None, payment("PENDING", created_at=late), nothing))
    starts = sorted((b.granularity, b.start.isoformat()) for b in buckets)
    assert starts == [
        ("15m", "2026-12-01T23:45:00+08:00"),
        ("1d", "2026-12-01T00:00:00+08:00"),
        ("1h", "2026-12-01T23:00:00+08:00"),
    ]
    assert period_start(late, "15m").utcoffset() == timedelta(hours=8)


def session(status: str, **changes: object) -> dict[str, object]:
    return {
        "PK": "CHECKOUT#cs_1",
        "SK": "CHECKOUT",
        "session_id": "cs_1",
        "merchant_id": "mch_a",
        "status": status,
        "version": 1,
        **changes,
    }


def test_a_completed_checkout_session_counts_once_under_the_chosen_method_at_its_completion():
    def paid(payment_id: str) -> dict[str, object] | None:
        assert payment_id == PAY_ID
        return payment("SUCCESS", method="alipay.qr", provider="alipay", paid_at=T0 + 60)

    completed = session("completed", payment_id=PAY_ID, method="alipay.qr", completed_at=T0 + 90)
    (delta,) = fold(session("open", method="wechat.native"), completed, paid)
    assert (delta.key, delta.at, delta.counters) == (
        BucketKey("mch_a", "alipay.qr", "alipay", "CNY"),
        T0 + 90,
        {"checkout_completed": 1},
    )
    assert fold(None, completed, paid) == [delta]  # the backfill's view: written completed
    assert fold(completed, {**completed, "version": 2}, paid) == []  # already completed
    assert fold(session("open"), session("expired"), paid) == []
    assert fold(session("open"), session("open", method="alipay.qr"), paid) == []  # a choice only
    assert fold(session("open"), completed, nothing) == []  # its payment unknown
    assert fold(completed, None, paid) == []  # REMOVE


def test_the_figures_define_the_rates_and_the_average():
    sums = dict.fromkeys(COUNTERS, 0) | {"succeeded": 3, "failed": 1, "closed": 0, "rescued": 1}
    sums["amount_succeeded"] = 1000
    got = figures(sums)
    assert (got["ended"], got["success_rate"], got["success_rate_without_fallback"]) == (4, 0.75, 0.5)
    assert got["average_transaction_value"] == 333  # 333.33 rounded half up
    assert (
        figures(dict.fromkeys(COUNTERS, 0) | {"succeeded": 2, "amount_succeeded": 3})[
            "average_transaction_value"
        ]
        == 2
    )
    empty = figures(dict.fromkeys(COUNTERS, 0))
    assert (empty["success_rate"], empty["average_transaction_value"]) == (None, None)


def test_the_answer_sums_hours_into_days_and_groups_by_hour_of_day():
    start = datetime(2026, 12, 1, tzinfo=CHINA)
    items = [
        {
            "period": "2026-12-01T09:00:00+08:00",
            "method": "wechat.native",
            "succeeded": 2,
            "amount_succeeded": 300,
            "checkout_completed": 3,
        },
        {
            "period": "2026-12-02T09:00:00+08:00",
            "method": "alipay.qr",
            "succeeded": 1,
            "amount_succeeded": 100,
            "checkout_completed": 1,
        },
        {"period": "2026-12-02T21:00:00+08:00", "method": "alipay.qr", "failed": 1},
    ]
    body = answer(items, start, start + timedelta(days=2), "1d", "hour", "CNY")
    assert [(p["period"], p["succeeded"], p["ended"]) for p in body["series"]] == [
        ("2026-12-01T00:00:00+08:00", 2, 2),
        ("2026-12-02T00:00:00+08:00", 1, 2),
    ]
    assert [(g["group"], g["totals"]["succeeded"], g["totals"]["failed"]) for g in body["groups"]] == [
        ("09", 3, 0),
        ("21", 0, 1),
    ]
    assert body["method_mix"] == [
        {
            "method": "alipay.qr",
            "count": 1,
            "amount": 100,
            "count_share": round(1 / 3, 6),
            "amount_share": 0.25,
            "checkout_completed": 1,
            "checkout_share": 0.25,
        },
        {
            "method": "wechat.native",
            "count": 2,
            "amount": 300,
            "count_share": round(2 / 3, 6),
            "amount_share": 0.75,
            "checkout_completed": 3,
            "checkout_share": 0.75,
        },
    ]


def test_a_daily_query_grouped_by_hour_reads_hourly_buckets():
    start = datetime(2026, 12, 1, tzinfo=CHINA)
    assert check_range(start, start + timedelta(days=31), "1d", "hour") == "1h"
    assert check_range(start, start + timedelta(days=92), "1d", "method") == "1d"
    assert check_range(start, start + timedelta(days=7), "15m", None) == "15m"
