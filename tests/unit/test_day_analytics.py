"""The daily analytics page for a small known day: the numbers in its tables, the inline SVG
charts (drawn, no script, no external resource, no style), and hours in Asia/Shanghai."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any

from paymux.services.analytics_page import render_page
from paymux.services.day_analytics import AMOUNT_EDGES, amount_bucket, day_analytics

DAY = date(2026, 11, 27)
SHANGHAI = timezone(timedelta(hours=8))


def at(hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, 27, hour, minute, tzinfo=SHANGHAI).timestamp()


CREATED = [
    {"method": "wechat.native", "status": "SUCCESS", "created_at": at(0, 5)},
    {"method": "wechat.native", "status": "REFUNDED", "created_at": at(0, 30)},
    {"method": "wechat.native", "status": "CLOSED", "created_at": at(9)},
    {"method": "wechat.native", "status": "FAILED", "created_at": at(9, 59)},
    {"method": "alipay.qr", "status": "SUCCESS", "created_at": at(23, 59)},
    {"method": "alipay.qr", "status": "PROCESSING", "created_at": at(23, 59)},
]
PAID = [
    {"amount": 99, "paid_at": at(0, 6)},  # < 1 yuan
    {"amount": 1999, "paid_at": at(0, 31)},  # 10–50
    {"amount": 4999, "paid_at": at(23, 59)},  # 10–50
    {"amount": 1_000_000, "paid_at": at(1)},  # ≥ 5,000 yuan
]


class Tables(HTMLParser):
    """Each <table id=…>'s body rows as lists of cell texts; every tag seen."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.tags: list[tuple[str, dict[str, Any]]] = []
        self._table = ""
        self._in_body = False
        self._cell: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append((tag, values))
        if tag == "table":
            self._table = str(values["id"])
            self.tables[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.tables[self._table].append([])
        elif tag == "td":
            self._cell = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.tables[self._table][-1].append(self._cell)
            self._cell = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell += data


def page() -> tuple[str, Tables]:
    html = render_page(day_analytics(iter(CREATED), iter(PAID), DAY), AMOUNT_EDGES)
    parsed = Tables()
    parsed.feed(html)
    return html, parsed


def test_success_rate_per_method_counts_every_created_payment() -> None:
    _, parsed = page()
    assert parsed.tables["success-rate"] == [
        ["alipay.qr", "2", "1", "0", "0", "1", "50.0 %"],
        ["wechat.native", "4", "2", "1", "1", "0", "50.0 %"],
    ]


def test_amounts_are_bucketed_in_yuan_with_totals() -> None:
    _, parsed = page()
    rows = {r[0]: r[1:] for r in parsed.tables["amounts"]}
    assert rows["0.00–1.00"] == ["1", "0.99"]
    assert rows["10.00–50.00"] == ["2", "69.98"]
    assert rows["≥ 5,000.00"] == ["1", "10,000.00"]
    assert sum(int(r[0]) for r in rows.values()) == len(PAID)
    assert [amount_bucket(a) for a in (0, 99, 100, 4_999_99, 500_000, 10**9)] == [0, 0, 1, 6, 7, 7]


def test_payments_by_hour_are_asia_shanghai_hours() -> None:
    html, parsed = page()
    hours = {r[0]: (int(r[1]), int(r[2])) for r in parsed.tables["hours"]}
    assert len(hours) == 24
    assert hours["00:00"] == (2, 2) and hours["09:00"] == (2, 0)
    assert hours["23:00"] == (2, 1) and hours["01:00"] == (0, 1)
    assert re.search(r"id='paid-count'>4<", html) and re.search(r"id='paid-amount'>10,070.97<", html)
    assert re.search(r"id='created-count'>6<", html)


def test_the_page_is_self_contained_inline_svg() -> None:
    html, parsed = page()
    svgs = [a["id"] for tag, a in parsed.tags if tag == "svg"]
    assert {"success-rate-chart", "amount-chart", "hour-chart"} <= set(svgs)
    tags = {tag for tag, _ in parsed.tags}
    assert not tags & {"script", "style", "link", "img", "iframe", "object"}
    assert not any("style" in a or any(k.startswith("on") for k in a) for _, a in parsed.tags)
    assert not re.search(r"(src|href)\s*=", html)  # nothing is loaded from anywhere
    assert "default-src 'none'" in html
    # the bars are drawn to scale: wechat.native's paid bar is half its track
    rects = re.findall(r'<rect x="170.0" y="(\d+\.\d)" width="([\d.]+)"', html)
    by_row = {}
    for y, width in rects:
        by_row.setdefault(y, []).append(float(width))
    assert all(bar == track / 2 for track, bar in by_row.values())


def test_an_empty_day_renders() -> None:
    html = render_page(day_analytics(iter(()), iter(()), DAY), AMOUNT_EDGES)
    parsed = Tables()
    parsed.feed(html)
    assert parsed.tables["success-rate"] == [] and "<svg" in html
