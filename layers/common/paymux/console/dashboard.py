"""The dashboard's figures for one day (Asia/Shanghai) from a StatsSource: the day's totals,
hourly series by method and by provider (success rate with and without fallback rescues,
counts, amounts), and the method mix; beside them, the charts of those figures as SVG drawn on
the server (console/charts.py) in the asked language (`lang`: zh-CN, the default, or en). A
merchant user's figures are its merchant's only."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from paymux.clock import CHINA
from paymux.console.charts import dashboard_charts
from paymux.console.identity import ConsoleUser
from paymux.console.stats_port import GRANULARITIES, StatsSource, checked
from paymux.console.text import LANGUAGES
from paymux.errors import ValidationFailed
from paymux.services.report_export import report_day


def _one_of(query: dict[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = query.get(name, default)
    if value not in allowed:
        raise ValidationFailed(
            f"{name} must be one of {', '.join(allowed)}",
            details=[{"field": name, "message": f"one of {', '.join(allowed)}"}],
        )
    return value


def dashboard(source: StatsSource, user: ConsoleUser, query: dict[str, str]) -> dict[str, Any]:
    day = report_day(query.get("day", ""))
    granularity = _one_of(query, "granularity", GRANULARITIES, "1h")
    lang = _one_of(query, "lang", LANGUAGES, "zh-CN")
    start = datetime.combine(day, time(), CHINA)
    end = start + timedelta(days=1)
    scope = None if user.role == "operator" else user.merchant_id
    by_method = checked(source.query(scope, start, end, granularity, "method"))
    by_provider = checked(source.query(scope, start, end, granularity, "provider"))
    figures = {
        "day": day.isoformat(),
        "granularity": granularity,
        "scope": scope,
        "totals": by_method["totals"],
        "by_method": by_method["series"],
        "by_provider": by_provider["series"],
        "method_mix": by_method["method_mix"],
    }
    return {**figures, "charts": dashboard_charts(lang, figures)}
