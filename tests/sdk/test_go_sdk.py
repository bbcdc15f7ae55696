"""The Go SDK (sdk/go): its own tests (`go vet`, `go test`, every golden vector), its end-to-end
program against the SDK world, and the README's quick start, each built offline with Go's own
tool. Build outputs go to a temporary directory; the build cache too (kept between runs)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.demo_merchant import verify
from tests.sdk.world import World

SDK = Path(__file__).resolve().parents[2] / "sdk" / "go"
VECTORS = SDK.parent / "testvectors"
MODULE = "github.com/paymux/paymux-go"


@pytest.fixture(scope="module")
def go_env() -> dict[str, str]:
    go = shutil.which("go")
    assert go, "the Go toolchain is missing (Debian's golang: see .ci/run)"
    cache = Path(tempfile.gettempdir()) / "paymux-sdk-go"
    return {
        **os.environ,
        "GOCACHE": str(cache / "build"),
        "GOPATH": str(cache / "path"),
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",  # standard library only: nothing is downloaded
        "GOTOOLCHAIN": "local",
    }


@pytest.fixture(scope="module")
def build_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="paymux-sdk-go-") as directory:
        yield Path(directory)


def _go(env: dict[str, str], cwd: Path, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        ["go", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"go {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_go_vet_build_and_the_unit_tests_pass_with_every_golden_vector(go_env: dict[str, str]) -> None:
    _go(go_env, SDK, "vet", "./...")
    _go(go_env, SDK, "build", "./...")
    output = _go(go_env, SDK, "test", "-count=1", "-v", "./...")
    assert re.search(rf"^ok\s+{re.escape(MODULE)}\s", output, re.M), output
    assert "--- FAIL" not in output
    signing = json.loads((VECTORS / "request_signing.json").read_text())["cases"]
    webhooks = json.loads((VECTORS / "webhooks.json").read_text())
    returns = json.loads((VECTORS / "returns.json").read_text())["cases"]
    for test, cases in (
        ("TestRequestSigningVectors", signing),
        ("TestWebhookVerifyVectors", webhooks["verify"]),
        ("TestGenerateTestHeaderVectors", webhooks["generate"]),
        ("TestReturnVectors", returns),
    ):
        passed = re.findall(rf"^\s*--- PASS: {test}/", output, re.M)
        assert len(passed) == len(cases), f"{test}: {len(passed)} of {len(cases)} cases ran"


@pytest.mark.e2e
def test_end_to_end_create_pay_verify_refund(world: World, go_env: dict[str, str], build_dir: Path) -> None:
    program = build_dir / "e2e"
    _go(go_env, SDK, "build", "-o", str(program), "./examples/e2e")
    env = world.env("go")
    done = subprocess.run(
        [str(program)], env={**go_env, **env}, capture_output=True, text=True, timeout=90, check=False
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    order_no = env["PAYMUX_ORDER_PREFIX"] + "-1"
    stored = world.payment_by_order_no(order_no)
    assert stored is not None and stored.payment_id == seen["payment_id"]
    assert stored.status == "SUCCESS"
    assert stored.to_public()["amount_refundable"] == 1499 == seen["amount_refundable"]
    refund = world.d.refunds.get(seen["refund_id"])
    assert refund is not None
    assert (refund.payment_id, refund.amount) == (stored.payment_id, 500)
    assert refund.merchant_refund_no == env["PAYMUX_ORDER_PREFIX"] + "-R1"
    assert seen["refund_status"] in ("PROCESSING", "SUCCESS") and seen["refund_amount"] == 500
    assert (seen["found_id"], seen["found_status"]) == (stored.payment_id, "SUCCESS")
    assert seen["missing_is_not_found"] is True

    # the program verified a notification paymux really sent about this payment
    sent = [r for r in world.receiver.received if r["event_id"] == seen["event_id"]]
    assert sent, f"paymux sent no notification {seen['event_id']}"
    body = base64.b64decode(sent[0]["body_base64"])
    assert json.loads(body)["data"]["object"]["id"] == stored.payment_id
    assert verify(sent[0]["signature"], body, env["PAYMUX_SECRET"], time.time())
    assert (seen["event_type"], seen["event_payment_status"]) == ("payment.succeeded", "SUCCESS")


def readme_snippet() -> str:
    readme = (SDK / "README.md").read_text()
    block = readme.split("<!-- snippet:start -->", 1)[1].split("<!-- snippet:end -->", 1)[0]
    code = re.search(r"```go\n(.*?)```", block, re.S)
    assert code, "the snippet is not a fenced go block"
    return code.group(1)


def test_the_package_grants_no_licence_the_repository_does_not() -> None:
    # the repository has no LICENSE: the four SDKs say so (go.mod has no field: the README does)
    assert not list(SDK.parents[1].glob("LICEN[CS]E*"))
    assert "no licence is granted (UNLICENSED, proprietary)" in (SDK / "README.md").read_text()


def test_the_readme_snippet_is_a_payment_in_fewer_than_five_lines() -> None:
    lines = [line for line in readme_snippet().splitlines() if line.strip()]
    assert len(lines) < 5, lines
    for placeholder in (
        "app_YOUR_APP_ID",
        "sk_YOUR_SECRET",
        "https://shop.example.com/paymux/notify",
        "ORDER-1001",
    ):
        assert placeholder in readme_snippet()


@pytest.mark.e2e
def test_the_readme_snippet_runs(world: World, go_env: dict[str, str], build_dir: Path) -> None:
    env = world.env("go")
    order_no = env["PAYMUX_ORDER_PREFIX"] + "-README"
    snippet = (
        readme_snippet()
        .replace("app_YOUR_APP_ID", env["PAYMUX_APP_ID"])
        .replace("sk_YOUR_SECRET", env["PAYMUX_SECRET"])
        .replace("https://shop.example.com/paymux/notify", env["PAYMUX_NOTIFY_URL"])
        .replace("ORDER-1001", order_no)
    )
    imports = [line for line in snippet.splitlines() if line.startswith("import")]
    body = [line for line in snippet.splitlines() if line.strip() and not line.startswith("import")]
    program = build_dir / "readme"
    program.mkdir()
    (program / "main.go").write_text(
        "package main\n\n" + "\n".join(imports) + "\n\nfunc main() {\n" + "\n".join(body) + "\n}\n"
    )
    (program / "go.mod").write_text(
        f"module readme\n\ngo 1.19\n\nrequire {MODULE} v0.0.0\n\nreplace {MODULE} => {SDK}\n"
    )
    _go(go_env, program, "build", "-o", str(program / "readme"), ".")
    done = subprocess.run(
        [str(program / "readme")],
        env={**go_env, "PAYMUX_BASE_URL": env["PAYMUX_BASE_URL"]},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    stored = world.payment_by_order_no(order_no)
    assert stored is not None and (stored.amount, stored.method) == (1999, "wechat.native")
    assert done.stdout.startswith("weixin://wxpay/bizpayurl?pr="), done.stdout
