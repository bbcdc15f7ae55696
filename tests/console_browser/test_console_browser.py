"""The console in headless Chromium: signing in, a merchant user kept to its own merchant, a
one-click export that downloads a file that parses, and the dashboard showing the figures the
stats source gave. Screenshots of the dashboard and the reconciliation page: docs/images/."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import openpyxl
import pytest

from paymux.console.audit import actions_on
from paymux.services.reconciliation_records import CSV_COLUMNS
from paymux.services.report_xlsx import SUMMARY_COLUMNS
from paymux.store.exceptions import record_exception
from tests.console_browser.conftest import IMAGES
from tests.console_browser.world import PASSWORD, ConsoleWorld, FakeStats

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


def test_the_dashboard_shows_the_figures_of_the_stats_source(in_browser, world) -> None:
    def steps(context: Any) -> None:
        page = sign_in(context, world, "op", lang="zh-CN")
        page.fill("#dash-day", "2026-11-30")
        page.click("#dash-form button")
        page.wait_for_selector("#view-dashboard[data-loaded='2026-11-30']")
        figures = page.eval_on_selector_all(
            "#tiles .tile",
            "tiles => Object.fromEntries(tiles.map(t => [t.dataset.figure, [t.dataset.value, t.querySelector('strong').textContent]]))",
        )
        asked = world.stats.asked[-2:]  # by method, then by provider
        expected = FakeStats().query(None, *asked[0][1:3], "1h", "method")
        totals = expected["totals"]
        assert {k: float(v[0]) for k, v in figures.items()} == {k: float(v) for k, v in totals.items()}
        assert figures["success_rate"][1] == "82.4%"
        assert figures["success_rate_without_fallback"][1] == "79.3%"
        assert figures["amount"][1] == "¥20,335.00"
        bars = page.eval_on_selector_all(
            "#chart-hourly rect[data-count]",
            "bars => bars.map(b => [b.dataset.period, Number(b.dataset.count)])",
        )
        rescued = page.eval_on_selector_all(
            "#chart-hourly rect[data-rescued]",
            "bars => bars.map(b => [b.dataset.period, Number(b.dataset.rescued)])",
        )
        hourly: dict[str, list[int]] = {}
        for s in expected["series"]:
            sums = hourly.setdefault(s["period"], [0, 0])
            sums[0] += s["count"]
            sums[1] += s["fallback_rescued"]
        assert bars == [[period, sums[0]] for period, sums in sorted(hourly.items())]
        assert rescued == [[period, sums[1]] for period, sums in sorted(hourly.items())]
        lines = page.eval_on_selector_all(
            "#chart-method polyline", "ls => ls.map(l => l.dataset.group + ' ' + l.dataset.figure)"
        )
        assert sorted(lines) == sorted(
            f"{g} {f}"
            for g in ("alipay.qr", "wechat.native")
            for f in ("success_rate", "success_rate_without_fallback")
        )
        mix = page.eval_on_selector_all(
            "#chart-mix rect",
            "rs => rs.map(r => [r.dataset.method, r.dataset.share, Number(r.dataset.value)])",
        )
        assert mix == [
            [m["method"], key, m[key]] for m in expected["method_mix"] for key in ("count", "amount")
        ]
        day = (None, "2026-11-30T00:00:00+08:00", "2026-12-01T00:00:00+08:00", "1h")
        assert [(s, a.isoformat(), b.isoformat(), g, by) for s, a, b, g, by in asked] == [
            (*day, "method"),
            (*day, "provider"),
        ]
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / "console-dashboard.png"), full_page=True)
        merchant = sign_in(context, world, "bob")
        merchant.wait_for_selector("#view-dashboard[data-loaded]")
        assert world.stats.asked[-1][0] == "mch_b"
        assert (
            json.loads(json.dumps(api_answer(merchant, "dashboard?day=2026-11-30")["body"]["scope"]))
            == "mch_b"
        )

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


def test_an_operator_reweights_and_disables_an_account_and_it_is_audited(in_browser, world) -> None:
    def steps(context: Any) -> None:
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
            ("channel_account.updated", {"version": 1, "weight": 5}),
            ("channel_account.updated", {"enabled": False, "version": 2}),
        ]

    in_browser(steps)
