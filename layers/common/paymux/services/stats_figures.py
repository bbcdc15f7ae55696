"""The stats answer from bucket items (pure): totals, a series of every period in the range,
the same per group, and the method mix. Definitions (docs/analytics.md):

- `ended` = succeeded + failed + closed: the payments whose outcome fell in the period;
- `success_rate` = succeeded / ended; `success_rate_without_fallback` = (succeeded − rescued) /
  ended, what the rate would have been had no fallback attempt been made (a rescued payment
  would have failed); both null when nothing ended;
- `average_transaction_value` = amount_succeeded / succeeded, in the currency's minor unit,
  rounded half up; null when nothing succeeded;
- `created` counts the payments created in the period (the attempted ones), by creation time;
- the method mix: each method's share of the succeeded count and amount over the range, and of
  the hosted checkout sessions completed in the range (`checkout_completed`: the method the
  payer chose)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from paymux.clock import CHINA
from paymux.store.buckets import COUNTERS, GRANULARITIES, bucket_counters, period_start


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def figures(counters: dict[str, int]) -> dict[str, Any]:
    """One period's (or group's, or the range's) figures from its summed counters."""
    ended = counters["succeeded"] + counters["failed"] + counters["closed"]
    succeeded = counters["succeeded"]
    average = (2 * counters["amount_succeeded"] + succeeded) // (2 * succeeded) if succeeded else None
    return {
        **counters,
        "ended": ended,
        "success_rate": _rate(succeeded, ended),
        "success_rate_without_fallback": _rate(succeeded - counters["rescued"], ended),
        "average_transaction_value": average,
    }


def _zero() -> dict[str, int]:
    return dict.fromkeys(COUNTERS, 0)


def _add(into: dict[str, int], counters: dict[str, int]) -> None:
    for name, value in counters.items():
        into[name] += value


def periods(from_: datetime, to: datetime, granularity: str) -> list[str]:
    step = timedelta(seconds=GRANULARITIES[granularity])
    found, at = [], from_.astimezone(CHINA)
    while at < to:
        found.append(at.isoformat())
        at += step
    return found


def _group(item: dict[str, Any], group_by: str | None) -> str:
    if group_by == "hour":
        return datetime.fromisoformat(str(item["period"])).strftime("%H")
    return str(item.get(group_by, "")) if group_by else ""


def _series(summed: dict[str, dict[str, int]], labels: list[str]) -> list[dict[str, Any]]:
    return [{"period": p, **figures(summed.get(p) or _zero())} for p in labels]


def method_mix(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_method: dict[str, dict[str, int]] = {}
    for item in items:
        _add(by_method.setdefault(str(item.get("method", "")), _zero()), bucket_counters(item))
    count = sum(c["succeeded"] for c in by_method.values())
    amount = sum(c["amount_succeeded"] for c in by_method.values())
    completed = sum(c["checkout_completed"] for c in by_method.values())
    return [
        {
            "method": method,
            "count": c["succeeded"],
            "amount": c["amount_succeeded"],
            "count_share": _rate(c["succeeded"], count),
            "amount_share": _rate(c["amount_succeeded"], amount),
            "checkout_completed": c["checkout_completed"],
            "checkout_share": _rate(c["checkout_completed"], completed),
        }
        for method, c in sorted(by_method.items())
    ]


def answer(
    items: list[dict[str, Any]],
    from_: datetime,
    to: datetime,
    granularity: str,
    group_by: str | None,
    currency: str,
) -> dict[str, Any]:
    labels = periods(from_, to, granularity)
    totals, series = _zero(), dict[str, dict[str, int]]()
    groups: dict[str, tuple[dict[str, int], dict[str, dict[str, int]]]] = {}
    for item in items:
        counters = bucket_counters(item)
        period = period_start(
            datetime.fromisoformat(str(item["period"])).timestamp(), granularity
        ).isoformat()
        _add(totals, counters)
        _add(series.setdefault(period, _zero()), counters)
        if group_by:
            group_totals, group_series = groups.setdefault(_group(item, group_by), (_zero(), {}))
            _add(group_totals, counters)
            _add(group_series.setdefault(period, _zero()), counters)
    return {
        "object": "stats",
        "from": from_.astimezone(CHINA).isoformat(),
        "to": to.astimezone(CHINA).isoformat(),
        "granularity": granularity,
        "group_by": group_by,
        "currency": currency,
        "timezone": "Asia/Shanghai",
        "totals": figures(totals),
        "series": _series(series, labels),
        "groups": [
            {"group": name, "totals": figures(t), "series": _series(s, labels)}
            for name, (t, s) in sorted(groups.items())
        ],
        "method_mix": method_mix(items),
    }
