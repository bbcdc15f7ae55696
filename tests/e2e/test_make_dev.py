"""End to end, as a developer does it: `python -m local` (what `make dev` runs) in its own
process, then the example it prints makes a payment over HTTP that ends SUCCESS with the
merchant notified; Ctrl-C stops everything cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def local_stack(tmp_path: Path):
    state = tmp_path / "demo.json"
    ports = {
        "api": free_port(),
        "sandbox": free_port(),
        "merchant": free_port(),
        "alipay": free_port(),
        "unionpay": free_port(),
        "huifu": free_port(),
    }
    env = {
        **os.environ,
        "PAYMUX_DEMO_STATE": str(state),
        "PAYMUX_STACK_STATE": str(tmp_path / "stack.json"),
        "PAYMUX_SANDBOX_PORT": str(ports["sandbox"]),
        "PAYMUX_DEMO_MERCHANT_PORT": str(ports["merchant"]),
        "PAYMUX_ALIPAY_SANDBOX_PORT": str(ports["alipay"]),
        "PAYMUX_UNIONPAY_SANDBOX_PORT": str(ports["unionpay"]),
        "PAYMUX_HUIFU_SANDBOX_PORT": str(ports["huifu"]),
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp_path / "stack.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", str(ports["api"]), "--moto-port", "0"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not state.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            process.kill()
            pytest.fail(f"local stack did not start:\n{log.read()}")
        time.sleep(0.2)
    yield process, json.loads(state.read_text()), log
    if process.poll() is None:
        process.kill()
        process.wait()


def test_printed_example_pays_and_notifies(local_stack):
    process, state, log = local_stack
    log.seek(0)
    banner = log.read()
    assert state["secret"] in banner and "python -m local.example" in banner
    example = [
        sys.executable,
        "-m",
        "local.example",
        "--api",
        state["api_url"],
        "--app-id",
        state["app_id"],
        "--secret",
        state["secret"],
        "--notify-url",
        state["notify_url"],
        "--sandbox-url",
        state["sandbox_url"],
    ]
    result = subprocess.run(  # noqa: PLW1510 - the return code is asserted below
        example,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("created pay_") and "PROCESSING" in lines[0]
    assert any(line.startswith("paymux says pay_") and line.split()[4] == "SUCCESS" for line in lines)
    assert lines[-1].startswith("merchant notified: payment.succeeded (signature verified")

    # The same example paying with Alipay, as the banner says.
    assert "--method alipay.qr" in banner
    alipay = subprocess.run(  # noqa: PLW1510 - the return code is asserted below
        [*example, "--method", "alipay.qr", "--alipay-sandbox-url", state["alipay_sandbox_url"]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert alipay.returncode == 0, alipay.stdout + alipay.stderr
    lines = alipay.stdout.splitlines()
    assert "payer paid in the sandbox: TRADE_SUCCESS" in lines
    assert any(line.startswith("paymux says pay_") and "SUCCESS (alipay trade" in line for line in lines)
    assert lines[-1].startswith("merchant notified: payment.succeeded (signature verified")

    # The shop bound to the WeChat Pay service-provider account, as the banner says.
    assert f"--app-id {state['partner_app_id']}" in banner
    partner = [*example[:6], state["partner_app_id"], *example[7:]]
    partner_run = subprocess.run(  # noqa: PLW1510 - the return code is asserted below
        partner, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert partner_run.returncode == 0, partner_run.stdout + partner_run.stderr
    lines = partner_run.stdout.splitlines()
    assert any(line.startswith("paymux says pay_") and line.split()[4] == "SUCCESS" for line in lines)
    assert lines[-1].startswith("merchant notified: payment.succeeded (signature verified")

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    log.seek(0)
    output = log.read()
    assert "Traceback" not in output
    # one readable line per request, e.g. "POST /v1/payments 201 12.3ms CreatePaymentFunction"
    assert any("POST /v1/payments 201" in line for line in output.splitlines())
    assert any("POST /v1/callbacks/wechat/wx-demo 204" in line for line in output.splitlines())
    assert any("POST /v1/callbacks/alipay/ali-demo 200" in line for line in output.splitlines())
    assert any("POST /v1/callbacks/wechat/wx-sp-demo 204" in line for line in output.splitlines())
