"""The dashboard's figures for one day (Asia/Shanghai) from a StatsSource: the day's totals,
hourly series by method and by provider (success rate with and without fallback rescues,
counts, amounts), and the method mix. A merchant user's figures are its merchant's only."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from paymux.clock import CHINA
from paymux.console.identity import ConsoleUser
from paymux.console.stats_port import GRANULARITIES, StatsSource, checked
from paymux.errors import ValidationFailed
from paymux.services.report_export import report_day


def dashboard(source: StatsSource, user: ConsoleUser, query: dict[str, str]) -> dict[str, Any]:
    day = report_day(query.get("day", ""))
    granularity = query.get("granularity", "1h")
    if granularity not in GRANULARITIES:
        raise ValidationFailed(
            f"granularity must be one of {', '.join(GRANULARITIES)}",
            details=[{"field": "granularity", "message": f"one of {', '.join(GRANULARITIES)}"}],
        )
    start = datetime.combine(day, time(), CHINA)
    end = start + timedelta(days=1)
    scope = None if user.role == "operator" else user.merchant_id
    by_method = checked(source.query(scope, start, end, granularity, "method"))
    by_provider = checked(source.query(scope, start, end, granularity, "provider"))
    return {
        "day": day.isoformat(),
        "granularity": granularity,
        "scope": scope,
        "totals": by_method["totals"],
        "by_method": by_method["series"],
        "by_provider": by_provider["series"],
        "method_mix": by_method["method_mix"],
    }
