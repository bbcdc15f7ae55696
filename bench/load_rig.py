"""What the local-load benchmark drives and measures against: `python -m local` (what `make dev`
runs) in its own process, a merchant server receiving its notifications, and a bare moto server
for the put_item baseline."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3

from bench import staging
from local.demo_merchant import verify

START_TIMEOUT_S = 90.0


class RigError(RuntimeError):
    """A process the benchmark needs did not start or answer."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class DevStack:
    """`python -m local` running in a child process, and what its demo wrote to the state file."""

    process: subprocess.Popen[bytes]
    state: dict[str, str]
    log_path: Path

    def peak_rss_bytes(self) -> int:
        """The process's high-water resident memory (VmHWM), from /proc."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024


@contextmanager
def dev_stack(workdir: Path) -> Iterator[DevStack]:
    state_file = workdir / "demo.json"
    env = {
        **os.environ,
        "PAYMUX_DEMO_STATE": str(state_file),
        "PAYMUX_SANDBOX_PORT": str(free_port()),
        "PAYMUX_DEMO_MERCHANT_PORT": str(free_port()),
        "PAYMUX_ALIPAY_SANDBOX_PORT": str(free_port()),
        "PAYMUX_UNIONPAY_SANDBOX_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = workdir / "stack.log"
    command = [sys.executable, "-m", "local", "--port", str(free_port()), "--moto-port", "0"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=staging.REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not state_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RigError(f"`python -m local` did not start; its log:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.2)
        yield DevStack(process, json.loads(state_file.read_text()), log_path)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class Notifications:
    """What the merchant server received: per payment id, each verified notification's type and
    arrival (perf_counter); and how many failed verification."""

    received: dict[str, list[tuple[str, float]]] = field(default_factory=lambda: defaultdict(list))
    unverified: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, header: str, body: bytes, secret: str) -> bool:
        arrived = time.perf_counter()
        if not verify(header, body, secret, time.time()):
            with self.lock:
                self.unverified += 1
            return False
        event = json.loads(body)
        with self.lock:
            self.received[event["data"]["object"]["id"]].append((event["type"], arrived))
        return True

    def count(self) -> int:
        with self.lock:
            return len(self.received)


class _ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


@contextmanager
def merchant_receiver(secret: str) -> Iterator[tuple[str, Notifications]]:
    """A merchant's notify endpoint at `<url>/notify`, verifying paymux's signature."""
    notifications = Notifications()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ok = notifications.record(self.headers.get("Paymux-Signature", ""), body, secret)
            self.send_response(200 if ok else 400)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = _ReceiverServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="bench-merchant", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/notify", notifications
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def bare_moto() -> Iterator[str]:
    """A moto server of its own (`python -m moto.server`), as the stack's moto runs: another process."""
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RigError("the moto server did not start") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def moto_table(url: str) -> tuple[Any, str]:
    """A client and a fresh table at `url`, keyed like paymux's (PK, SK)."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    name = f"bare-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("PK", "SK")],
        BillingMode="PAY_PER_REQUEST",
    )
    return client, name


def bare_put_item(clients: int, puts: int) -> tuple[float, list[float]]:
    """put_item from `clients` threads into a moto server process of its own: calls per second,
    and each call's ms."""
    with bare_moto() as url:
        client, table = moto_table(url)
        latencies: list[float] = [0.0] * puts
        counter = itertools.count()

        def put() -> None:
            while (i := next(counter)) < puts:
                item = {"PK": {"S": f"PAY#{i:08d}"}, "SK": {"S": "PAY"}, "blob": {"S": "x" * 600}}
                started = time.perf_counter()
                client.put_item(TableName=table, Item=item)
                latencies[i] = (time.perf_counter() - started) * 1e3

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            for future in [pool.submit(put) for _ in range(clients)]:
                future.result()
        return puts / (time.perf_counter() - started), latencies


def workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="paymux-local-load-")
