"""The Python SDK end to end against the local stack (tests/sdk/world.py): sdk/python/examples/e2e.py
run as its own process, and the README's quick start run as written; then what the SERVER holds."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import paymux_sdk
from paymux.domain.states import PaymentStatus
from tests.sdk.world import World

pytestmark = pytest.mark.e2e

SDK = Path(__file__).resolve().parents[2] / "sdk" / "python"
# the fenced block between the markers (ruff's `<!-- fmt:off -->` keeps it as written)
SNIPPET = re.compile(r"<!-- snippet:start -->.*?```python\n(.*?)```.*?<!-- snippet:end -->", re.S)


def run(world: World, env: dict[str, str], *args: str) -> str:
    environment = {**os.environ, **env, "PYTHONPATH": str(SDK)}
    done = subprocess.run(
        [sys.executable, *args], env=environment, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_create_pay_verify_the_notification_refund_find(world: World) -> None:
    env = world.env("python")
    seen = json.loads(run(world, env, str(SDK / "examples" / "e2e.py")).strip().splitlines()[-1])
    order_no = env["PAYMUX_ORDER_PREFIX"] + "-1"
    stored = world.payment_by_order_no(order_no)
    assert stored is not None and stored.payment_id == seen["payment_id"] == seen["found_id"]
    assert (stored.amount, stored.currency, stored.method) == (1999, "CNY", "wechat.native")
    assert stored.status == PaymentStatus.SUCCESS and stored.notify_url == env["PAYMUX_NOTIFY_URL"]
    assert stored.amount_refund_reserved == 500
    refund = world.d.refunds.get(seen["refund_id"])
    assert refund is not None and refund.payment_id == stored.payment_id
    assert (refund.amount, refund.merchant_refund_no) == (500, env["PAYMUX_ORDER_PREFIX"] + "-R1")
    assert seen["paid_status"] == "SUCCESS" and seen["refund_amount"] == 500
    assert (seen["event_type"], seen["event_payment_id"]) == ("payment.succeeded", stored.payment_id)
    assert seen["event_id"].startswith("evt_") and seen["found_refundable"] == 1499
    # the sandbox settles refunds by itself: PROCESSING when the program asked, maybe SUCCESS now
    assert seen["refund_status"] in ("PROCESSING", "SUCCESS")
    assert refund.status.value in ("PROCESSING", "SUCCESS")


def test_the_readme_snippet_makes_the_payment_it_shows(world: World) -> None:
    (code,) = SNIPPET.findall((SDK / "README.md").read_text())
    assert len([line for line in code.splitlines() if line.strip()]) < 5
    env = world.env("python")
    order_no = env["PAYMUX_ORDER_PREFIX"] + "-README"
    for placeholder, value in (
        ("app_YOUR_APP_ID", env["PAYMUX_APP_ID"]),
        ("sk_YOUR_SECRET", env["PAYMUX_SECRET"]),
        ("https://shop.example.com/paymux/notify", env["PAYMUX_NOTIFY_URL"]),
        ("ORDER-1001", order_no),
    ):
        assert placeholder in code
        code = code.replace(placeholder, value)
    printed = run(world, env, "-c", code)
    stored = world.payment_by_order_no(order_no)
    assert stored is not None and printed.split()[0] == stored.payment_id
    assert (stored.amount, stored.notify_url, stored.status) == (
        1999,
        env["PAYMUX_NOTIFY_URL"],
        PaymentStatus.PROCESSING,
    )
    assert printed.split()[1] == stored.action["code_url"]


def test_errors_over_the_stack_are_typed_and_carry_the_marker(world: World) -> None:
    env = world.env("python")
    client = paymux_sdk.Client(env["PAYMUX_APP_ID"], env["PAYMUX_SECRET"], env["PAYMUX_BASE_URL"])
    with pytest.raises(paymux_sdk.NotFoundError) as missing:
        client.payments.get("pay_01KB0000000000000000000000")
    assert (missing.value.status, missing.value.code) == (404, "not_found")
    assert missing.value.headers["paymux-should-retry"] == "false"
    wrong = paymux_sdk.Client(env["PAYMUX_APP_ID"], "sk_wrong", env["PAYMUX_BASE_URL"])
    with pytest.raises(paymux_sdk.AuthenticationError) as refused:
        wrong.payments.find(env["PAYMUX_ORDER_PREFIX"] + "-none")
    assert refused.value.code == "invalid_signature"
