"""The Python client's retry rules, connection reuse and typed errors, against a scripted local
server (FakePaymux) whose every request is recorded and checked with paymux's own signer."""

from __future__ import annotations

import http.server
import itertools
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import paymux_sdk
from paymux.api import auth

_PAIR = re.compile(r'(\w+)="([^"]*)"')
SECRET = "sk_test_client"
SDK_DIR = Path(__file__).resolve().parents[2] / "sdk" / "python"


@dataclass
class Step:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False  # close the connection instead of answering
    close_after: bool = False  # answer (keep-alive), then close the idle connection


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int
    signature_ok: bool


class FakePaymux:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.script: list[Step] = []
        self.seen: list[Seen] = []
        connections = itertools.count(1)
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            """One instance per accepted connection: `number` tells connections apart (an id()
            of a closed socket can be reused by the next one)."""

            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.number = next(connections)

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.seen.append(
                    Seen(self.command, self.path, headers, body, self.number, fake.verifies(self, body))
                )
                step = fake.script.pop(0) if fake.script else Step(500, {"error": {"code": "unscripted"}})
                if step.close:
                    self.close_connection = True
                    return
                data = b"" if step.body is None else json.dumps(step.body).encode()
                self.send_response(step.status)
                for name, value in {"Content-Type": "application/json", **step.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
                if step.close_after:
                    self.close_connection = True

            do_GET = do_POST = _any

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def verifies(self, handler: http.server.BaseHTTPRequestHandler, body: bytes) -> bool:
        header = handler.headers.get("Authorization", "")
        pairs = dict(_PAIR.findall(header))
        if not header.startswith(auth.SCHEME + " ") or set(pairs) != {
            "app_id",
            "timestamp",
            "nonce",
            "signature",
        }:
            return False
        expected = auth.sign(
            self.secret, handler.command, handler.path, pairs["timestamp"], pairs["nonce"], body
        )
        return expected == pairs["signature"]

    def nonce(self, index: int) -> str:
        return dict(_PAIR.findall(self.seen[index].headers["authorization"]))["nonce"]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Jitter:
    """The jitter draw, fixed: U[0.5, 1] at its top or bottom."""

    def __init__(self, top: bool = True) -> None:
        self.top = top

    def uniform(self, low: float, high: float) -> float:
        return high if self.top else low


PAYMENT = {"id": "pay_1", "object": "payment", "amount": 1999, "status": "PENDING", "new_field": {"x": 1}}


@pytest.fixture
def fake() -> Iterator[FakePaymux]:
    server = FakePaymux(SECRET)
    yield server
    server.stop()


def make_client(fake: FakePaymux, **options: Any) -> tuple[paymux_sdk.Client, list[float]]:
    sleeps: list[float] = []
    client = paymux_sdk.Client(
        "app_test",
        SECRET,
        fake.url,
        sleep=sleeps.append,
        rng=Jitter(),
        **options,  # type: ignore[arg-type]
    )
    return client, sleeps


def unavailable(marker: str | None = None, retry_after: str | None = None) -> Step:
    headers = {} if marker is None else {"Paymux-Should-Retry": marker}
    if retry_after:
        headers["Retry-After"] = retry_after
    return Step(
        503, {"error": {"code": "channel_unavailable", "message": "down", "request_id": "r"}}, headers
    )


def test_a_post_is_signed_and_keeps_one_idempotency_key_with_a_new_nonce_per_attempt(
    fake: FakePaymux,
) -> None:
    fake.script = [unavailable(), unavailable("true"), Step(201, PAYMENT)]
    client, sleeps = make_client(fake)
    payment = client.payments.create({"amount": 1999, "subject": "咖啡"})
    assert isinstance(payment, paymux_sdk.Payment) and payment.id == "pay_1"
    assert len(fake.seen) == 3 and all(s.signature_ok for s in fake.seen)
    keys = {s.headers["idempotency-key"] for s in fake.seen}
    assert len(keys) == 1 and re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", *keys
    )
    assert len({fake.nonce(i) for i in range(3)}) == 3
    assert json.loads(fake.seen[0].body) == {"amount": 1999, "subject": "咖啡"}
    assert sleeps == [0.5, 1.0]  # min(0.5·2^(n−1), 5) × the top of the jitter


def test_the_callers_idempotency_key_is_sent_and_a_get_carries_none(fake: FakePaymux) -> None:
    fake.script = [Step(201, PAYMENT), Step(200, PAYMENT)]
    client, _ = make_client(fake)
    client.payments.create({"amount": 1}, idempotency_key="order-1001-create")
    client.payments.get("pay_1")
    assert fake.seen[0].headers["idempotency-key"] == "order-1001-create"
    assert "idempotency-key" not in fake.seen[1].headers and fake.seen[1].method == "GET"


def test_retries_stop_after_max_retries_with_the_typed_error(fake: FakePaymux) -> None:
    fake.script = [unavailable(), unavailable(), unavailable(), Step(200, PAYMENT)]
    client, sleeps = make_client(fake)
    with pytest.raises(paymux_sdk.ChannelError) as raised:
        client.payments.get("pay_1")
    assert (raised.value.status, raised.value.code, raised.value.request_id) == (
        503,
        "channel_unavailable",
        "r",
    )
    assert len(fake.seen) == 3 and len(sleeps) == 2
    fake.script = [unavailable(), Step(200, PAYMENT)]
    none, _ = make_client(fake, max_retries=0)
    with pytest.raises(paymux_sdk.ChannelError):
        none.payments.get("pay_1")
    assert len(fake.seen) == 4


@pytest.mark.parametrize(
    ("step", "attempts"),
    [
        (unavailable("false"), 1),  # the marker says no: never
        (
            Step(
                409,
                {"error": {"code": "idempotency_key_in_use", "message": "m"}},
                {"Paymux-Should-Retry": "true"},
            ),
            2,
        ),
        (Step(409, {"error": {"code": "payment_outcome_unknown", "message": "m"}}), 1),  # no marker, 409
        (Step(500, {"error": {"code": "internal_error", "message": "m"}}), 1),  # no marker, 500
        (Step(429, {"message": "Too Many Requests"}), 1),  # API Gateway's throttling: never
        (Step(502, {"message": "Internal Server Error"}), 2),  # no marker, 502
        (Step(504, {"message": "Endpoint request timed out"}), 2),
    ],
)
def test_what_is_retried(fake: FakePaymux, step: Step, attempts: int) -> None:
    fake.script = [step, Step(200, PAYMENT)]
    client, _ = make_client(fake)
    if attempts == 2:
        assert client.payments.get("pay_1").id == "pay_1"
    else:
        with pytest.raises(paymux_sdk.PaymuxError):
            client.payments.get("pay_1")
    assert len(fake.seen) == attempts


def test_retry_after_is_waited_at_least_and_capped_at_5_seconds(fake: FakePaymux) -> None:
    fake.script = [unavailable("true", "3"), unavailable("true", "60"), Step(200, PAYMENT)]
    sleeps: list[float] = []
    client = paymux_sdk.Client("app_test", SECRET, fake.url, sleep=sleeps.append, rng=Jitter(top=False))  # type: ignore[arg-type]
    client.payments.get("pay_1")
    assert sleeps == [3.0, 5.0]
    assert [client.delay(n, None) for n in (1, 2, 3, 4, 5)] == [0.25, 0.5, 1.0, 2.0, 2.5]


def test_a_stale_keep_alive_connection_is_retried_once_even_with_retries_off(fake: FakePaymux) -> None:
    fake.script = [Step(200, PAYMENT), Step(close=True), Step(201, PAYMENT)]
    client, sleeps = make_client(fake, max_retries=0)
    client.payments.get("pay_1")
    client.payments.create({"amount": 1})
    first, stale, again = fake.seen
    assert first.connection == stale.connection != again.connection  # reused, then a new one
    assert stale.headers["idempotency-key"] == again.headers["idempotency-key"]
    assert fake.nonce(1) != fake.nonce(2) and sleeps == []


def test_an_idle_connection_the_server_closed_is_retried_once(fake: FakePaymux) -> None:
    fake.script = [Step(200, PAYMENT, close_after=True), Step(200, PAYMENT)]
    client, _ = make_client(fake, max_retries=0)
    client.payments.get("pay_1")
    assert client.payments.get("pay_1").id == "pay_1"
    assert len(fake.seen) == 2 and fake.seen[0].connection != fake.seen[1].connection


def test_a_fresh_connection_closed_without_an_answer_is_not_the_stale_case(fake: FakePaymux) -> None:
    fake.script = [Step(close=True), Step(200, PAYMENT)]
    client, _ = make_client(fake, max_retries=0)
    with pytest.raises(paymux_sdk.ApiConnectionError):
        client.payments.get("pay_1")
    assert len(fake.seen) == 1
    fake.script = [Step(200, PAYMENT), Step(close=True), Step(close=True), Step(200, PAYMENT)]
    once, _ = make_client(fake, max_retries=0)
    once.payments.get("pay_1")
    with pytest.raises(paymux_sdk.ApiConnectionError):  # stale once is retried; twice is not
        once.payments.get("pay_1")
    assert len(fake.seen) == 4


def test_connection_errors_are_retried_within_max_retries() -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()  # nothing listens there now
    sleeps: list[float] = []
    client = paymux_sdk.Client(
        "app_test", SECRET, f"http://127.0.0.1:{port}", sleep=sleeps.append, rng=Jitter()
    )  # type: ignore[arg-type]
    with pytest.raises(paymux_sdk.ApiConnectionError):
        client.payments.get("pay_1")
    assert sleeps == [0.5, 1.0]
