"""The local-load benchmark: its arithmetic and checks on made-up runs, and one small real run
through `python -m local`, asserting what must hold whatever the timings (no timed assertions)."""

from __future__ import annotations

from typing import Any

from bench import local_load
from bench.__main__ import SECTIONS
from bench.local_load import Order

BARE = {"puts": 10, "per_second": 100.0, "ms": {"p50": 2.0, "p95": 3.0, "p99": 4.0, "n": 10}}


def _summary(orders: list[Order], received: dict[str, list[tuple[str, float]]], rss: int = 2**28) -> Any:
    phases = local_load.Phases(started=0.0, created=5.0, notified=10.0, load_at_start=0.0)
    return local_load.summarize(orders, received, 0, phases, rss, BARE, 2)


def _orders(n: int, create_ms: float = 10.0) -> list[Order]:
    return [
        Order(i, payment_id=f"pay_{i}", create_ms=create_ms, created=True, paid_at=1.0, status="SUCCESS")
        for i in range(n)
    ]


def test_a_run_where_every_order_ends_notified_once_passes() -> None:
    orders = _orders(10)
    received = {o.payment_id: [("payment.succeeded", 1.5)] for o in orders}

    result = _summary(orders, received)

    assert result["checks"] == dict.fromkeys(result["checks"], True)
    assert result["pay_to_notify_ms"]["p50"] == 500.0
    assert result["lifecycles_per_second"] == 1.0 and result["creates_per_second"] == 2.0
    assert result["create_vs_put_item"] == {"throughput": 0.02, "p50": 5.0}  # 2/s of 100/s; 10 ms / 2 ms


def test_duplicates_missing_notifications_and_open_orders_fail_their_checks() -> None:
    orders = _orders(10)
    orders[3].status = "PROCESSING"
    received = {o.payment_id: [("payment.succeeded", 1.5)] for o in orders[1:]}
    received["pay_2"].append(("payment.succeeded", 2.0))

    result = _summary(orders, received)

    assert result["orders"]["never_notified"] == 1 and result["orders"]["notified_more_than_once"] == 1
    assert result["orders"]["terminal"] == 9
    assert not result["checks"]["every order notified once"]
    assert not result["checks"]["every order terminal"]


def test_create_latency_that_grows_and_memory_over_the_limit_fail() -> None:
    orders = _orders(10)
    for order in orders[8:]:
        order.create_ms = 16.0  # the last window (n // 5 = 2) at 1.6x the first
    received = {o.payment_id: [("payment.succeeded", 1.5)] for o in orders}

    result = _summary(orders, received, rss=2 * 2**30)

    assert result["flat"] == {"window": 2, "first_p50": 10.0, "last_p50": 16.0, "ratio": 1.6}
    assert not result["checks"]["create latency flat"]
    assert not result["checks"]["stack memory under 1.5 GB"]


def test_the_section_is_registered() -> None:
    assert ("local_load", local_load.run) in SECTIONS


def test_a_small_run_through_make_dev_s_stack_ends_every_order_terminal_and_notified_once() -> None:
    result = local_load.measure(payments=100, clients=5, bare_puts=50, settle_s=45)

    orders = result["orders"]
    assert orders["error_count"] == 0, orders["errors"]
    assert orders["created"] == 100
    assert orders["statuses"] == {"SUCCESS": 100}
    assert orders["notified_once"] == 100
    assert orders["never_notified"] == orders["notified_more_than_once"] == 0
    assert orders["unverified_notifications"] == 0
    assert result["create_ms"]["n"] == result["pay_to_notify_ms"]["n"] == 100
    assert result["bare_put_item"]["ms"]["n"] == 50
    assert result["peak_rss_bytes"] > 0
