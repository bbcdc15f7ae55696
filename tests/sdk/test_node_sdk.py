"""The Node.js SDK (sdk/node): its own unit tests (node --test: every golden vector, the retry
rules on a fake server), its package (npm pack, offline, into a temporary directory and installed
there), the README's quick start and the end-to-end program against the local stack. What the
server holds is checked, not only what the program printed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sdk.world import World

SDK = Path(__file__).resolve().parents[2] / "sdk" / "node"
VECTORS = SDK.parent / "testvectors"
NODE = shutil.which("node")
NPM = shutil.which("npm")

# no skip without node: `make test` must run every SDK (.ci/run installs node when it is missing)
assert NODE is not None and NPM is not None, "the Node SDK's tests need node 20 and npm on PATH"


def _node_env(extra: dict[str, str] | None = None, cache: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAYMUX_", "npm_"))}
    env.update(NODE_NO_WARNINGS="1", npm_config_offline="true", npm_config_update_notifier="false")
    env.update(npm_config_fund="false", npm_config_audit="false")
    if cache is not None:
        env["npm_config_cache"] = str(cache)
    return {**env, **(extra or {})}


def _run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`npm pack` (offline, into a temporary directory), unpacked where npm would install it."""
    root = tmp_path_factory.mktemp("node-sdk")
    packed = _run(
        [str(NPM), "pack", "--pack-destination", str(root)], SDK, _node_env(cache=root / "npm-cache")
    )
    assert packed.returncode == 0, packed.stderr
    (tarball,) = root.glob("paymux-*.tgz")
    app = root / "app"
    target = app / "node_modules" / "paymux"
    target.parent.mkdir(parents=True)
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
        archive.extractall(target.parent, filter="data")
    (target.parent / "package").rename(target)
    shipped = {"package/package.json", "package/index.d.ts", "package/README.md", "package/src/index.js"}
    assert shipped <= set(names), names
    assert not [n for n in names if n.startswith(("package/test/", "package/examples/"))], names
    assert not list(SDK.glob("*.tgz")), "npm pack wrote into the repository"
    yield app


# the names test/vectors.test.js gives its tests, one per case
VECTOR_TEST = re.compile(
    r"^ok \d+ - (?:request signing|webhook (?:accepted|refused|test header)|return (?:accepted|refused)): ",
    re.M,
)
PLACEHOLDERS = ("app_YOUR_APP_ID", "sk_YOUR_SECRET", "https://shop.example.com/paymux/notify", "ORDER-1001")


def _vector_cases() -> int:
    files = {
        name: json.loads((VECTORS / f"{name}.json").read_text()) for name in ("request_signing", "returns")
    }
    webhooks = json.loads((VECTORS / "webhooks.json").read_text())
    cases = len(files["request_signing"]["cases"]) + len(files["returns"]["cases"])
    return cases + len(webhooks["verify"]) + len(webhooks["generate"])


def test_the_sdks_own_unit_tests_pass_and_run_every_golden_vector() -> None:
    result = _run([str(NODE), "--test", "test/"], SDK, _node_env())
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = int(re.search(r"^# pass (\d+)$", result.stdout, re.M).group(1))  # type: ignore[union-attr]
    assert re.search(r"^# fail 0$", result.stdout, re.M)
    vector_tests = VECTOR_TEST.findall(result.stdout)
    assert len(vector_tests) == _vector_cases()
    assert passed > len(vector_tests)


def test_the_package_grants_no_licence_the_repository_does_not() -> None:
    # the repository has no LICENSE: the four SDKs' manifests all say so (UNLICENSED/proprietary)
    assert not list(SDK.parents[1].glob("LICEN[CS]E*"))
    assert json.loads((SDK / "package.json").read_text())["license"] == "UNLICENSED"


def _snippet() -> str:
    readme = (SDK / "README.md").read_text()
    block = readme.split("<!-- snippet:start -->", 1)[1].split("<!-- snippet:end -->", 1)[0]
    code = block.strip().removeprefix("```js").removesuffix("```").strip()
    lines = [line for line in code.splitlines() if line.strip()]
    assert len(lines) < 5, lines
    missing = [placeholder for placeholder in PLACEHOLDERS if placeholder not in code]
    assert not missing, missing
    return code


@pytest.mark.e2e
def test_the_readme_quick_start_makes_a_payment_the_server_holds(world: World, installed: Path) -> None:
    env = world.env("node")
    order_no = env["PAYMUX_ORDER_PREFIX"] + "-README"
    code = _snippet()
    values = (env["PAYMUX_APP_ID"], env["PAYMUX_SECRET"], env["PAYMUX_NOTIFY_URL"], order_no)
    for placeholder, value in zip(PLACEHOLDERS, values, strict=True):
        code = code.replace(placeholder, value)
    (installed / "snippet.mjs").write_text(code)
    result = _run(
        [str(NODE), "snippet.mjs"], installed, _node_env({"PAYMUX_BASE_URL": env["PAYMUX_BASE_URL"]})
    )
    assert result.returncode == 0, result.stderr
    stored = world.payment_by_order_no(order_no)
    assert stored is not None
    assert (stored.amount, stored.method, stored.notify_url) == (
        1999,
        "wechat.native",
        env["PAYMUX_NOTIFY_URL"],
    )
    assert result.stdout.split()[:2] == [stored.payment_id, str(stored.status)]


@pytest.mark.e2e
def test_create_pay_verify_the_notification_refund_end_to_end(world: World) -> None:
    env = world.env("node")
    result = _run([str(NODE), "examples/e2e.mjs"], SDK, _node_env(env), timeout=90)
    assert result.returncode == 0, result.stderr
    seen: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])

    stored = world.payment_by_order_no(env["PAYMUX_ORDER_PREFIX"] + "-1")
    assert stored is not None and stored.payment_id == seen["payment_id"] == seen["found_id"]
    assert stored.status == "SUCCESS" and seen["paid_status"] == "SUCCESS"
    assert stored.amount - stored.amount_refund_reserved == 1499 == seen["found_amount_refundable"]

    refund = world.d.refunds.get(seen["refund_id"])
    assert refund is not None
    assert (refund.payment_id, refund.amount, refund.merchant_refund_no) == (
        stored.payment_id,
        500,
        env["PAYMUX_ORDER_PREFIX"] + "-R1",
    )
    assert seen["refund_get_id"] == refund.refund_id and seen["refund_get_amount"] == 500

    # the program verified the notification paymux really sent and stored for this payment
    notifications = {n["notification_id"]: n for n in world.d.notifications.for_payment(stored.payment_id)}
    assert seen["event_id"] == seen["event_header_event_id"] and seen["event_id"] in notifications
    assert json.loads(notifications[seen["event_id"]]["payload"])["id"] == seen["event_id"]
    assert (seen["event_type"], seen["event_object_id"], seen["event_object_status"]) == (
        "payment.succeeded",
        stored.payment_id,
        "SUCCESS",
    )
    assert seen["event_id"] in seen["notification_ids"]
    assert "payment.created" in seen["event_types"]
    # typed errors from the real server
    assert (seen["resend_refused"], seen["missing"]) == ("notification_not_failed", "not_found")
