"""The console in headless Chromium: signing in, a merchant user kept to its own merchant, a
one-click export that downloads a file that parses, and the dashboard showing the figures the
stats source gave. Screenshots of the dashboard and the reconciliation page: docs/images/."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import openpyxl
import pytest

from paymux.clock import CHINA
from paymux.console.audit import actions_on
from paymux.console.text import TEXT
from paymux.services.reconciliation_records import CSV_COLUMNS
from paymux.services.report_xlsx import SUMMARY_COLUMNS
from paymux.store.exceptions import record_exception
from tests.console_browser.conftest import IMAGES
from tests.console_browser.world import PASSWORD, ConsoleWorld, seed_payment

pytestmark = pytest.mark.browser


def sign_in(context: Any, world: ConsoleWorld, username: str, lang: str = "en") -> Any:
    page = context.new_page()
    page.goto(f"{world.url}/console?lang={lang}")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("#login-form button")
    page.wait_for_selector("#nav:not([hidden])")
    return page


def api_answer(page: Any, path: str) -> dict[str, Any]:
    """What the console API answers this page's signed-in user (its token, from the tab)."""
    script = """async (path) => {
      const token = sessionStorage.getItem('paymux.console.token');
      const r = await fetch('/console/api/' + path, {headers: {Authorization: 'Bearer ' + token}});
      return {status: r.status, body: await r.json()};
    }"""
    answer: dict[str, Any] = page.evaluate(script, path)
    return answer


def test_an_operator_signs_in_and_a_wrong_password_does_not(in_browser, world) -> None:
    def steps(context: Any) -> None:
        page = context.new_page()
        violations: list[str] = []
        page.on(
            "console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None
        )
        response = page.goto(f"{world.url}/console?lang=en")
        assert "script-src 'sha256-" in response.headers["content-security-policy"]
        page.fill("#f-username", "op")
        page.fill("#f-password", "Not-The-Password-1")
        page.click("#login-form button")
        page.wait_for_selector("#message:not(:empty)")
        assert page.text_content("#message") == "Wrong username or password"
        assert page.evaluate("sessionStorage.getItem('paymux.console.token')") is None
        page.fill("#f-password", PASSWORD)
        page.click("#login-form button")
        page.wait_for_selector("#nav:not([hidden])")
        assert page.text_content("#who") == "op"
        assert page.is_hidden("#login")
        assert page.evaluate("document.body.dataset.role") == "operator"
        assert violations == []

    in_browser(steps)


def test_a_merchant_user_sees_only_its_merchants_payments(in_browser, world) -> None:
    def steps(context: Any) -> None:
        page = sign_in(context, world, "alice")
        assert page.text_content("#who") == "alice · mch_a"
        page.goto(f"{world.url}/console?lang=en#payments")
        page.wait_for_selector("#pay-table td[data-col='id']")
        listed = page.eval_on_selector_all(
            "#pay-table td[data-col='merchant_order_no']", "cells => cells.map(c => c.textContent)"
        )
        assert sorted(listed) == ["A-1001", "A-1002"]
        other = world.payments["B-2001"].payment_id
        page.fill("#f-id", other)
        page.click("#pay-form button")
        page.wait_for_selector("#pay-table[data-rows='0']")
        theirs = api_answer(page, f"payments/{other}")
        missing = api_answer(page, "payments/pay_01ARZ3NDEKTSV4RRFFQ69G5FAV")
        assert theirs["status"] == missing["status"] == 404
        assert {k: v for k, v in theirs["body"]["error"].items() if k != "request_id"} == {
            k: v for k, v in missing["body"]["error"].items() if k != "request_id"
        }
        own = world.payments["A-1001"].payment_id
        page.fill("#f-id", own)
        page.click("#pay-form button")
        page.click(f"button[data-open='{own}']")
        page.wait_for_selector("#pay-events td[data-col='type']")
        assert page.text_content("#pay-events td[data-col='type']") == "payment.created"
        assert api_answer(page, "exceptions")["status"] == 403

    in_browser(steps)


def test_an_export_downloads_a_file_that_parses(in_browser, world, tmp_path) -> None:
    def steps(context: Any) -> None:
        page = sign_in(context, world, "op")
        page.goto(f"{world.url}/console?lang=en#reconciliation")
        day = world.reconciled_day.isoformat()
        week_before = (world.reconciled_day - timedelta(days=6)).isoformat()
        page.fill("#rec-from", week_before)
        page.fill("#rec-to", day)
        page.click("#rec-form button")
        page.wait_for_selector(f"#rec-table[data-range='{week_before}/{day}']")
        rows = page.eval_on_selector_all(
            "#rec-table tr",
            "rows => rows.slice(1).map(r => [r.cells[0].textContent, r.cells[1].textContent])",
        )
        assert rows[0] == [day, "Reconciled"] and len(rows) == 7
        assert {state for _, state in rows[1:]} == {"Not reconciled"}
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / "console-reconciliation.png"), full_page=True)
        files = {}
        for fmt in ("csv", "xlsx", "txt"):
            with page.expect_download() as download:
                page.click(f"button[data-export='{day}/{fmt}']")
            assert download.value.suggested_filename == f"paymux-{day}-discrepancies.{fmt}"
            files[fmt] = tmp_path / download.value.suggested_filename
            download.value.save_as(files[fmt])
        rows = list(csv.reader(io.StringIO(files["csv"].read_text(encoding="utf-8-sig"))))
        assert rows[0] == list(CSV_COLUMNS)
        sheet = openpyxl.load_workbook(files["xlsx"], read_only=True)["summary"]
        assert [c.value for c in next(sheet.iter_rows(max_row=1))] == list(SUMMARY_COLUMNS)
        assert day in files["txt"].read_text(encoding="utf-8")

    in_browser(steps)


# The dashboard's names for GET /v1/stats's figures (console/stats_port.dashboard_figures).
TILE_FIGURES = {
    "count": "ended",
    "success_count": "succeeded",
    "amount": "amount_succeeded",
    "success_rate": "success_rate",
    "success_rate_without_fallback": "success_rate_without_fallback",
    "average_amount": "average_transaction_value",
    "fallback_rescued": "rescued",
}


def seeded_day(world: ConsoleWorld) -> tuple[str, str]:
    payment = world.d.payments.get(world.seeded["paid_1"])
    assert payment is not None
    day = datetime.fromtimestamp(payment.created_at, CHINA).date()
    return day.isoformat(), (day + timedelta(days=1)).isoformat()


SVG = "{http://www.w3.org/2000/svg}"
DATA_SVG = "data:image/svg+xml;charset=utf-8,"


def shown_chart(page: Any, key: str) -> ET.Element:
    """The SVG document the page shows as chart `key`: its <img>'s data: URL, which the browser
    decoded (a document that does not parse would show nothing), parsed as XML."""
    shown = page.eval_on_selector(
        f"#chart-{key}",
        "img => ({src: img.src, alt: img.alt, width: img.naturalWidth, done: img.complete})",
    )
    assert shown["done"] and shown["width"] > 0, f"the browser drew chart {key}"
    assert shown["src"].startswith(DATA_SVG)
    svg = ET.fromstring(unquote(shown["src"].removeprefix(DATA_SVG)))
    assert svg.tag == f"{SVG}svg" and svg.get("role") == "img"
    assert svg.findtext(f"{SVG}title") == TEXT["zh-CN"][key]
    assert svg.findtext(f"{SVG}desc") == shown["alt"] != ""  # its figures in words
    return svg


def marks(svg: ET.Element, tag: str, key: str) -> list[ET.Element]:
    """The chart's marks of that tag carrying data-`key`, each with its figure in a <title>."""
    found = [m for m in svg.iter(f"{SVG}{tag}") if m.get(f"data-{key}") is not None]
    assert all(m.findtext(f"{SVG}title") for m in found), "every mark has its tooltip"
    return found


def shown_dashboard(page: Any) -> dict[str, Any]:
    """What the page shows: the tiles' values and texts, the hourly bars, the rate lines' values
    and the method-mix and checkout bars, read from the charts' SVG as numbers."""
    hourly, mix, checkout = (shown_chart(page, k) for k in ("per_hour", "method_mix", "checkout_mix"))
    return {
        "tiles": page.eval_on_selector_all(
            "#tiles .tile",
            "ts => Object.fromEntries(ts.map(t => [t.dataset.figure, [Number(t.dataset.value), t.querySelector('strong').textContent]]))",
        ),
        "bars": [
            [b.get("data-period"), int(b.get("data-count", ""))] for b in marks(hourly, "rect", "count")
        ],
        "rescued": [
            [b.get("data-period"), int(b.get("data-rescued", ""))] for b in marks(hourly, "rect", "rescued")
        ],
        "lines": {
            chart: [
                [
                    line.get("data-group"),
                    line.get("data-figure"),
                    [float(v) for v in line.get("data-values", "").split()],
                ]
                for line in marks(shown_chart(page, chart), "polyline", "values")
            ]
            for chart in ("rate_by_method", "rate_by_provider")
        },
        "checkout": [
            [r.get("data-method"), int(r.get("data-count", "")), float(r.get("data-share", ""))]
            for r in marks(checkout, "rect", "count")
        ],
        "mix": [
            [r.get("data-method"), r.get("data-share"), int(r.get("data-value", ""))]
            for r in marks(mix, "rect", "share")
        ],
    }


def rate_lines(answer: dict[str, Any]) -> list[list[Any]]:
    """Each group's two rate lines as the page draws them (a period where nothing ended: 0)."""
    return [
        [group["group"], figure, [p[figure] or 0 for p in group["series"]]]
        for group in sorted(answer["groups"], key=lambda g: str(g["group"]))
        for figure in ("success_rate", "success_rate_without_fallback")
    ]


def test_the_dashboard_of_a_seeded_day_shows_what_the_stats_api_answers(in_browser, world) -> None:
    """The issue's must-show: a day seeded through the handlers, folded from the stream by the
    real StatsStreamFunction, shown by the console from the real stats service; every figure
    equals GET /v1/stats asked signed as the merchant."""
    day, next_day = seeded_day(world)
    by_method = world.shop.stats(day, next_day, "method")
    by_provider = world.shop.stats(day, next_day, "provider")
    totals = by_method["totals"]
    # the seeded day: 3 paid (one half refunded), 1 closed, 1 open, 1 paid in checkout, 1 rescued
    assert (totals["created"], totals["succeeded"], totals["closed"], totals["ended"]) == (7, 5, 1, 6)
    assert (totals["amount_succeeded"], totals["refunds"], totals["amount_refunded"]) == (31_879, 1, 12_500)
    assert (totals["rescued"], totals["amount_rescued"]) == (1, 1500)
    assert totals["checkout_completed"] == 1

    def steps(context: Any) -> None:
        page = sign_in(context, world, "carol", lang="zh-CN")
        refused: list[str] = []  # what the policy blocked: the charts are data: images it allows
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.fill("#dash-day", day)
        page.click("#dash-form button")
        page.wait_for_selector(f"#view-dashboard[data-loaded='{day}']")
        shown = shown_dashboard(page)
        assert {k: v[0] for k, v in shown["tiles"].items()} == {
            tile: totals[figure] for tile, figure in TILE_FIGURES.items()
        }
        assert shown["tiles"]["success_rate"][1] == "83.3%"
        assert shown["tiles"]["amount"][1] == "¥318.79"
        assert shown["tiles"]["average_amount"][1] == "¥63.76"
        hours = sorted({p["period"] for g in by_method["groups"] for p in g["series"]})
        assert len(hours) == 24
        for key, figure in (("bars", "ended"), ("rescued", "rescued")):
            per_hour = {
                h: sum(p[figure] for g in by_method["groups"] for p in g["series"] if p["period"] == h)
                for h in hours
            }
            assert shown[key] == [[h, per_hour[h]] for h in hours]
        assert sum(n for _, n in shown["bars"]) == 6
        assert sum(n for _, n in shown["rescued"]) == shown["tiles"]["fallback_rescued"][0] == 1
        assert shown["tiles"]["success_rate_without_fallback"][1] == "66.7%"
        assert shown["lines"]["rate_by_method"] == rate_lines(by_method)
        assert shown["lines"]["rate_by_provider"] == rate_lines(by_provider)
        assert shown["mix"] == [
            [m["method"], key, m[key]] for m in by_method["method_mix"] for key in ("count", "amount")
        ]
        assert shown["mix"] == [["wechat.native", "count", 5], ["wechat.native", "amount", 31_879]]
        assert shown["checkout"] == [
            [m["method"], m["checkout_completed"], m["checkout_share"]]
            for m in by_method["method_mix"]
            if m["checkout_completed"]
        ]
        assert shown["checkout"] == [["wechat.native", 1, 1.0]]
        assert refused == []
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / "console-dashboard.png"), full_page=True)
        # another merchant's user sees its own day: none of the shop's figures
        other = sign_in(context, world, "bob")
        answer = api_answer(other, f"dashboard?day={day}")["body"]
        assert answer["scope"] == "mch_b" and answer["totals"]["success_count"] == 0
        assert answer["method_mix"] == [
            {"method": "wechat.native", "count": 0, "amount": 0, "checkout_completed": 0, "checkout_share": 0}
        ]  # created only

    in_browser(steps)


def test_an_operator_resolves_an_exception_and_it_is_audited(in_browser, world) -> None:
    def steps(context: Any) -> None:
        record_exception(world.d, "trade_mismatch", "wx-1/T-9", {"amount": 1}, key="browser-1", metric=None)
        page = sign_in(context, world, "op")
        page.goto(f"{world.url}/console?lang=en#exceptions")
        page.wait_for_selector("#exc-table td[data-col='subject']")
        assert page.text_content("#exc-table td[data-col='subject']") == "wx-1/T-9"
        page.fill("#exc-table input[name='note']", "checked with the channel")
        page.click("#exc-table button")
        page.wait_for_selector("#exc-table[data-rows='0']")
        stored = world.d.dynamodb.get_item(
            TableName=world.d.settings.table, Key={"PK": {"S": "EXC#browser-1"}, "SK": {"S": "EXC"}}
        )["Item"]
        (audit,) = [a for a in actions_on(world.d, world.d.clock()) if a["target"] == "browser-1"]
        assert (audit["action"], audit["username"]) == ("exception.resolved", "op")
        assert stored["resolved_by"]["S"] == f"console:op#{audit['sub']}" and audit["sub"]
        assert stored["resolution"]["S"] == "checked with the channel" and "GSI2PK" not in stored

    in_browser(steps)


def test_a_stopped_reversal_is_resolved_with_its_outcome_and_the_payment_closes(in_browser, world) -> None:
    payment = seed_payment(world.d, "mch_a", "REV-1", 1999, world.d.clock())
    detail = {"payment_id": payment.payment_id, "action": "check the trade, then choose"}
    record_exception(
        world.d, "reversal_unconfirmed", payment.payment_id, detail, key="browser-rev", metric=None
    )

    def steps(context: Any) -> None:
        page = sign_in(context, world, "op")
        page.goto(f"{world.url}/console?lang=en#exceptions")
        page.wait_for_selector("#exc-table select[name='outcome']")
        page.fill("#exc-table input[name='note']", "revoked in the merchant platform")
        page.click("#exc-table button")  # no outcome chosen: refused, nothing written
        page.wait_for_selector(
            "#message:not(:empty)"
        )  # a locator, not a string the page's CSP would refuse to eval
        assert world.d.payments.get(payment.payment_id).status == "PENDING"
        page.select_option("#exc-table select[name='outcome']", "closed")
        page.click("#exc-table button")
        page.wait_for_selector("#exc-table[data-rows='0']")
        assert world.d.payments.get(payment.payment_id).status == "CLOSED"
        (audit,) = [a for a in actions_on(world.d, world.d.clock()) if a["target"] == "browser-rev"]
        assert json.loads(audit["detail"])["outcome"] == "closed"

    in_browser(steps)


def test_an_operator_reweights_and_disables_an_account_and_it_is_audited(in_browser, world) -> None:
    def steps(context: Any) -> None:
        before = world.d.channel_config.record(
            "wx-console"
        ).version  # the world is shared: other tests change it too
        page = sign_in(context, world, "op")
        page.goto(f"{world.url}/console?lang=en#accounts")
        row = page.locator("#acc-table tr", has_text="wx-console")
        row.locator("input[name='weight']").fill("5")
        row.locator("button", has_text="Save").click()
        page.wait_for_selector("#acc-table tr:has-text('wx-console') td[data-col='weight']:text-is('5')")
        assert world.d.channel_config.record("wx-console").account.weight == 5
        page.locator("#acc-table tr", has_text="wx-console").locator("button[data-toggle]").click()
        page.wait_for_selector("#acc-table tr:has-text('wx-console') button[data-toggle]:text-is('Enable')")
        record = world.d.channel_config.record("wx-console")
        assert (record.account.enabled, record.account.weight) == (False, 5)
        assert record.updated_by.startswith("console:op#")
        actions = [(a["action"], json.loads(a["detail"])) for a in actions_on(world.d, world.d.clock())]
        assert [a for a in actions if a[0] == "channel_account.updated"][-2:] == [
            ("channel_account.updated", {"version": before, "weight": 5}),
            ("channel_account.updated", {"enabled": False, "version": before + 1}),
        ]

    in_browser(steps)
