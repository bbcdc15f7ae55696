"""GET /v1/stats through the real handler: a merchant sees its own buckets only, and every bad
query is a typed 422 that writes nothing (the buckets are never read beyond the range's)."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta

import pytest

from local.streams import StreamPoller
from paymux.clock import CHINA
from paymux.store.merchants import MerchantApp
from tests.integration.conftest import World
from tests.integration.test_hostile_inputs import table_items
from tests.integration.test_refunds import paid_payment
from tests.integration.test_stats_stream import drain


def today(world: World) -> str:
    return datetime.fromtimestamp(world.clock(), CHINA).date().isoformat()


def test_a_merchant_sees_only_its_own_stats(world: World):
    (subscription,) = world.stack.stream_subscriptions
    poller = StreamPoller(subscription, world.stack.invoke, "us-east-1", position="LATEST")
    poller.poll_once()
    paid_payment(world, 1500)
    drain(poller)
    day = today(world)
    tomorrow = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    query = f"from={day}&to={tomorrow}&granularity=1d"
    status, mine = world.call("get_stats.json", path="/v1/stats", query=query)
    assert status == 200 and mine["totals"]["succeeded"] == 1 and mine["totals"]["amount_succeeded"] == 1500

    other_secret = "sk_" + secrets.token_hex(16)
    world.d.merchants.put_app(MerchantApp(app_id="app_other", merchant_id="mch_other"), other_secret)
    other = World(**{**world.__dict__, "app_id": "app_other", "secret": other_secret})
    status, theirs = other.call("get_stats.json", path="/v1/stats", query=query)
    assert status == 200
    assert (theirs["totals"]["created"], theirs["totals"]["succeeded"], theirs["method_mix"]) == (0, 0, [])
    assert len(theirs["series"]) == 1 and theirs["series"][0]["succeeded"] == 0


BAD_QUERIES = {
    "no from": ("to=2026-12-02", "from"),
    "no to": ("from=2026-12-01", "to"),
    "from not a date": ("from=yesterday&to=2026-12-02", "from"),
    "a date-time without an offset": ("from=2026-12-01T10:00:00&to=2026-12-02", "from"),
    "to before from": ("from=2026-12-02&to=2026-12-01", "to"),
    "to equal to from": ("from=2026-12-02&to=2026-12-02", "to"),
    "an unknown granularity": ("from=2026-12-01&to=2026-12-02&granularity=5m", "granularity"),
    "an unknown group": ("from=2026-12-01&to=2026-12-02&group_by=payer", "group_by"),
    "a bad currency": ("from=2026-12-01&to=2026-12-02&currency=yuan", "currency"),
    "15m over 7 days": ("from=2026-11-01&to=2026-11-09&granularity=15m", "to"),
    "1h over 31 days": ("from=2026-10-01&to=2026-11-02&granularity=1h", "to"),
    "1d over 92 days": ("from=2026-01-01&to=2026-06-01&granularity=1d", "to"),
    "1d by hour over 31 days": ("from=2026-10-01&to=2026-11-02&granularity=1d&group_by=hour", "to"),
    "from inside an hour": ("from=2026-12-01T10:20:00%2B08:00&to=2026-12-02&granularity=1h", "from"),
    "to inside a quarter": ("from=2026-12-01&to=2026-12-01T10:20:00Z&granularity=15m", "to"),
    "from at UTC midnight, not Shanghai's": (
        "from=2026-12-01T00:00:00Z&to=2026-12-03&granularity=1d",
        "from",
    ),
    "from at the end of year 9999 (UTC; overflows Shanghai's offset)": (
        "from=9999-12-31T16:00:00Z&to=9999-12-31T17:00:00Z",
        "from",
    ),
    "from on the first day of year 1": ("from=0001-01-01&to=0001-01-02", "from"),
    "to past year 2100": ("from=2026-12-01&to=2101-01-01", "to"),
    "from of 10 000 characters": ("from=" + "9" * 10_000 + "&to=2026-12-02", "from"),
}


@pytest.mark.parametrize("name", list(BAD_QUERIES))
def test_a_bad_query_is_a_typed_422_that_writes_nothing(world: World, name: str):
    query, field = BAD_QUERIES[name]
    before = table_items(world)
    response = world.raw("get_stats.json", path="/v1/stats", query=query)
    body = json.loads(response["body"])
    assert (response["statusCode"], body["error"]["code"]) == (422, "validation_failed"), body
    assert body["error"]["details"][0]["field"] == field
    assert table_items(world) == before


def test_an_aligned_datetime_range_is_answered_per_quarter(world: World):
    query = "from=2026-12-01T10:00:00%2B08:00&to=2026-12-01T03:00:00Z&granularity=15m&group_by=hour"
    status, body = world.call("get_stats.json", path="/v1/stats", query=query)
    assert status == 200, body
    assert [p["period"] for p in body["series"]] == [
        "2026-12-01T10:00:00+08:00",
        "2026-12-01T10:15:00+08:00",
        "2026-12-01T10:30:00+08:00",
        "2026-12-01T10:45:00+08:00",
    ]
    assert body["totals"]["success_rate"] is None and body["groups"] == []
