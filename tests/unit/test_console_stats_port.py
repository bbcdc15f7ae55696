"""The dashboard's port to the stats service: what it keeps of a result, what it asks for a
day, and a build without the service answering a typed 503 instead of an internal error."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from paymux.console.dashboard import dashboard
from paymux.console.identity import ConsoleUser
from paymux.console.stats_port import checked
from paymux.errors import ValidationFailed

MERCHANT = ConsoleUser("sub-1", "alice", "merchant", "mch_a")
OPERATOR = ConsoleUser("sub-2", "op", "operator")


class Recorder:
    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result
        self.asked: list[tuple[Any, ...]] = []

    def query(self, scope: str | None, from_: datetime, to: datetime, granularity: str, group_by: str) -> Any:
        self.asked.append((scope, from_.isoformat(), to.isoformat(), granularity, group_by))
        return self.result


def test_checked_keeps_the_documented_fields_and_zeroes_what_is_missing() -> None:
    result = checked(
        {
            "totals": {"count": 3, "success_rate": 0.5, "extra": 1, "amount": "12"},
            "series": [
                {"group": "wechat", "period": "2026-11-30T00:00:00+08:00", "count": 2, "success_rate": True}
            ],
            "method_mix": [{"method": "alipay.qr", "count": 1}],
        }
    )
    assert result["totals"] == {
        "count": 3,
        "success_count": 0,
        "amount": 0,
        "success_rate": 0.5,
        "success_rate_without_fallback": 0,
        "average_amount": 0,
        "fallback_rescued": 0,
    }
    assert result["series"][0]["count"] == 2 and result["series"][0]["success_rate"] == 0
    assert result["method_mix"] == [
        {"method": "alipay.qr", "count": 1, "amount": 0, "checkout_completed": 0, "checkout_share": 0}
    ]


def test_a_merchant_user_asks_for_its_merchant_and_an_operator_for_everything() -> None:
    source = Recorder({"totals": {"count": 1}})
    shown = dashboard(source, MERCHANT, {"day": "2026-11-30", "granularity": "15m"})
    assert shown["scope"] == "mch_a" and shown["totals"]["count"] == 1
    dashboard(source, OPERATOR, {"day": "2026-11-30"})
    day = ("2026-11-30T00:00:00+08:00", "2026-12-01T00:00:00+08:00")
    assert source.asked == [
        ("mch_a", *day, "15m", "method"),
        ("mch_a", *day, "15m", "provider"),
        (None, *day, "1h", "method"),
        (None, *day, "1h", "provider"),
    ]
    for query in ({"day": "2026-11-31"}, {"day": "yesterday"}, {"day": "2026-11-30", "granularity": "2h"}):
        with pytest.raises(ValidationFailed):
            dashboard(source, OPERATOR, query)
