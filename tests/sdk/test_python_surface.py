"""The Python SDK's surface: typed errors, models that keep unknown fields, the User-Agent, the
base URL, and the package (a wheel built offline), against test_python_client's scripted server."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import paymux_sdk
from paymux_sdk import client as client_module
from tests.sdk.test_python_client import PAYMENT, SECRET, FakePaymux, Step, make_client

SDK_DIR = Path(__file__).resolve().parents[2] / "sdk" / "python"


@pytest.fixture
def fake() -> Iterator[FakePaymux]:
    server = FakePaymux(SECRET)
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "bad_request", paymux_sdk.InvalidRequestError),
        (422, "validation_failed", paymux_sdk.InvalidRequestError),
        (401, "invalid_signature", paymux_sdk.AuthenticationError),
        (404, "not_found", paymux_sdk.NotFoundError),
        (409, "payment_not_closable", paymux_sdk.ConflictError),
        (409, "idempotency_key_reused", paymux_sdk.IdempotencyError),
        (415, "unsupported_media_type", paymux_sdk.InvalidRequestError),
        (502, "channel_rejected", paymux_sdk.ChannelError),
        (500, "internal_error", paymux_sdk.ApiError),
    ],
)
def test_errors_are_typed_with_what_paymux_answered(
    fake: FakePaymux, status: int, code: str, kind: type
) -> None:
    details = [{"field": "amount", "message": "too large"}]
    body = {"error": {"code": code, "message": "m", "details": details, "request_id": "req-1"}}
    fake.script = [Step(status, body, {"Paymux-Should-Retry": "false"})]
    client, _ = make_client(fake)
    with pytest.raises(kind) as raised:
        client.payments.close("pay_1")
    error = raised.value
    assert type(error) is kind
    assert (error.status, error.code, error.message, error.request_id, error.details) == (
        status,
        code,
        "m",
        "req-1",
        details,
    )


def test_models_keep_unknown_fields_and_lists_are_typed(fake: FakePaymux) -> None:
    event = {
        "id": "e1",
        "object": "event",
        "type": "payment.created",
        "actor": "merchant",
        "at": "t",
        "later": 1,
    }
    fake.script = [Step(200, PAYMENT), Step(200, {"object": "list", "data": [event]})]
    client, _ = make_client(fake)
    payment = client.payments.find("ORDER 1001&x")
    assert payment.extra == {"new_field": {"x": 1}} and payment["new_field"] == {"x": 1}
    assert fake.seen[0].path == "/v1/payments?merchant_order_no=ORDER+1001%26x" and fake.seen[0].signature_ok
    (entry,) = client.payments.events("pay_1")
    assert (
        isinstance(entry, paymux_sdk.PaymentEvent)
        and entry.type == "payment.created"
        and entry.extra == {"later": 1}
    )


def test_the_user_agent_base_url_and_version(fake: FakePaymux, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.script = [Step(200, PAYMENT)]
    monkeypatch.setenv("PAYMUX_BASE_URL", fake.url)
    client = paymux_sdk.Client("app_test", SECRET)
    client.payments.get("pay_1")
    version = tomllib.loads((Path(__file__).parents[2] / "sdk/python/pyproject.toml").read_text())["project"][
        "version"
    ]
    assert version == paymux_sdk.VERSION
    assert fake.seen[0].headers["user-agent"] == f"paymux-python/{version} python/{platform.python_version()}"
    monkeypatch.delenv("PAYMUX_BASE_URL")
    assert paymux_sdk.Client("a", "s").base_url == client_module.DEFAULT_BASE_URL == "https://api.paymux.cn"
    assert SECRET not in repr(client)


def _wheel_builder() -> str | None:
    """An interpreter that has setuptools and wheel (the venv has neither; Debian's python3 has)."""
    probe = "import setuptools, wheel"
    for candidate in (sys.executable, shutil.which("python3") or "", "/usr/bin/python3"):
        if (
            candidate
            and subprocess.run([candidate, "-c", probe], capture_output=True, check=False).returncode == 0
        ):
            return candidate
    return None


def test_the_package_builds_a_wheel_offline_that_imports(tmp_path: Path) -> None:
    builder = _wheel_builder()
    if builder is None:
        pytest.skip("no interpreter with setuptools and wheel")
    source = tmp_path / "src"
    shutil.copytree(SDK_DIR, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    command = [builder, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", str(source)]
    built = subprocess.run(
        [*command, "-w", str(tmp_path / "dist")], capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "dist").glob("paymux_sdk-*.whl")
    assert wheel.name == f"paymux_sdk-{paymux_sdk.VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    modules = {f"paymux_sdk/{p.name}" for p in (SDK_DIR / "paymux_sdk").glob("*.py")}
    assert modules | {"paymux_sdk/py.typed"} <= names
    probe = "import paymux_sdk, sys; print(paymux_sdk.__file__, paymux_sdk.VERSION)"
    ran = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(wheel)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.stdout.split() == [f"{wheel}/paymux_sdk/__init__.py", paymux_sdk.VERSION], ran.stderr


REFUND = {"id": "re_1", "object": "refund", "payment_id": "pay_1", "amount": 500, "status": "PROCESSING"}
SESSION = {
    "id": "cs_1",
    "object": "checkout.session",
    "url": "https://pay.example/checkout/cs_1",
    "status": "open",
}
NOTE = {"id": "evt_1", "object": "notification", "status": "pending", "attempts": [{"attempt": 1, "at": "t"}]}
CALLS = [
    (lambda c: c.payments.close("pay_1"), "POST", "/v1/payments/pay_1/close", PAYMENT, paymux_sdk.Payment),
    (
        lambda c: c.payments.get("pay_1", sync=True),
        "GET",
        "/v1/payments/pay_1?sync=true",
        PAYMENT,
        paymux_sdk.Payment,
    ),
    (
        lambda c: c.refunds.create("pay_1", {"amount": 500, "merchant_refund_no": "R1"}),
        "POST",
        "/v1/payments/pay_1/refunds",
        REFUND,
        paymux_sdk.Refund,
    ),
    (lambda c: c.refunds.get("re_1"), "GET", "/v1/refunds/re_1", REFUND, paymux_sdk.Refund),
    (
        lambda c: c.notifications.resend("evt_1"),
        "POST",
        "/v1/notifications/evt_1/resend",
        NOTE,
        paymux_sdk.Notification,
    ),
    (
        lambda c: c.payments.notifications("pay_1")[0],
        "GET",
        "/v1/payments/pay_1/notifications",
        {"object": "list", "data": [NOTE]},
        paymux_sdk.Notification,
    ),
    (
        lambda c: c.checkout_sessions.create({"amount": 1999}),
        "POST",
        "/v1/checkout/sessions",
        SESSION,
        paymux_sdk.CheckoutSession,
    ),
    (
        lambda c: c.checkout_sessions.get("cs_1"),
        "GET",
        "/v1/checkout/sessions/cs_1",
        SESSION,
        paymux_sdk.CheckoutSession,
    ),
    (
        lambda c: c.payments.get("../refunds/re_1"),
        "GET",
        "/v1/payments/..%2Frefunds%2Fre_1",
        PAYMENT,
        paymux_sdk.Payment,
    ),
]


@pytest.mark.parametrize(("call", "method", "path", "answer", "kind"), CALLS)
def test_each_call_sends_its_route_and_answers_its_model(
    fake: FakePaymux, call: Any, method: str, path: str, answer: dict[str, Any], kind: type
) -> None:
    fake.script = [Step(200, answer)]
    client, _ = make_client(fake)
    model = call(client)
    assert type(model) is kind and model.id == (answer.get("data") or [answer])[0]["id"]
    seen = fake.seen[0]
    assert (seen.method, seen.path, seen.signature_ok) == (method, path, True)
    assert ("idempotency-key" in seen.headers) == (method == "POST")
    if isinstance(model, paymux_sdk.Notification):
        assert isinstance(model.attempts[0], paymux_sdk.models.NotificationAttempt)
