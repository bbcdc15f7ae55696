"""The dashboard's charts, drawn on the server as SVG documents (the marks of paymux/svg.py)
from the figures console/dashboard.py answers, with the words of console/text.py.

Each chart is role="img" with a <title>; each mark carries its figure twice: as data-*
attributes (exact numbers, which the browser test compares with GET /v1/stats) and as a <title>
(its tooltip and accessible name). Labels (methods, providers) come from merchant and operator
data and are escaped by paymux/svg.py. The page shows each document through an <img> from a
data: URL (console/script.py), where a browser runs no script and loads nothing."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from paymux.console.text import t
from paymux.svg import circle, document, figure, line, polyline, rect, text

CHARTS = ("per_hour", "rate_by_method", "rate_by_provider", "method_mix", "checkout_mix")
WIDTH = 720
LEFT, RIGHT, TOP, PLOT = 44, 704, 12, 150  # the plot area of the hourly and rate charts
BOTTOM = TOP + PLOT
FONT = "system-ui, 'PingFang SC', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"
MUTED, GRID, AXIS = "#57606a", "#e3e6ea", "#999999"
COUNT, RESCUED = "#1f6feb", "#d4a72c"
COLOURS = ("#1f6feb", "#2da44e", "#d4a72c", "#cf222e", "#8250df", "#0a7d91")
POINTS = 48  # the most periods a rate line marks with points (1h: 24; 15m: 96)
LEGEND_ROW = 4  # groups named per row under a rate chart
RATES = (("success_rate", None), ("success_rate_without_fallback", "4 3"))
Series = Sequence[Mapping[str, Any]]


class Chart(NamedTuple):
    svg: str
    description: str  # what the chart shows, in words: its <desc> and, in the page, its alt text


def _chart(chart_id: str, title: str, height: int, body: list[str], said: list[str], empty: str) -> Chart:
    description = "; ".join(said) or empty
    return Chart(document(chart_id, title, WIDTH, height, body, desc=description), description)


def pct(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _label(
    x: float,
    y: float,
    content: str,
    anchor: str = "start",
    size: int = 11,
    *,
    fill: str = "#1d2330",
    extra: Mapping[str, str] | None = None,
) -> str:
    return text(x, y, content, anchor, size, family=FONT, fill=fill, extra=extra)


def count_axis(peak: float) -> tuple[int, list[int]]:
    """The top of a count axis and its ticks: steps of 1, 2 or 5 × 10ⁿ, about four of them, the
    top the first step at or above the peak (1 when there is nothing)."""
    if peak <= 0:
        return 1, [0, 1]
    raw = peak / 4
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(s * power for s in (1, 2, 5, 10) if s * power >= raw)
    top = step * math.ceil(peak / step)
    return top, list(range(0, top + 1, step))


def _short(label: str, most: int = 22) -> str:
    """A label as drawn: a long one cut with an ellipsis (its mark's title and data-* keep it
    whole)."""
    return label if len(label) <= most else label[: most - 1] + "…"


def _periods(series: Series) -> list[str]:
    return sorted({str(s["period"]) for s in series})


def _when(period: str, granularity: str) -> str:
    return period[:10] if granularity == "1d" else period[11:16]


def _x_labels(periods: Sequence[str], granularity: str, x: Callable[[int], float]) -> list[str]:
    every = max(1, math.ceil(len(periods) / 12))  # at most a dozen labels under the axis
    return [
        _label(x(i), BOTTOM + 16, _when(p, granularity), "middle", 10, fill=MUTED)
        for i, p in enumerate(periods)
        if i % every == 0
    ]


def _grid(ticks: Sequence[tuple[float, str]]) -> list[str]:
    """The value axis: a line and a label at each tick, the first (0) the axis itself."""
    marks = []
    for n, (y, label) in enumerate(ticks):
        marks += [
            line(LEFT, y, RIGHT, y, AXIS if n == 0 else GRID),
            _label(LEFT - 6, y + 4, label, "end", 10),
        ]
    return marks


def per_hour(lang: str, series: Series, granularity: str) -> Chart:
    """Payments per period (ended: succeeded, failed or closed) and, over them, those rescued by
    fallback, on one count axis."""
    periods = _periods(series)
    counts = [sum(s["count"] for s in series if s["period"] == p) for p in periods]
    rescued = [sum(s["fallback_rescued"] for s in series if s["period"] == p) for p in periods]
    top, ticks = count_axis(max(counts, default=0))
    slot = (RIGHT - LEFT) / max(1, len(periods))
    body = _grid([(BOTTOM - PLOT * tick / top, str(tick)) for tick in ticks])
    for i, period in enumerate(periods):
        x, w = LEFT + i * slot + 1, max(1.0, slot - 2)
        for value, fill, key, word in (
            (counts[i], COUNT, "data-count", "count"),
            (rescued[i], RESCUED, "data-rescued", "fallback_rescued"),
        ):
            h = PLOT * value / top
            title = f"{_when(period, granularity)} {t(lang, word)} {value}"
            body.append(
                rect(
                    x, BOTTOM - h, w, h, fill, title=title, extra={"data-period": period, key: figure(value)}
                )
            )
    body += _x_labels(periods, granularity, lambda i: LEFT + (i + 0.5) * slot)
    if not periods:
        body.append(_label(LEFT + 8, TOP + 20, t(lang, "no_figures"), fill=MUTED))
    body += [
        rect(LEFT, 192, 10, 10, COUNT),
        _label(LEFT + 14, 201, t(lang, "count")),
        rect(LEFT + 160, 192, 10, 10, RESCUED),
        _label(LEFT + 174, 201, t(lang, "fallback_rescued")),
    ]
    said = [
        f"{_when(p, granularity)} {t(lang, 'count')} {c}, {t(lang, 'fallback_rescued')} {r}"
        for p, c, r in zip(periods, counts, rescued, strict=True)
        if c or r
    ]
    return _chart("chart-per_hour", t(lang, "per_hour"), 210, body, said, t(lang, "no_figures"))


def _rate_y(rate: float) -> float:
    return BOTTOM - PLOT * min(max(rate, 0.0), 1.0)


def _rate_lines(lang: str, group: str, rows: Series, x: Callable[[int], float], colour: str) -> list[str]:
    """A group's two lines (solid: with fallback rescues, dashed: without) and a point for each
    period where something ended (a period where nothing ended is drawn at 0 on the line). With
    more than POINTS periods (15m) the lines alone carry the figures (data-values): the points
    would be a few pixels apart and make the answer of a busy day several times larger."""
    marks = []
    for key, dash in RATES:
        values = [row[key] for row in rows]
        marks.append(
            polyline(
                [(x(i), _rate_y(v)) for i, v in enumerate(values)],
                colour,
                dash=dash,
                title=f"{group} · {t(lang, key)}",
                extra={"data-group": group, "data-figure": key, "data-values": " ".join(map(figure, values))},
            )
        )
        marks += [
            circle(
                x(i),
                _rate_y(v),
                2.5 if dash is None else 2,
                colour if dash is None else "#ffffff",
                title=f"{group} {str(row['period'])[11:16]} {t(lang, key)} {pct(v)}",
                extra={
                    "data-group": group,
                    "data-figure": key,
                    "data-period": row["period"],
                    "data-value": figure(v),
                },
            )
            for i, (row, v) in enumerate(zip(rows, values, strict=True))
            if row["count"] and len(rows) <= POINTS
        ]
    return marks


def _rates_said(lang: str, group: str, rows: Series, granularity: str) -> list[str]:
    return [
        f"{group} {_when(str(row['period']), granularity)}: "
        + ", ".join(f"{t(lang, key)} {pct(row[key])}" for key, _ in RATES)
        for row in rows
        if row["count"]
    ]


def rates(lang: str, chart: str, series: Series, granularity: str) -> Chart:
    """The success rate of each group (method or provider) over the day's periods, 0-100 %."""
    periods = _periods(series)
    groups = sorted({str(s["group"]) for s in series})
    span = RIGHT - LEFT - 16

    def x(i: int) -> float:
        return LEFT + 8 + (span * i / (len(periods) - 1) if len(periods) > 1 else span / 2)

    body, said = _grid([(_rate_y(tick), f"{tick:.0%}") for tick in (0.0, 0.5, 1.0)]), []
    for n, group in enumerate(groups):
        colour = COLOURS[n % len(COLOURS)]
        rows = sorted((s for s in series if s["group"] == group), key=lambda s: str(s["period"]))
        body += _rate_lines(lang, group, rows, x, colour)
        said += _rates_said(lang, group, rows, granularity)
        row, column = divmod(n, LEGEND_ROW)
        y = 201 + 16 * row
        body.append(_label(LEFT + 165 * column, y, _short(group), fill=colour, extra={"data-legend": group}))
    body += _x_labels(periods, granularity, x)
    if not periods:
        body.append(_label(LEFT + 8, TOP + 20, t(lang, "no_figures"), fill=MUTED))
    below = 201 + 16 * math.ceil(len(groups) / LEGEND_ROW)
    body.append(_label(LEFT, below, t(lang, "legend_lines"), size=10, fill=MUTED))
    return _chart(f"chart-{chart}", t(lang, chart), below + 9, body, said, t(lang, "no_figures"))


def _share_bar(y: float, share: float, fill: str, title: str, extra: Mapping[str, Any]) -> list[str]:
    width = 480 * share
    return [
        rect(170, y, max(1.0, width) if share else 0, 12, fill, title=title, extra=extra),
        _label(656, y + 10, pct(share)),
    ]


def method_mix(lang: str, mix: Series) -> Chart:
    """Each method's share of the day's successful payments by count and by amount."""
    totals = {key: sum(m[key] for m in mix) for key in ("count", "amount")}
    body, said = [], []
    for row, m in enumerate(mix):
        y = 8 + row * 40
        body.append(_label(162, y + 16, _short(str(m["method"])), "end", 12))
        for j, (key, word) in enumerate((("count", "by_count"), ("amount", "by_amount"))):
            share = m[key] / totals[key] if totals[key] else 0.0
            said.append(f"{m['method']} {t(lang, word)} {pct(share)}")
            extra = {"data-method": m["method"], "data-share": key, "data-value": figure(m[key])}
            body += _share_bar(
                y + j * 16, share, COLOURS[j], f"{m['method']} {t(lang, word)} {pct(share)}", extra
            )
    if not mix:
        body.append(_label(0, 24, t(lang, "no_figures"), fill=MUTED))
    height = max(40, 40 * len(mix) + 8)
    return _chart("chart-method_mix", t(lang, "method_mix"), height, body, said, t(lang, "no_figures"))


def checkout_mix(lang: str, mix: Series) -> Chart:
    """The share of each method among the day's completed hosted checkout sessions (the stats
    service's checkout_share)."""
    used = [m for m in mix if m["checkout_completed"]]
    body, said = [], []
    for row, m in enumerate(used):
        y = 8 + row * 24
        extra = {
            "data-method": m["method"],
            "data-count": figure(m["checkout_completed"]),
            "data-share": figure(m["checkout_share"]),
        }
        body.append(_label(162, y + 11, _short(str(m["method"])), "end", 12))
        said.append(f"{m['method']} {pct(m['checkout_share'])} ({m['checkout_completed']})")
        body += _share_bar(y, m["checkout_share"], COLOURS[4], said[-1], extra)
        body.append(_label(718, y + 10, f"({m['checkout_completed']})", "end"))
    if not used:
        body.append(_label(0, 24, t(lang, "no_checkout"), size=12, fill=MUTED))
    height = max(40, 24 * len(used) + 12)
    return _chart("chart-checkout_mix", t(lang, "checkout_mix"), height, body, said, t(lang, "no_checkout"))


def dashboard_charts(lang: str, figures: Mapping[str, Any]) -> list[dict[str, str]]:
    """The dashboard's charts of its figures (console/dashboard.py's answer), in CHARTS order:
    `{id, title, description, svg}` each."""
    granularity = str(figures["granularity"])
    drawn = {
        "per_hour": per_hour(lang, figures["by_method"], granularity),
        "rate_by_method": rates(lang, "rate_by_method", figures["by_method"], granularity),
        "rate_by_provider": rates(lang, "rate_by_provider", figures["by_provider"], granularity),
        "method_mix": method_mix(lang, figures["method_mix"]),
        "checkout_mix": checkout_mix(lang, figures["method_mix"]),
    }
    return [
        {"id": key, "title": t(lang, key), "description": drawn[key].description, "svg": drawn[key].svg}
        for key in CHARTS
    ]
