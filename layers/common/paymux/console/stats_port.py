"""What the dashboard needs from the stats service, as a small port: the console is built and
tested against `StatsSource`; `ServiceStats` adapts `paymux.services.stats.query` to it.

The adapter expects `paymux.services.stats.query(d, scope, from_, to, granularity, group_by)`
with `scope` None for everything (operators) or a merchant id, `from_`/`to` aware datetimes
(`to` exclusive), `granularity` one of 15m|1h|1d, `group_by` one of method|provider|hour, and
a mapping back with:

  totals      {count, success_count, amount, success_rate, success_rate_without_fallback,
               average_amount, fallback_rescued}
  series      [{group, period (ISO start), count, success_count, amount, success_rate,
                success_rate_without_fallback, average_amount, fallback_rescued}, ...]
  method_mix  [{method, count, amount}, ...]

Amounts are integer fen, rates fractions in [0, 1]. `checked` keeps exactly these fields (a
missing one is a 0), so a service that gives more is fine and one that gives less shows zeros."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from paymux.deps import Deps
from paymux.errors import PaymuxError

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


class StatsUnavailable(PaymuxError):
    status = 503
    code = "stats_unavailable"


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
            }
            for m in result.get("method_mix") or []
        ],
    }


@dataclass(frozen=True)
class ServiceStats:
    """The real stats service (paymux.services.stats), wired by the lead at merge."""

    d: Deps

    def query(
        self, scope: str | None, from_: datetime, to: datetime, granularity: str, group_by: str
    ) -> Mapping[str, Any]:
        try:
            from paymux.services import stats  # type: ignore[attr-defined,unused-ignore]  # noqa: PLC0415
        except ImportError as exc:  # a build without the stats service: say so, typed
            raise StatsUnavailable("the stats service (paymux.services.stats) is not installed") from exc
        result: Mapping[str, Any] = stats.query(self.d, scope, from_, to, granularity, group_by)
        return result


_source: StatsSource | None = None


def stats_source(d: Deps) -> StatsSource:
    """The container's source: the stats service, unless a test (or the local demo) set one."""
    return _source or ServiceStats(d)


def set_stats_source(source: StatsSource | None) -> None:
    global _source  # noqa: PLW0603 - the per-container source, like paymux.deps
    _source = source
