"""The analytics page's HTML: one self-contained document, charts as inline SVG (the marks of
paymux/svg.py, shared with the console's dashboard) with presentation attributes only — no
script, no style sheet or style attribute, no external resource — so it opens from S3, a mail
or a disk under `Content-Security-Policy: default-src 'none'` (which it declares). Every chart
has a table of its exact numbers beside it."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from paymux.svg import INK, document, rect, text

if TYPE_CHECKING:
    from paymux.services.day_analytics import DayAnalytics

WIDTH = 720
LABEL = 170  # the left column of the success-rate chart
BAR = "#2f6fb0"
LIGHT = "#a9c6e8"
GRID = "#dddddd"


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "–"


def _table(table_id: str, header: Sequence[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def success_chart(a: DayAnalytics) -> str:
    methods = sorted(a.methods.items())
    span = WIDTH - LABEL - 170
    body = []
    for row, (method, counts) in enumerate(methods):
        y = 10 + row * 30
        rate = counts.paid / counts.created if counts.created else 0.0
        body.append(text(LABEL - 8, y + 15, method, "end"))
        body.append(rect(LABEL, y, span, 20, GRID))
        body.append(rect(LABEL, y, span * rate, 20, BAR))
        body.append(
            text(LABEL + span + 8, y + 15, f"{percent(counts.paid, counts.created)} of {counts.created}")
        )
    rows = [
        [
            m,
            str(c.created),
            str(c.paid),
            str(c.failed),
            str(c.closed),
            str(c.open),
            percent(c.paid, c.created),
        ]
        for m, c in methods
    ]
    columns = ("method", "created", "paid", "failed", "closed", "open", "success rate")
    svg = document(
        "success-rate-chart", "Success rate per method", WIDTH, 20 + 30 * max(len(methods), 1), body
    )
    return svg + _table("success-rate", columns, rows)


def _columns(
    chart_id: str, title: str, labels: Sequence[str], series: Sequence[tuple[Sequence[int], str]]
) -> str:
    """A column chart: one group per label, one column per series, counts above the columns."""
    height, top, bottom = 260, 20, 40
    plot = height - top - bottom
    peak = max((max(values, default=0) for values, _ in series), default=0) or 1
    group = (WIDTH - 20) / len(labels)
    width = group * 0.8 / len(series)
    body = [rect(10, top + plot, WIDTH - 20, 1, INK)]
    for i, label in enumerate(labels):
        x0 = 10 + i * group + group * 0.1
        for s, (values, fill) in enumerate(series):
            h = plot * values[i] / peak
            body.append(rect(x0 + s * width, top + plot - h, width, h, fill))
            if values[i] and len(series) == 1:
                body.append(text(x0 + width / 2, top + plot - h - 4, str(values[i]), "middle", 11))
        if label:
            body.append(text(10 + i * group + group / 2, height - bottom + 16, label, "middle", 11))
    return document(chart_id, title, WIDTH, height, body)


def amount_chart(a: DayAnalytics, edges: Sequence[int]) -> str:
    bounds = [0, *edges]
    labels = [
        f"{yuan(lo)}–{yuan(hi)}" if i < len(edges) else f"≥ {yuan(lo)}"
        for i, (lo, hi) in enumerate(zip(bounds, [*edges, 0], strict=True))
    ]
    svg = _columns("amount-chart", "Paid payments by amount (yuan)", labels, [(a.buckets, BAR)])
    rows = [
        [label, str(count), yuan(amount)]
        for label, count, amount in zip(labels, a.buckets, a.bucket_amounts, strict=True)
    ]
    return svg + _table("amounts", ("amount (yuan)", "payments", "total (yuan)"), rows)


def hour_chart(a: DayAnalytics) -> str:
    labels = [f"{h:02d}" if h % 3 == 0 else "" for h in range(24)]
    series = [(a.created_by_hour, LIGHT), (a.paid_by_hour, BAR)]
    svg = _columns("hour-chart", "Payments by hour (Asia/Shanghai): created, paid", labels, series)
    legend = document(
        "hour-legend",
        "Legend",
        WIDTH,
        24,
        [
            rect(10, 6, 12, 12, LIGHT),
            text(28, 17, "created"),
            rect(100, 6, 12, 12, BAR),
            text(118, 17, "paid"),
        ],
    )
    rows = [
        [f"{h:02d}:00", str(c), str(p)]
        for h, (c, p) in enumerate(zip(a.created_by_hour, a.paid_by_hour, strict=True))
    ]
    return svg + legend + _table("hours", ("hour", "created", "paid"), rows)


def render_page(a: DayAnalytics, edges: Sequence[int]) -> str:
    created = sum(c.created for c in a.methods.values())
    paid_of_created = sum(c.paid for c in a.methods.values())
    day = a.day.isoformat()
    facts = (
        f"<p>Paid this day: <strong id='paid-count'>{a.paid_count}</strong> payments, "
        f"<strong id='paid-amount'>{yuan(a.paid_amount)}</strong> yuan. Created this day: "
        f"<strong id='created-count'>{created}</strong>, of which "
        f"{percent(paid_of_created, created)} paid.</p>"
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'\">"
        f"<title>paymux · payments on {day}</title></head><body>"
        f"<h1>paymux · payments on {day} (Asia/Shanghai)</h1>{facts}"
        "<h2>Success rate per method</h2><p>Of the payments created this day: paid (or since "
        "refunded) out of all created, failed, closed and still open ones included.</p>"
        + success_chart(a)
        + "<h2>Amounts</h2><p>Payments paid this day, by amount.</p>"
        + amount_chart(a, edges)
        + "<h2>By hour</h2><p>Payments created and paid in each hour of the day.</p>"
        + hour_chart(a)
        + "</body></html>\n"
    )
