"""What the dashboard needs from the stats service, as a small port: the console is built and
tested against `StatsSource`; `ServiceStats` adapts `paymux.services.stats.query` to it.

`ServiceStats` calls `paymux.services.stats.query(d, scope, from_, to, granularity, group_by)`
(scope: every merchant for operators, else the user's merchant; `from_`/`to` aware datetimes,
`to` exclusive; granularity 15m|1h|1d; group_by method|provider|hour) and maps its answer
(`from_service`) to what the dashboard reads:

  totals      {count, success_count, amount, success_rate, success_rate_without_fallback,
               average_amount, fallback_rescued}
  series      [{group, period (ISO start), count, success_count, amount, success_rate,
                success_rate_without_fallback, average_amount, fallback_rescued}, ...]
  method_mix  [{method, count, amount, checkout_completed, checkout_share}, ...]
               (checkout_completed: the hosted checkout sessions completed whose payer chose
               the method; checkout_share: its fraction of all completed ones, 0 when none)

Amounts are integer fen, rates fractions in [0, 1]. `checked` keeps exactly these fields (a
missing one is a 0), so a service that gives more is fine and one that gives less shows zeros."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from paymux.deps import Deps

FIGURES = (
    "count",
    "success_count",
    "amount",
    "success_rate",
    "success_rate_without_fallback",
    "average_amount",
    "fallback_rescued",
)
GRANULARITIES = ("15m", "1h", "1d")
GROUPS = ("method", "provider", "hour")


class StatsSource(Protocol):
    def query(
        self, scope: str | None, from_: datetime, to: datetime, granularity: str, group_by: str
    ) -> Mapping[str, Any]: ...


def _number(value: Any) -> float | int:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _figures(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _number(values.get(name)) for name in FIGURES}


def checked(result: Mapping[str, Any]) -> dict[str, Any]:
    """The result reduced to the fields above (see the module docstring)."""
    return {
        "totals": _figures(result.get("totals") or {}),
        "series": [
            {"group": str(s.get("group", "")), "period": str(s.get("period", "")), **_figures(s)}
            for s in result.get("series") or []
        ],
        "method_mix": [
            {
                "method": str(m.get("method", "")),
                "count": _number(m.get("count")),
                "amount": _number(m.get("amount")),
                "checkout_completed": _number(m.get("checkout_completed")),
                "checkout_share": _number(m.get("checkout_share")),
            }
            for m in result.get("method_mix") or []
        ],
    }


def dashboard_figures(figures: Mapping[str, Any]) -> dict[str, Any]:
    """One period's (or the range's) figures of paymux.services.stats in the dashboard's names:
    `count` is the payments whose outcome fell in the period (succeeded + failed + closed), the
    denominator of both success rates (docs/analytics.md)."""
    return {
        "count": figures.get("ended"),
        "success_count": figures.get("succeeded"),
        "amount": figures.get("amount_succeeded"),
        "success_rate": figures.get("success_rate"),
        "success_rate_without_fallback": figures.get("success_rate_without_fallback"),
        "average_amount": figures.get("average_transaction_value"),
        "fallback_rescued": figures.get("rescued"),
    }


def from_service(answer: Mapping[str, Any]) -> dict[str, Any]:
    """GET /v1/stats's answer (StatsResource) as the dashboard reads it: the groups' series
    flattened into one series labelled by group."""
    return {
        "totals": dashboard_figures(answer["totals"]),
        "series": [
            {"group": group["group"], "period": point["period"], **dashboard_figures(point)}
            for group in answer["groups"]
            for point in group["series"]
        ],
        "method_mix": [
            {
                "method": m["method"],
                "count": m["count"],
                "amount": m["amount"],
                "checkout_completed": m["checkout_completed"],
                "checkout_share": m["checkout_share"],
            }
            for m in answer["method_mix"]
        ],
    }


@dataclass(frozen=True)
class ServiceStats:
    """The real stats service (paymux.services.stats), served from the buckets."""

    d: Deps

    def query(
        self, scope: str | None, from_: datetime, to: datetime, granularity: str, group_by: str
    ) -> Mapping[str, Any]:
        from paymux.services import stats  # noqa: PLC0415 - the dashboard's first use only

        who = stats.StatsScope.all_merchants() if scope is None else stats.StatsScope.merchant(scope)
        return from_service(stats.query(self.d, who, from_, to, granularity, group_by))


_source: StatsSource | None = None


def stats_source(d: Deps) -> StatsSource:
    """The container's source: the stats service, unless a test (or the local demo) set one."""
    return _source or ServiceStats(d)


def set_stats_source(source: StatsSource | None) -> None:
    global _source  # noqa: PLW0603 - the per-container source, like paymux.deps
    _source = source
