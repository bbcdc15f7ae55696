"""The checkout in a real browser: Debian's Chromium (/usr/bin/chromium, with fonts-noto-cjk for
Chinese) driven by Playwright, against `python -m local` (what `make dev` runs: the template's
routes, the sandboxes, the demo merchant) in its own process. Playwright's own browsers are
never downloaded. Every state is photographed into tests/browser/.screenshots/ (gitignored)."""

from __future__ import annotations

import http.server
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.support import authorization

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parent / ".screenshots"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
if not CHROMIUM.exists():  # .ci/run installs it; a bare machine says why instead of failing
    pytest.skip("no /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)", allow_module_level=True)
playwright_sync = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ReturnEndpoint:
    """The merchant's return_url: records every GET and answers a small page."""

    def __init__(self) -> None:
        self.received: list[str] = []
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoint.received.append(self.path)
                body = b"<!doctype html><title>shop</title><h1>Back at the shop</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/orders/done"


@dataclass
class Stack:
    state: dict[str, Any]
    stack: dict[str, Any]
    returns: ReturnEndpoint
    log: Any
    sessions: list[str] = field(default_factory=list)

    @property
    def api(self) -> str:
        return str(self.state["api_url"])

    def create_session(self, methods: list[str], **overrides: Any) -> dict[str, Any]:
        body = {
            "amount": 1288,
            "currency": "CNY",
            "subject": "手冲咖啡豆 250g",
            "merchant_order_no": "B-" + secrets.token_hex(6),
            "notify_url": self.state["notify_url"],
            "return_url": self.returns.url,
            "methods": methods,
            "expires_in": 1800,
            **overrides,
        }
        raw = json.dumps(body).encode()
        auth = authorization(
            self.state["app_id"], self.state["secret"], "POST", "/v1/checkout/sessions", raw, time.time()
        )
        headers = {"Authorization": auth, "Content-Type": "application/json"}
        answer = requests.post(f"{self.api}/v1/checkout/sessions", data=raw, headers=headers, timeout=30)
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created

    def table(self) -> Any:
        import boto3

        client = boto3.client(
            "dynamodb", endpoint_url=self.stack["endpoint_url"], region_name=self.stack["region"]
        )
        return client, self.stack["outputs"]["TableName"]

    def admin_patch(self, account_id: str, changes: dict[str, Any]) -> requests.Response:
        return requests.patch(f"{self.api}/v1/admin/channel-accounts/{account_id}", json=changes, timeout=30)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("browser-stack")
    state_file, stack_file = tmp / "demo.json", tmp / "stack.json"
    env = {
        **os.environ,
        "PAYMUX_DEMO_STATE": str(state_file),
        "PAYMUX_STACK_STATE": str(stack_file),
        "PAYMUX_SANDBOX_PORT": str(free_port()),
        "PAYMUX_DEMO_MERCHANT_PORT": str(free_port()),
        "PAYMUX_ALIPAY_SANDBOX_PORT": str(free_port()),
        "PAYMUX_UNIONPAY_SANDBOX_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp / "stack.log").open("w+")
    command = [
        sys.executable,
        "-m",
        "local",
        "--port",
        str(free_port()),
        "--moto-port",
        "0",
        "--no-schedules",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while not (state_file.exists() and stack_file.exists()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.seek(0)
            pytest.fail(f"local stack did not start:\n{log.read()}")
        time.sleep(0.2)  # waiting for another process to start, not for time to pass
    SHOTS.mkdir(exist_ok=True)
    stack_state = json.loads(stack_file.read_text())
    try:
        yield Stack(json.loads(state_file.read_text()), stack_state, ReturnEndpoint(), log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as running:
        yield running


DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)
WECHAT = IPHONE.replace("Version/17.0 ", "").replace(
    " Safari/604.1", " MicroMessenger/8.0.50(0x1800322d) NetType/WIFI"
)
ALIPAY = IPHONE.replace(" Safari/604.1", " AlipayClient/10.5.86.8000 Language/zh-Hans")
UNIONPAY = IPHONE.replace(" Safari/604.1", " UnionPay/1.0 CloudPay")


@pytest.fixture
def browser(playwright: Any, tmp_path: Path) -> Iterator[Any]:
    """A factory of fresh browsers: Debian's Chromium with its own new profile directory each."""
    opened: list[Any] = []

    def open_browser(agent: str = DESKTOP, *, mobile: bool = False, locale: str = "zh-CN") -> Any:
        profile = tmp_path / f"profile-{len(opened)}"
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            user_agent=agent,
            locale=locale,
            viewport={"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900},
            device_scale_factor=2 if mobile else 1,
            is_mobile=mobile,
            has_touch=mobile,
        )
        opened.append(context)
        return context

    yield open_browser
    for context in opened:
        context.close()
    shutil.rmtree(tmp_path, ignore_errors=True)


def shot(page: Any, name: str) -> Path:
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def host_of(url: str) -> str:
    return urlsplit(url).netloc
