"""The console's audit page and its new-password screen in headless Chromium: an operator's
weight change shows on the audit page with the operator's identity, and a user an administrator
created with a temporary password sets a new one (the pool's policy stated, a weak one refused),
reaches the dashboard, and can sign in again with the new password only."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from tests.console_browser.test_console_browser import sign_in

pytestmark = pytest.mark.browser
TEMPORARY, CHOSEN = "Temporary-Pass-9", "Chosen-Console-Pass-9"


def test_an_operators_weight_change_shows_on_the_audit_page_with_who_made_it(in_browser, world) -> None:
    def steps(context: Any) -> None:
        page = sign_in(context, world, "op")
        page.goto(f"{world.url}/console?lang=en#accounts")
        row = page.locator("#acc-table tr", has_text="wx-console")
        row.locator("input[name='weight']").fill("9")
        row.locator("button", has_text="Save").click()
        page.wait_for_selector("#acc-table tr:has-text('wx-console') td[data-col='weight']:text-is('9')")
        me = page.evaluate(
            """async () => (await fetch('/console/api/me', {headers: {Authorization: 'Bearer '
            + sessionStorage.getItem('paymux.console.token')}})).json()"""
        )
        page.goto(f"{world.url}/console?lang=en#audit")
        page.wait_for_selector("#audit-table td[data-col='action']")
        newest = page.locator("#audit-table tr").nth(1)  # row 0 is the header
        cells = {
            c: newest.locator(f"td[data-col='{c}']").text_content()
            for c in ("username", "sub", "action", "target")
        }
        assert cells == {
            "username": "op",
            "sub": me["sub"],
            "action": "channel_account.updated",
            "target": "wx-console",
        }
        assert '"weight":9' in (newest.locator("td[data-col='detail']").text_content() or "")
        page.fill("#f-actor", "nobody-did-this")
        page.click("#audit-form button")
        page.wait_for_selector("#audit-table[data-rows='0']")
        page.fill("#f-actor", "op")
        page.click("#audit-form button")
        page.wait_for_selector("#audit-table td[data-col='username']")
        names = page.eval_on_selector_all(
            "#audit-table td[data-col='username']", "cells => cells.map(c => c.textContent)"
        )
        assert names and set(names) == {"op"}

    in_browser(steps)


def test_a_new_user_sets_a_new_password_reaches_the_dashboard_and_signs_in_with_it_only(
    in_browser, world
) -> None:
    pool = world.stack.resources.refs["ConsoleUserPool"]
    idp = boto3.client("cognito-idp")
    idp.admin_create_user(
        UserPoolId=pool, Username="erin", TemporaryPassword=TEMPORARY, MessageAction="SUPPRESS"
    )
    idp.admin_add_user_to_group(UserPoolId=pool, Username="erin", GroupName="operators")

    def log_in(page: Any, password: str) -> None:
        page.fill("#f-username", "erin")
        page.fill("#f-password", password)
        page.click("#login-form button")

    def steps(context: Any) -> None:
        page = context.new_page()
        page.goto(f"{world.url}/console?lang=en")
        log_in(page, TEMPORARY)
        page.wait_for_selector("#new-password:not([hidden])")
        rules = page.eval_on_selector_all("#policy li", "items => items.map(i => i.textContent)")
        assert rules == ["at least 12 characters", "a lowercase letter", "an uppercase letter", "a digit"]
        assert page.evaluate("sessionStorage.getItem('paymux.console.token')") is None
        page.fill("#f-new-password", "all-lower-case-1")
        page.fill("#f-confirm-password", "all-lower-case-1")
        page.click("#new-password-form button")
        page.wait_for_selector("#message:has-text('does not meet')")
        assert "an uppercase letter" in (page.text_content("#message") or "")
        page.fill("#f-new-password", CHOSEN)
        page.fill("#f-confirm-password", CHOSEN + "x")
        page.click("#new-password-form button")
        page.wait_for_selector("#message:text-is('The two new passwords differ')")
        page.fill("#f-confirm-password", CHOSEN)
        page.click("#new-password-form button")
        page.wait_for_selector("#view-dashboard:not([hidden])")
        assert page.text_content("#who") == "erin" and page.is_hidden("#new-password")
        # the dashboard's answer first: one arriving after the wrong login below would clear its message
        page.wait_for_selector("#view-dashboard[data-loaded]", state="attached")
        page.click("#signout")
        page.wait_for_selector("#login:not([hidden])")
        log_in(page, TEMPORARY)
        page.wait_for_selector("#message:text-is('Wrong username or password')")
        log_in(page, CHOSEN)
        page.wait_for_selector("#nav:not([hidden])")
        assert page.text_content("#who") == "erin"

    in_browser(steps)


# the API's answers (tests/unit/test_console_login.py) in the page's words; moto's Cognito
# cannot be made to answer them, so the browser is handed each answer at the network
REFUSALS = [
    ("en", 401, "password_reset_required", "An administrator must reset your password"),
    ("en", 429, "sign_in_throttled", "Too many sign-in attempts; try again later"),
    ("en", 503, "sign_in_unavailable", "The sign-in service is unavailable; try again shortly"),
    ("en", 422, "sign_in_refused", "The sign-in was refused; sign in again or ask an administrator"),
    ("zh-CN", 429, "sign_in_throttled", "登录尝试过于频繁，请稍后再试"),
    ("zh-CN", 401, "password_reset_required", "密码需由管理员重置，请联系管理员"),
]


def test_the_sign_in_page_names_each_of_cognitos_other_refusals(in_browser, world) -> None:
    def steps(context: Any) -> None:
        page = context.new_page()
        answer: dict[str, Any] = {}
        page.route(
            "**/console/api/login",
            lambda route: route.fulfill(
                status=answer["status"],
                content_type="application/json",
                body=json.dumps({"error": {"code": answer["code"], "message": "from the API"}}),
            ),
        )
        for lang, status, code, text in REFUSALS:
            answer.update(status=status, code=code)
            page.goto(f"{world.url}/console?lang={lang}")
            page.fill("#f-username", "op")
            page.fill("#f-password", "any-password-1")
            page.click("#login-form button")
            page.wait_for_selector(f"#message:text-is('{text}')")

    in_browser(steps)


def test_the_audit_page_asks_for_the_following_page_with_the_answers_next(in_browser, world) -> None:
    record = {"at": "2026-12-02T04:00:00Z", "action": "a", "target": "t", "username": "op", "sub": "s"}
    pages = [
        {"data": [{**record, "role": "operator", "detail": {"n": 1}}], "day": None, "next": "CURSOR-1"},
        {"data": [{**record, "role": "operator", "detail": {"n": 2}}], "day": None, "next": None},
    ]
    asked: list[str] = []

    def answer(route: Any) -> None:
        asked.append(route.request.url)
        body = pages[1] if "next=" in route.request.url else pages[0]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    def steps(context: Any) -> None:
        page = sign_in(context, world, "op")
        page.route("**/console/api/audit?*", answer)
        page.goto(f"{world.url}/console?lang=en#audit")
        page.wait_for_selector("#audit-table[data-rows='1']")
        page.click("#audit-more")
        page.wait_for_selector("#audit-table[data-rows='2']")
        assert page.is_hidden("#audit-more")

    in_browser(steps)
    assert [parse_qs(urlsplit(url).query).get("next") for url in asked] == [None, ["CURSOR-1"]]
