"""The stats buckets through the real local stack: payments made through the handlers, the
table's stream read shard by shard and handed to StatsStreamFunction as Lambda would, then
GET /v1/stats. The figures equal a direct count of the stored payments, and stay equal when
the stream is delivered again, shuffled and duplicated, and after a backfill."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from local.state import write_state
from local.streams import StreamPoller
from paymux.api.resources import StatsResource
from paymux.clock import CHINA
from paymux.services.stats import StatsScope, query
from paymux.services.stats_backfill import rebuild
from tests.integration.conftest import World
from tests.integration.test_ops_cli import ops
from tests.integration.test_refunds import get_refund, paid_payment, refund, wait_until
from tests.support import invoke


@pytest.fixture
def poller(world: World) -> StreamPoller:
    (subscription,) = world.stack.stream_subscriptions
    # LATEST: this test's writes only (the session's stream also holds earlier tests').
    found = StreamPoller(subscription, world.stack.invoke, "us-east-1", position="LATEST")
    found.poll_once()
    return found


def drain(poller: StreamPoller) -> int:
    handed = 0
    while count := poller.poll_once():
        handed += count
    return handed


def seeded_day(world: World) -> list[str]:
    """Two paid payments (one half refunded), one closed, one left open."""
    first = paid_payment(world, 1000)
    world.clock.advance(600)
    second = paid_payment(world, 25_000)
    status, refunded = refund(world, second["id"], 12_500)
    assert status == 201
    wait_until(lambda: get_refund(world, refunded["id"])[1]["status"] == "SUCCESS")
    _, closed = world.create(amount=300)
    assert world.close(closed["id"])[0] == 200
    _, still_open = world.create(amount=700)
    return [first["id"], second["id"], closed["id"], still_open["id"]]


def direct_count(world: World, payment_ids: list[str]) -> dict[str, int]:
    payments = [world.d.payments.get(p) for p in payment_ids]
    assert all(payments)
    paid = [p for p in payments if p and p.status in ("SUCCESS", "REFUNDED")]
    refunds = [r for p in paid for r in world.d.refunds.for_payment(p.payment_id) if r.status == "SUCCESS"]
    return {
        "created": len(payments),
        "succeeded": len(paid),
        "failed": sum(p.status == "FAILED" for p in payments if p),
        "closed": sum(p.status == "CLOSED" for p in payments if p),
        "amount_succeeded": sum(p.amount for p in paid),
        "refunds": len(refunds),
        "amount_refunded": sum(r.amount for r in refunds),
    }


def day_range(world: World) -> tuple[datetime, datetime]:
    day = datetime.fromtimestamp(world.clock(), CHINA).date()
    start = datetime(day.year, day.month, day.day, tzinfo=CHINA)
    return start, start + timedelta(days=1)


def stats_over_api(world: World, granularity: str, group_by: str = "") -> dict[str, Any]:
    start, end = day_range(world)
    query_string = f"from={start.date().isoformat()}&to={end.date().isoformat()}&granularity={granularity}"
    if group_by:
        query_string += f"&group_by={group_by}"
    status, body = world.call("get_stats.json", path="/v1/stats", query=query_string)
    assert status == 200, body
    StatsResource.model_validate(body)
    return dict(body)


def picked(totals: dict[str, Any]) -> dict[str, int]:
    return {
        k: totals[k]
        for k in (
            "created",
            "succeeded",
            "failed",
            "closed",
            "amount_succeeded",
            "refunds",
            "amount_refunded",
        )
    }


def test_a_seeded_day_through_the_stream_equals_a_direct_count(world: World, poller: StreamPoller):
    payment_ids = seeded_day(world)
    assert drain(poller) > 0
    expected = direct_count(world, payment_ids)
    assert expected == {
        "created": 4,
        "succeeded": 2,
        "failed": 0,
        "closed": 1,
        "amount_succeeded": 26_000,
        "refunds": 1,
        "amount_refunded": 12_500,
    }
    for granularity in ("15m", "1h", "1d"):
        body = stats_over_api(world, granularity)
        assert picked(body["totals"]) == expected, granularity
        assert sum(p["succeeded"] for p in body["series"]) == 2
    totals = stats_over_api(world, "1d")["totals"]
    assert totals["success_rate"] == round(2 / 3, 6) and totals["average_transaction_value"] == 13_000
    (mix,) = stats_over_api(world, "1d", "method")["method_mix"]
    assert (mix["method"], mix["count"], mix["amount"], mix["count_share"]) == (
        "wechat.native",
        2,
        26_000,
        1.0,
    )


def records_since(world: World, start: str) -> list[dict[str, Any]]:
    """Every record the stream holds from `start`, as Lambda hands them over."""
    (subscription,) = world.stack.stream_subscriptions
    collected: list[dict[str, Any]] = []
    replay = StreamPoller(
        subscription, lambda _f, e: collected.extend(e["Records"]), "us-east-1", position=start
    )
    drain(replay)
    return collected


def test_a_replayed_shuffled_duplicated_stream_counts_nothing_twice(world: World, poller: StreamPoller):
    seen: list[dict[str, Any]] = []
    mine = StreamPoller(
        poller.subscription,
        lambda f, e: (seen.extend(e["Records"]), world.stack.invoke(f, e))[1],
        "us-east-1",
        position="LATEST",
    )
    mine.poll_once()
    payment_ids = seeded_day(world)
    drain(mine)
    expected = direct_count(world, payment_ids)
    before = stats_over_api(world, "15m", "method")

    assert len(seen) > 8
    assert invoke("stats_stream", {"Records": seen}) == {"batchItemFailures": []}  # replayed as it was
    batch = seen * 3
    random.Random(17).shuffle(batch)
    for start in range(0, len(batch), 7):
        assert invoke("stats_stream", {"Records": batch[start : start + 7]}) == {"batchItemFailures": []}

    after = stats_over_api(world, "15m", "method")
    assert after == before
    assert picked(after["totals"]) == expected
    # The marker is what holds: the same change under another event id is counted again.
    paid = next(r for r in seen if r["dynamodb"].get("NewImage", {}).get("status", {}).get("S") == "SUCCESS")
    invoke("stats_stream", {"Records": [{**paid, "eventID": "another-" + paid["eventID"]}]})
    assert stats_over_api(world, "15m")["totals"]["succeeded"] == expected["succeeded"] + 1
    rebuild(world.d, day_range(world)[0].date(), day_range(world)[0].date())  # and the backfill repairs it
    assert stats_over_api(world, "15m", "method") == before

    start, end = day_range(world)
    merchant = world.d.payments.get(payment_ids[0]).merchant_id  # type: ignore[union-attr]
    rebuilt = rebuild(world.d, start.date(), start.date())
    assert rebuilt["buckets"] > 0
    assert stats_over_api(world, "15m", "method") == before
    operator = query(world.d, StatsScope.all_merchants(), start, end, "1d")
    assert picked(operator["totals"]) == expected  # the world's table holds this merchant alone
    assert picked(query(world.d, StatsScope.merchant(merchant), start, end, "1h")["totals"]) == expected


def test_the_backfill_cli_rebuilds_a_day_from_the_payments_alone(world: World, tmp_path):
    payment_ids = seeded_day(world)  # the stream is not read: the buckets come from the payments
    state = tmp_path / "stack.json"
    write_state(state, world.stack.state())
    day = day_range(world)[0].date().isoformat()
    merchant = world.d.payments.get(payment_ids[0]).merchant_id  # type: ignore[union-attr]

    ran = ops(state, "stats", "backfill", "--from", day, "--to", day)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["buckets"] > 0
    again = ops(state, "stats", "backfill", "--from", day, "--to", day, "--merchant", merchant)
    assert again.returncode == 0, again.stderr  # idempotent: the same items again

    shown = ops(state, "stats", "show", "--from", day, "--to", day_range(world)[1].date().isoformat())
    assert shown.returncode == 0, shown.stderr
    assert picked(json.loads(shown.stdout)["totals"]) == direct_count(world, payment_ids)
    assert picked(stats_over_api(world, "1h")["totals"]) == direct_count(world, payment_ids)

    refused = ops(state, "stats", "backfill", "--from", day, "--to", "2020-01-01")
    assert refused.returncode == 2 and "from <= to" in refused.stderr


def test_the_consoles_dashboard_shows_what_the_stats_api_answers(world: World, poller: StreamPoller):
    """The console reads the real stats service (console/stats_port.ServiceStats): for a
    seeded day, a merchant user's dashboard figures are what GET /v1/stats answers the merchant."""
    from paymux.console.dashboard import dashboard
    from paymux.console.identity import ConsoleUser
    from paymux.console.stats_port import ServiceStats

    seeded_day(world)
    assert drain(poller) > 0
    api = stats_over_api(world, "1h", "method")
    day = day_range(world)[0].date().isoformat()
    app = world.d.merchants.app(world.app_id)
    assert app is not None
    merchant = ConsoleUser(sub="s-1", username="m", role="merchant", merchant_id=app.merchant_id)
    shown = dashboard(ServiceStats(world.d), merchant, {"day": day, "granularity": "1h"})
    totals = api["totals"]
    assert shown["totals"]["count"] == totals["ended"] == 3
    assert shown["totals"]["success_count"] == totals["succeeded"] == 2
    assert shown["totals"]["amount"] == totals["amount_succeeded"] == 26_000
    assert shown["totals"]["success_rate"] == totals["success_rate"]
    assert shown["totals"]["average_amount"] == totals["average_transaction_value"] == 13_000
    assert shown["method_mix"] == [
        {
            "method": "wechat.native",
            "count": 2,
            "amount": 26_000,
            "checkout_completed": 0,
            "checkout_share": 0,
        }
    ]
    paid_hours = {p["period"] for p in api["groups"][0]["series"] if p["succeeded"]}
    assert paid_hours and paid_hours <= {p["period"] for p in shown["by_method"] if p["success_count"]}


def test_a_completed_checkout_session_counts_once_under_the_chosen_method(world: World, poller: StreamPoller):
    """The share of each checkout method: a session completed through the real flow is one
    `checkout_completed` under the method the payer chose, the records replayed add nothing,
    one left open adds nothing, and the backfill rebuilds the same count from the payments."""
    from paymux.checkout.choose import choose, open_session
    from paymux.checkout.sessions import sessions
    from tests.integration.test_checkout_sessions import DESKTOP, create, session_body

    seen: list[dict[str, Any]] = []
    mine = StreamPoller(
        poller.subscription,
        lambda f, e: (seen.extend(e["Records"]), world.stack.invoke(f, e))[1],
        "us-east-1",
        position="LATEST",
    )
    mine.poll_once()
    _, paid = create(world, session_body(amount=2500))
    payment = choose(world.d, open_session(world.d, paid["id"]), "wechat.native", DESKTOP, "")
    world.sandbox.pay(world.mchid, payment.out_trade_no)
    wait_until(lambda: sessions(world.d).get(paid["id"]).status == "completed")  # type: ignore[union-attr]
    _, left_open = create(world, session_body(amount=900))
    choose(world.d, open_session(world.d, left_open["id"]), "wechat.native", DESKTOP, "")
    drain(mine)
    assert any(r["dynamodb"]["Keys"]["SK"]["S"] == "CHECKOUT" for r in seen)

    def checkout_mix() -> list[tuple[str, int, float | None]]:
        body = stats_over_api(world, "1h", "method")
        assert body["totals"]["checkout_completed"] == sum(
            m["checkout_completed"] for m in body["method_mix"]
        )
        return [(m["method"], m["checkout_completed"], m["checkout_share"]) for m in body["method_mix"]]

    assert checkout_mix() == [("wechat.native", 1, 1.0)]
    batch = seen * 2
    random.Random(5).shuffle(batch)
    assert invoke("stats_stream", {"Records": batch}) == {"batchItemFailures": []}
    assert checkout_mix() == [("wechat.native", 1, 1.0)]
    start, _ = day_range(world)
    rebuild(world.d, start.date(), start.date())
    assert checkout_mix() == [("wechat.native", 1, 1.0)]
