"""The PHP SDK (sdk/php) with PHP's own tools: its offline build (php -l, the PSR-4 map of
composer.json, a phar), its unit tests (sdk/php/tests/run.php: every golden vector, the retry
contract against a PHP fake server), its end-to-end program against the SDK world, and the
README's quick start, each checked against what the SERVER stored."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from paymux.store.checkout_sessions import CheckoutSessionStore
from tests.sdk.world import World

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk" / "php"
PHP = shutil.which("php")


def _php(*args: str, env: dict[str, str] | None = None, cwd: Path = SDK) -> subprocess.CompletedProcess[str]:
    assert PHP is not None, "php is not installed: .ci/run installs php-cli and php-curl"
    return subprocess.run(
        [PHP, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_the_sdk_builds_offline_with_php(tmp_path: Path) -> None:
    result = _php("-d", "phar.readonly=0", "bin/build.php", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"php -l: \d+ files, no syntax errors", result.stdout)
    assert "composer.json: PSR-4 holds" in result.stdout
    phar = tmp_path / "paymux.phar"
    assert phar.is_file()
    loaded = _php("-r", f"require {str(phar)!r}; echo \\Paymux\\Client::userAgent();")
    assert re.fullmatch(r"paymux-php/\d+\.\d+\.\d+ php/8\.\d+\.\d+", loaded.stdout), loaded.stderr


def test_the_unit_tests_pass() -> None:
    result = _php("tests/run.php")
    assert result.returncode == 0, result.stdout + result.stderr
    counts = re.search(r"(\d+) passed, (\d+) failed, (\d+) assertions", result.stdout)
    assert counts is not None, result.stdout
    passed, failed = int(counts[1]), int(counts[2])
    assert failed == 0 and passed >= 43, result.stdout


def test_the_package_grants_no_licence_the_repository_does_not() -> None:
    # the repository has no LICENSE: the four SDKs' manifests all say so (UNLICENSED/proprietary)
    assert not list(ROOT.glob("LICEN[CS]E*"))
    assert json.loads((SDK / "composer.json").read_text())["license"] == "proprietary"


@pytest.mark.e2e
def test_end_to_end_create_pay_verify_refund(world: World) -> None:
    env = world.env("php")
    result = _php("examples/e2e.php", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    seen: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    order_no = env["PAYMUX_ORDER_PREFIX"] + "-1"

    stored = world.payment_by_order_no(order_no)
    assert stored is not None and stored.payment_id == seen["payment_id"]
    assert stored.status == "SUCCESS"
    assert stored.amount == 1999
    assert stored.to_public()["amount_refundable"] == 1499
    refunds = world.d.refunds.for_payment(stored.payment_id)
    assert [(r.refund_id, r.amount, r.merchant_refund_no) for r in refunds] == [
        (seen["refund_id"], 500, env["PAYMUX_ORDER_PREFIX"] + "-R1")
    ]

    # the program verified the notification paymux really sent to the receiver
    delivered = [r for r in world.receiver.received if r["event_id"] == seen["event_id"]]
    assert delivered, "the event the program verified was delivered"
    assert seen["event_type"] == "payment.succeeded" and seen["event_payment_status"] == "SUCCESS"
    assert seen["event_header_event_id"] == seen["event_id"]
    assert seen["refund_get_id"] == seen["refund_id"] and seen["refund_get_amount"] == 500
    assert seen["found_id"] == stored.payment_id and seen["found_amount_refundable"] == 1499
    assert seen["notifications"] >= 1 and seen["events"]

    closed = world.payment_by_order_no(env["PAYMUX_ORDER_PREFIX"] + "-2")
    assert closed is not None and closed.payment_id == seen["closed_id"]
    assert closed.status == "CLOSED" and seen["closed_status"] == "CLOSED"
    resend, missing = seen["resend_error"], seen["not_found_error"]
    assert (resend["class"], resend["status"]) == ("Paymux\\Exception\\ConflictException", 409), resend
    assert resend["code"] == "notification_not_failed"
    assert (missing["class"], missing["status"], missing["code"]) == (
        "Paymux\\Exception\\NotFoundException",
        404,
        "not_found",
    )
    session = CheckoutSessionStore(world.d.dynamodb, world.d.settings.table).get(seen["session_id"])
    assert session is not None and seen["session_status"] == session.status == "open"
    assert (session.amount, session.merchant_order_no) == (1288, env["PAYMUX_ORDER_PREFIX"] + "-CS")
    assert seen["session_url"] == session.url


def _snippet() -> str:
    readme = (SDK / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- snippet:start -->\s*```php\n(.*?)```\s*<!-- snippet:end -->", readme, re.S)
    assert block is not None, "the README's quick start is between the snippet markers"
    return block[1]


@pytest.mark.e2e
def test_the_readme_quick_start_runs(world: World, tmp_path: Path) -> None:
    code = _snippet()
    lines = [line for line in code.splitlines() if line.strip()]
    assert len(lines) < 5, lines
    env = world.env("php")
    order_no = env["PAYMUX_ORDER_PREFIX"] + "-README"
    for placeholder in (
        "app_YOUR_APP_ID",
        "sk_YOUR_SECRET",
        "https://shop.example.com/paymux/notify",
        "ORDER-1001",
    ):
        assert placeholder in code, placeholder
    code = (
        code.replace("app_YOUR_APP_ID", env["PAYMUX_APP_ID"])
        .replace("sk_YOUR_SECRET", env["PAYMUX_SECRET"])
        .replace("https://shop.example.com/paymux/notify", env["PAYMUX_NOTIFY_URL"])
        .replace("ORDER-1001", order_no)
    )
    # what `composer require` would have written: vendor/autoload.php loading the SDK
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "autoload.php").write_text(f"<?php\nrequire {str(SDK / 'init.php')!r};\n")
    (tmp_path / "quickstart.php").write_text(code, encoding="utf-8")
    result = _php("quickstart.php", env={"PAYMUX_BASE_URL": env["PAYMUX_BASE_URL"]}, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr

    stored = world.payment_by_order_no(order_no)
    assert stored is not None
    assert (stored.amount, stored.currency, stored.method) == (1999, "CNY", "wechat.native")
    assert result.stdout.strip() == stored.action["code_url"], (
        "the snippet printed the stored payment's QR code"
    )
