"""The dashboard's charts drawn on the server (console/charts.py on paymux/svg.py): every chart
parses as XML, is role="img" with its title in the asked language, escapes labels that come from
merchant data, carries each mark's figure (data-* and a <title>), and keeps its scale right for
no figures, one point, 0 % and 100 %."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from paymux.console.charts import BOTTOM, CHARTS, PLOT, TOP, count_axis, dashboard_charts
from paymux.console.dashboard import dashboard
from paymux.console.identity import ConsoleUser
from paymux.console.text import TEXT
from paymux.errors import ValidationFailed
from paymux.svg import document, figure, rect, text, xml_text

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "</text><script>alert(1)</script>\"'&\x00\x1b\ud800 <![CDATA[x]]>"


def point(group: str, hour: int, **values: Any) -> dict[str, Any]:
    figures = dict.fromkeys(
        (
            "count",
            "success_count",
            "amount",
            "success_rate",
            "success_rate_without_fallback",
            "average_amount",
        ),
        0,
    )
    return {
        "group": group,
        "period": f"2026-12-02T{hour:02d}:00:00+08:00",
        **figures,
        "fallback_rescued": 0,
        **values,
    }


def figures(
    series: list[dict[str, Any]], mix: list[dict[str, Any]], granularity: str = "1h"
) -> dict[str, Any]:
    return {"granularity": granularity, "by_method": series, "by_provider": series, "method_mix": mix}


def mix_row(method: str, count: int, amount: int, completed: int = 0, share: float = 0) -> dict[str, Any]:
    return {
        "method": method,
        "count": count,
        "amount": amount,
        "checkout_completed": completed,
        "checkout_share": share,
    }


def drawn(lang: str, shown: dict[str, Any]) -> dict[str, ET.Element]:
    """Each chart parsed (ElementTree refuses what is not well-formed XML), its texts anchored
    as SVG knows."""
    charts = dashboard_charts(lang, shown)
    assert [c["id"] for c in charts] == list(CHARTS)
    parsed = {c["id"]: ET.fromstring(c["svg"]) for c in charts}
    anchors = {t.get("text-anchor") for svg in parsed.values() for t in svg.iter(f"{SVG}text")}
    assert anchors <= {"start", "middle", "end"}
    return parsed


def with_data(svg: ET.Element, tag: str, key: str) -> list[ET.Element]:
    return [e for e in svg.iter(f"{SVG}{tag}") if e.get(f"data-{key}") is not None]


DAY = [
    point(
        "wechat.native", 9, count=4, success_rate=0.75, success_rate_without_fallback=0.5, fallback_rescued=1
    ),
    point("wechat.native", 10, count=2, success_rate=1.0, success_rate_without_fallback=1.0),
    point("wechat.native", 11),
    point("alipay.qr", 9, count=1, success_rate=0.0, success_rate_without_fallback=0.0),
    point("alipay.qr", 10),
    point("alipay.qr", 11),
]
MIX = [mix_row("alipay.qr", 0, 0), mix_row("wechat.native", 4, 31_879, 1, 1.0)]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_chart_is_an_image_titled_in_the_asked_language(lang: str) -> None:
    for key, svg in drawn(lang, figures(DAY, MIX)).items():
        assert svg.tag == f"{SVG}svg" and svg.get("role") == "img"
        assert svg[0].tag == f"{SVG}title" and svg[0].text == TEXT[lang][key]
        assert svg.get("viewBox") == f"0 0 720 {svg.get('height')}"
        assert not list(svg.iter(f"{SVG}script")) and not list(svg.iter(f"{SVG}foreignObject"))
        assert all(not name.startswith("on") for e in svg.iter() for name in e.attrib)


def test_chinese_labels_are_drawn_as_text() -> None:
    words = {t.text for svg in drawn("zh-CN", figures(DAY, MIX)).values() for t in svg.iter(f"{SVG}text")}
    assert {"笔数", "降级挽回", "实线：含降级挽回　虚线：不含"} <= words
    english = {t.text for svg in drawn("en", figures(DAY, MIX)).values() for t in svg.iter(f"{SVG}text")}
    assert "Rescued by fallback" in english and not any("降级" in (w or "") for w in english)


def test_a_label_from_merchant_data_is_escaped_and_still_parses() -> None:
    series = [point(HOSTILE, 9, count=1, success_rate=1.0, success_rate_without_fallback=1.0)]
    charts = drawn("en", figures(series, [mix_row(HOSTILE, 1, 100, 1, 1.0)]))
    safe = HOSTILE.replace("\x00", "\ufffd").replace("\x1b", "\ufffd").replace("\ud800", "\ufffd")
    for svg in charts.values():
        assert not list(svg.iter(f"{SVG}script"))
    rates = charts["rate_by_method"]
    assert {e.get("data-group") for e in with_data(rates, "polyline", "values")} == {safe}
    assert {c.findtext(f"{SVG}title") for c in with_data(rates, "circle", "value")} == {
        f"{safe} 09:00 Success rate 100.0%",
        f"{safe} 09:00 Success rate without fallback 100.0%",
    }
    legend = next(t for t in rates.iter(f"{SVG}text") if t.get("data-legend") is not None)
    assert legend.get("data-legend") == safe and legend.text == safe[:21] + "…"
    (bar,) = with_data(charts["checkout_mix"], "rect", "count")
    assert bar.get("data-method") == safe and bar.findtext(f"{SVG}title") == f"{safe} 100.0% (1)"


def test_the_marks_carry_their_figures_and_the_description_says_them() -> None:
    charts = drawn("en", figures(DAY, MIX))
    said = {c["id"]: c["description"] for c in dashboard_charts("en", figures(DAY, MIX))}
    assert (
        said["per_hour"] == "09:00 Payments 5, Rescued by fallback 1; 10:00 Payments 2, Rescued by fallback 0"
    )
    assert said["rate_by_method"] == (
        "alipay.qr 09:00: Success rate 0.0%, Success rate without fallback 0.0%; "
        "wechat.native 09:00: Success rate 75.0%, Success rate without fallback 50.0%; "
        "wechat.native 10:00: Success rate 100.0%, Success rate without fallback 100.0%"
    )
    assert said["checkout_mix"] == "wechat.native 100.0% (1)"
    assert all(charts[key].findtext(f"{SVG}desc") == said[key] for key in CHARTS)
    hourly = charts["per_hour"]
    bars = [
        (b.get("data-period", "")[11:13], b.get("data-count")) for b in with_data(hourly, "rect", "count")
    ]
    assert bars == [("09", "5"), ("10", "2"), ("11", "0")]  # both methods' ended payments
    rescued = [b.get("data-rescued") for b in with_data(hourly, "rect", "rescued")]
    assert rescued == ["1", "0", "0"]
    assert with_data(hourly, "rect", "count")[0].findtext(f"{SVG}title") == "09:00 Payments 5"
    lines = {
        (e.get("data-group"), e.get("data-figure")): e.get("data-values")
        for e in with_data(charts["rate_by_method"], "polyline", "values")
    }
    assert lines == {
        ("alipay.qr", "success_rate"): "0.0 0 0",
        ("alipay.qr", "success_rate_without_fallback"): "0.0 0 0",
        ("wechat.native", "success_rate"): "0.75 1.0 0",
        ("wechat.native", "success_rate_without_fallback"): "0.5 1.0 0",
    }
    mix = [
        (r.get("data-method"), r.get("data-share"), r.get("data-value"))
        for r in with_data(charts["method_mix"], "rect", "share")
    ]
    assert mix == [
        ("alipay.qr", "count", "0"),
        ("alipay.qr", "amount", "0"),
        ("wechat.native", "count", "4"),
        ("wechat.native", "amount", "31879"),
    ]
    (checkout,) = with_data(charts["checkout_mix"], "rect", "count")
    assert (checkout.get("data-method"), checkout.get("data-count"), checkout.get("data-share")) == (
        "wechat.native",
        "1",
        "1.0",
    )


def test_rates_of_0_and_100_percent_sit_on_the_axis_ends_and_empty_periods_get_no_point() -> None:
    rates = drawn("en", figures(DAY, MIX))["rate_by_method"]
    points = {
        (c.get("data-group"), c.get("data-figure"), c.get("data-period", "")[11:13]): float(c.get("cy", ""))
        for c in with_data(rates, "circle", "value")
    }
    assert points[("wechat.native", "success_rate", "10")] == TOP  # 100 %
    assert points[("alipay.qr", "success_rate", "09")] == BOTTOM  # 0 % of one that ended
    assert points[("wechat.native", "success_rate", "09")] == BOTTOM - 0.75 * PLOT
    assert ("wechat.native", "success_rate", "11") not in points  # nothing ended at 11:00
    assert all(c.findtext(f"{SVG}title") for c in with_data(rates, "circle", "value"))


def test_the_count_axis_steps_by_1_2_or_5_and_the_peak_bar_fills_it() -> None:
    assert count_axis(0) == (1, [0, 1])
    assert count_axis(1) == (1, [0, 1])
    assert count_axis(6) == (6, [0, 2, 4, 6])
    assert count_axis(7) == (8, [0, 2, 4, 6, 8])
    assert count_axis(1234) == (1500, [0, 500, 1000, 1500])
    series = [point("wechat.native", 9, count=7), point("wechat.native", 10, count=2)]
    hourly = drawn("en", figures(series, []))["per_hour"]
    heights = [float(b.get("height", "")) for b in with_data(hourly, "rect", "count")]
    assert heights == [round(PLOT * 7 / 8, 1), round(PLOT * 2 / 8, 1)]
    ticks = [t.text for t in hourly.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert ticks == ["0", "2", "4", "6", "8"]


def test_a_quarter_hour_day_marks_its_rates_with_lines_only() -> None:
    day = [
        point("wechat.native", h // 4, count=1, success_rate=1.0, success_rate_without_fallback=1.0)
        for h in range(96)
    ]
    for n, p in enumerate(day):
        p["period"] = f"2026-12-02T{n // 4:02d}:{15 * (n % 4):02d}:00+08:00"
    rates = drawn("en", figures(day, MIX, granularity="15m"))["rate_by_method"]
    assert not with_data(rates, "circle", "value")
    lines = with_data(rates, "polyline", "values")
    assert [len(line.get("data-values", "").split()) for line in lines] == [96, 96]
    labels = [t.text for t in rates.iter(f"{SVG}text") if t.get("text-anchor") == "middle"]
    assert labels == [f"{h:02d}:00" for h in range(0, 24, 2)]  # a dozen under the axis


def test_one_point_a_day_is_drawn_in_the_middle() -> None:
    day = [
        {
            **point("wechat.native", 0, count=3, success_rate=1.0, success_rate_without_fallback=2 / 3),
            "period": "2026-12-02T00:00:00+08:00",
        }
    ]
    charts = drawn("en", figures(day, MIX, granularity="1d"))
    circles = with_data(charts["rate_by_method"], "circle", "value")
    assert len(circles) == 2 and {c.get("cx") for c in circles} == {"374.0"}  # LEFT + 8 + span / 2
    assert [c.get("data-value") for c in circles] == ["1.0", figure(2 / 3)]
    (bar,) = with_data(charts["per_hour"], "rect", "count")
    assert float(bar.get("height", "")) == PLOT and bar.findtext(f"{SVG}title") == "2026-12-02 Payments 3"


def test_no_figures_draw_empty_charts_that_say_so() -> None:
    charts = drawn("zh-CN", figures([], []))
    for key in ("per_hour", "rate_by_method", "rate_by_provider", "method_mix"):
        assert "当日没有数据" in {t.text for t in charts[key].iter(f"{SVG}text")}, key
        swatches = 2 if key == "per_hour" else 0  # the hourly chart's legend
        assert len(list(charts[key].iter(f"{SVG}rect"))) == swatches, key
    assert "当日没有完成的收银台会话" in {t.text for t in charts["checkout_mix"].iter(f"{SVG}text")}
    assert [svg.findtext(f"{SVG}desc") for svg in charts.values()] == ["当日没有数据"] * 4 + [
        "当日没有完成的收银台会话"
    ]
    assert not with_data(charts["per_hour"], "rect", "count") and not list(
        charts["rate_by_method"].iter(f"{SVG}polyline")
    )


def test_the_svg_marks_escape_everything_and_replace_what_xml_cannot_hold() -> None:
    assert xml_text("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
    assert xml_text("a\x00b\x0bc\ud800d\ufffe\te\nf") == "a\ufffdb\ufffdc\ufffdd\ufffd\te\nf"
    shape = rect(1, 2, -3, 4, "#000", title=HOSTILE, extra={"data-x": HOSTILE, "data-none": None})
    doc = ET.fromstring(document('c"1', HOSTILE, 10, 10, [shape, text(0, 0, HOSTILE, extra={"data-y": "1"})]))
    (mark,) = doc.iter(f"{SVG}rect")
    assert (
        mark.get("width") == "0.0"
        and mark.get("data-x") == mark.findtext(f"{SVG}title")
        and "data-none" not in mark.attrib
    )
    assert doc.get("id") == 'c"1' and doc.findtext(f"{SVG}title") == mark.get("data-x")
    assert figure(0.1 + 0.2) == "0.30000000000000004" and figure(3) == "3" and float(figure(2 / 3)) == 2 / 3


class Fixed:
    def query(self, scope: str | None, *args: Any) -> Any:
        return {"totals": {"count": 1}, "series": DAY, "method_mix": MIX}


def test_the_dashboard_answers_its_charts_in_the_asked_language_and_refuses_another() -> None:
    user = ConsoleUser("sub-1", "alice", "merchant", "mch_a")
    shown = dashboard(Fixed(), user, {"day": "2026-12-02", "lang": "en"})
    assert [(c["id"], c["title"]) for c in shown["charts"]] == [(k, TEXT["en"][k]) for k in CHARTS]
    assert ET.fromstring(shown["charts"][0]["svg"]).findtext(f"{SVG}title") == TEXT["en"]["per_hour"]
    assert dashboard(Fixed(), user, {"day": "2026-12-02"})["charts"][0]["title"] == TEXT["zh-CN"]["per_hour"]
    with pytest.raises(ValidationFailed) as refused:
        dashboard(Fixed(), user, {"day": "2026-12-02", "lang": "fr"})
    assert refused.value.status == 422 and "lang must be one of zh-CN, en" in str(refused.value)
