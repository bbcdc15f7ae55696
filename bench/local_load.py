"""Local load: `make dev`'s stack (`python -m local`, in its own process) driven with N payments
from C concurrent clients, each payment created (signed POST /v1/payments), paid in the WeChat
Pay sandbox, called back by the sandbox and notified to a merchant server in this process.

Prints throughput, p50/p95/p99 of create and of pay -> notify, and the ratio to bare moto
put_item (another moto server process, put_item from the same number of clients). Checks that
create latency stays flat (p50 of the last 1,000 creates within 1.5x of the first 1,000), that the
stack's peak memory stays under 1.5 GB, and that every order ends terminal and is notified once."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench import load_rig, report, staging
from local.example import http, signed_call

DEFAULT_JSON = staging.REPO / "bench" / ".out" / "local_load.json"
FLAT_TARGET = 1.5  # p50 of the last window / p50 of the first
MEMORY_TARGET_BYTES = int(1.5 * 2**30)
WINDOW = 1000
TERMINAL = frozenset({"SUCCESS", "FAILED", "CLOSED", "REFUNDED"})


@dataclass
class Order:
    index: int
    payment_id: str = ""
    create_ms: float = 0.0
    created: bool = False
    paid_at: float = 0.0  # perf_counter when the pay request went out
    pay_state: str = ""
    status: str = ""  # as GET reads it at the end
    error: str = ""


@dataclass(frozen=True)
class Run:
    api: str
    app_id: str
    secret: str
    sandbox: str
    notify_url: str
    tag: str

    def create(self, order: Order) -> None:
        body = {
            "amount": 1999,
            "currency": "CNY",
            "method": "wechat.native",
            "subject": "load test order",
            "merchant_order_no": f"LOAD-{self.tag}-{order.index:06d}",
            "notify_url": self.notify_url,
        }
        started = time.perf_counter()
        status, payment = signed_call(self.api, self.app_id, self.secret, "POST", "/v1/payments", body)
        order.create_ms = (time.perf_counter() - started) * 1e3
        if status != 201:
            order.error = f"create: HTTP {status} {payment}"
            return
        order.created, order.payment_id = True, payment["id"]
        pay_code = parse_qs(urlsplit(payment["action"]["code_url"]).query)["pr"][0]
        order.paid_at = time.perf_counter()
        pay = json.dumps({"code": pay_code, "action": "pay"}).encode()
        _, answer = http("POST", f"{self.sandbox}/sandbox/pay", pay, {"Content-Type": "application/json"})
        order.pay_state = str((answer or {}).get("trade_state", ""))

    def read_status(self, order: Order) -> None:
        status, payment = signed_call(
            self.api, self.app_id, self.secret, "GET", f"/v1/payments/{order.payment_id}"
        )
        order.status = str(payment.get("status")) if status == 200 else f"HTTP {status}"


def _each(orders: list[Order], clients: int, work: Callable[[Order], None]) -> None:
    """`work` on every order from `clients` threads, each taking the next order in turn."""
    counter = itertools.count()

    def client() -> None:
        while (i := next(counter)) < len(orders):
            try:
                work(orders[i])
            except (OSError, KeyError, ValueError) as exc:  # a refused or broken request: record it
                orders[i].error = orders[i].error or f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=client, name=f"load-client-{n}") for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _wait_notified(notifications: load_rig.Notifications, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while notifications.count() < expected and time.monotonic() < deadline:
        time.sleep(0.2)


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    if len(samples) < 2:
        value = samples[0] if samples else float("nan")
        return {"p50": value, "p95": value, "p99": value, "n": len(samples)}
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": statistics.median(samples), "p95": cuts[94], "p99": cuts[98], "n": len(samples)}


@dataclass(frozen=True)
class Phases:
    """perf_counter at the start, when the last client finished creating and paying, and when
    the last notification arrived (or the wait for it gave up); the 1-minute load at the start."""

    started: float
    created: float
    notified: float
    load_at_start: float


def measure(payments: int, clients: int, bare_puts: int, settle_s: float = 120.0) -> dict[str, Any]:
    load = os.getloadavg()[0]
    with load_rig.workdir() as tmp, load_rig.dev_stack(Path(tmp)) as stack:
        state = stack.state
        with load_rig.merchant_receiver(state["secret"]) as (notify_url, notifications):
            run = Run(
                state["api_url"],
                state["app_id"],
                state["secret"],
                state["sandbox_url"],
                notify_url,
                secrets.token_hex(4),
            )
            orders = [Order(i) for i in range(payments)]
            started = time.perf_counter()
            _each(orders, clients, run.create)
            created = time.perf_counter()
            _wait_notified(notifications, sum(1 for o in orders if o.created), settle_s)
            phases = Phases(started, created, time.perf_counter(), load)
            _each([o for o in orders if o.created], clients, run.read_status)  # late duplicates show
            peak_rss = stack.peak_rss_bytes()
            received = {k: list(v) for k, v in notifications.received.items()}
            unverified = notifications.unverified
    puts_per_second, latencies = load_rig.bare_put_item(clients, bare_puts)
    bare = {"puts": bare_puts, "per_second": puts_per_second, "ms": percentiles(latencies)}
    return summarize(orders, received, unverified, phases, peak_rss, bare, clients)


def _flat(creates: list[float]) -> dict[str, Any]:
    window = min(WINDOW, max(1, len(creates) // 5))
    first = statistics.median(creates[:window] or [0.0])
    last = statistics.median(creates[-window:] or [0.0])
    return {"window": window, "first_p50": first, "last_p50": last, "ratio": last / first if first else 0.0}


def _outcomes(orders: list[Order], received: dict[str, list[tuple[str, float]]], unverified: int) -> Any:
    created = [o for o in orders if o.created]
    counts = [len(received.get(o.payment_id, [])) for o in created]
    statuses: dict[str, int] = {}
    for order in created:
        statuses[order.status] = statuses.get(order.status, 0) + 1
    return {
        "created": len(created),
        "errors": [o.error for o in orders if o.error][:20],
        "error_count": sum(1 for o in orders if o.error),
        "statuses": statuses,
        "terminal": sum(1 for o in created if o.status in TERMINAL),
        "notified_once": counts.count(1),
        "never_notified": counts.count(0),
        "notified_more_than_once": sum(1 for c in counts if c > 1),
        "unverified_notifications": unverified,
    }


def summarize(
    orders: list[Order],
    received: dict[str, list[tuple[str, float]]],
    unverified: int,
    phases: Phases,
    peak_rss: int,
    bare: dict[str, Any],
    clients: int,
) -> dict[str, Any]:
    created = [o for o in orders if o.created]
    creates = [o.create_ms for o in created]
    first_notified = {pid: arrivals[0][1] for pid, arrivals in received.items()}
    pay_notify = [
        (first_notified[o.payment_id] - o.paid_at) * 1e3 for o in created if o.payment_id in received
    ]
    create_phase, whole = phases.created - phases.started, phases.notified - phases.started
    result = {
        "benchmark": "local_load",
        "environment": report.environment((phases.load_at_start, os.getloadavg()[0])),
        "payments": len(orders),
        "clients": clients,
        "elapsed_s": whole,
        "lifecycles_per_second": len(pay_notify) / whole if whole > 0 else 0.0,
        "creates_per_second": len(created) / create_phase if create_phase > 0 else 0.0,
        "create_ms": percentiles(creates),
        "pay_to_notify_ms": percentiles(pay_notify),
        "bare_put_item": bare,
        "flat": _flat(creates),
        "peak_rss_bytes": peak_rss,
        "orders": _outcomes(orders, received, unverified),
    }
    result["create_vs_put_item"] = {
        "throughput": result["creates_per_second"] / bare["per_second"],
        "p50": result["create_ms"]["p50"] / bare["ms"]["p50"],
    }
    result["checks"] = checks(result)
    return result


def checks(result: dict[str, Any]) -> dict[str, bool]:
    orders, n = result["orders"], result["payments"]
    return {
        "create latency flat": 0 < result["flat"]["ratio"] <= FLAT_TARGET,
        "stack memory under 1.5 GB": result["peak_rss_bytes"] < MEMORY_TARGET_BYTES,
        "every order terminal": orders["created"] == n and orders["terminal"] == n,
        "every order notified once": orders["notified_once"] == n and not orders["unverified_notifications"],
    }


def format_result(r: dict[str, Any]) -> list[str]:
    o, flat, bare, ratio = r["orders"], r["flat"], r["bare_put_item"], r["create_vs_put_item"]
    row = "{:<28}{:>9.1f}{:>9.1f}{:>9.1f}{:>8}"
    lines = [
        f"local load: `make dev`'s stack, {r['payments']} payments (create -> pay -> callback -> notify),"
        f" {r['clients']} clients",
        f"{'latency (ms)':<28}{'p50':>9}{'p95':>9}{'p99':>9}{'n':>8}",
        *(
            row.format(label, s["p50"], s["p95"], s["p99"], s["n"])
            for label, s in (
                ("create", r["create_ms"]),
                ("pay -> notify", r["pay_to_notify_ms"]),
                ("bare moto put_item", bare["ms"]),
            )
        ),
        f"throughput: {r['lifecycles_per_second']:.1f} payments/s end to end ({r['elapsed_s']:.0f} s);"
        f" {r['creates_per_second']:.1f} creates/s (each client pays between creates),"
        f" {ratio['throughput']:.1%} of bare put_item's {bare['per_second']:.0f}/s;"
        f" create p50 {ratio['p50']:.1f}x put_item p50",
        f"create latency flat: p50 of the first {flat['window']} {flat['first_p50']:.1f} ms, of the last"
        f" {flat['last_p50']:.1f} ms: {flat['ratio']:.2f}x (target <= {FLAT_TARGET}x)",
        f"stack memory: peak RSS {r['peak_rss_bytes'] / 2**20:.0f} MB (target < 1536 MB)",
        f"orders: {o['created']} created, {o['terminal']} terminal {o['statuses']}, {o['notified_once']}"
        f" notified once ({o['never_notified']} never, {o['notified_more_than_once']} more than once,"
        f" {o['unverified_notifications']} unverified), {o['error_count']} request errors",
        *(f"  error: {e}" for e in o["errors"][:5]),
    ]
    env = r["environment"]
    load = env["load_avg_1m"]
    lines.append(
        f"python {env['python']}, nproc {env['nproc']}, load avg {load['start']:.1f} -> {load['end']:.1f}"
    )
    lines.append("RESULT: " + " | ".join(f"{name} {report.verdict(ok)}" for name, ok in r["checks"].items()))
    return lines


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench local_load", description=__doc__)
    parser.add_argument("--payments", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--bare-puts", type=int, default=2000, help="put_item calls for the baseline")
    parser.add_argument("--load-json", type=Path, default=DEFAULT_JSON, help="where to write the figures")
    args, _ = parser.parse_known_args(argv)  # `python -m bench` hands every section all options
    return args


def run(argv: Sequence[str] = ()) -> int:
    args = parse_args(argv)
    try:
        result = measure(args.payments, args.clients, args.bare_puts)
    except load_rig.RigError as exc:
        print(f"local load: the run failed: {exc}", file=sys.stderr)
        return 1
    report.write_json(result, args.load_json)
    print("\n".join(format_result(result)))
    print(f"figures written to {report.display_path(args.load_json, staging.REPO)}")
    return 0 if all(result["checks"].values()) else 1
