"""The sweeper at volume: N due orders against a modelled channel (queries take 50–200 ms,
uniform, seeded), the table and queues in one moto server process with the local stack's
patches (bench/sweep_rig). The planner (this process) claims every due order and sends it to
the sweep queue while 1 worker, and then W workers, consume it: worker processes, each its own
Deps and query pool as each Lambda container has (bench/sweep_fleet), BatchSize 100. Printed,
from one run: time to clear (planner start to empty queue) and orders per second for both,
their ratio, AWS calls per order by API, the backend's CPU per order, and the backend ceiling
(the same call mix replayed with no sweeper: bench/sweep_ceiling) with the fan-out's ratio to
it. Checks (not timings): every order asked exactly once per run, every message accounted for,
every order PENDING and due again later (the modelled channel finds each open), none left due."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import boto3

from bench import report, staging, sweep_ceiling, sweep_fleet, sweep_rig
from paymux.config import Settings
from paymux.deps import Deps
from paymux.services.query_pool import QueryLimits
from paymux.services.sweep_plan import cutoff, due_index
from paymux.services.sweeper import run_planner
from paymux.store.payments import payment_key

DEFAULT_JSON = staging.REPO / "bench" / ".out" / "sweeper.json"
TARGET_PER_SECOND = 200.0
# 10,000 is the size; against one moto process on this 2-core machine shared by several
# engineers (load 9-16) the sweeper clears ~13-16 orders/s, so 10,000 would take ~35 minutes
# for both runs and the ceiling: `--sweeper-orders 10000` runs it.
DEFAULT_ORDERS = 2_000


def sweep_run(
    backend: sweep_rig.Backend, settings: Settings, now: float, accounts: int, orders: int, workers: int
) -> dict[str, Any]:
    """Seeds `orders` due orders, then runs the planner (this process) and `workers` worker
    processes at once, as the scheduled planner and the queue's event source do; cleared when
    the planner is done and the queue is empty."""
    settings = replace(settings, sweep_workers=workers)
    d = sweep_rig.BenchDeps(settings=settings, clock=lambda: now)
    made = sweep_rig.accounts(d, accounts)
    out_trade_nos = sweep_rig.seed_due(d, made, orders, now)
    planned, results = sweep_rig.CONTEXT.Event(), sweep_rig.CONTEXT.Queue()
    environment = sweep_rig.client_environment(backend.url)
    processes = [
        sweep_rig.CONTEXT.Process(
            target=sweep_fleet.worker, args=(environment, settings, now, planned, results), name=f"sweep-{n}"
        )
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    planner = sweep_fleet.Tally()
    with _counting(planner):  # the planner's own container: clients made while counting
        planner_d = sweep_rig.BenchDeps(settings=settings, clock=lambda: now)
        cpu_before, started = backend.cpu_seconds(), time.perf_counter()
        plan = run_planner(planner_d)
        planned.set()
        planner_s = time.perf_counter() - started
        tallies = sweep_fleet.collect(results, processes)
        ended = time.perf_counter()
        backend_cpu = backend.cpu_seconds() - cpu_before
    for process in processes:
        process.join()
    asked = Counter[str]()
    for tally in tallies:
        asked.update(tally.asked)
    calls = Counter[str](planner.calls)
    for tally in tallies:
        calls.update(tally.calls)
    limits = QueryLimits.of(sweep_rig.ModelledChannel, workers)
    wanted = set(out_trade_nos)
    return {
        "workers": workers,
        "orders": orders,
        "planned": sum(plan.claimed.values()),
        "planner_s": round(planner_s, 2),
        "clear_s": round(ended - started, 2),
        "per_second": round(orders / (ended - started), 1),
        "pool_per_account": {"lanes": limits.concurrency, "rate_per_second": limits.rate_per_second},
        "channel_ceiling_per_second": channel_ceiling(limits, workers, accounts),
        "calls_per_order": {api: round(n / orders, 3) for api, n in sorted(calls.items())},
        "planner_calls_per_order": {api: round(n / orders, 3) for api, n in sorted(planner.calls.items())},
        "backend_cpu_ms_per_order": round(1000 * backend_cpu / orders, 2),
        "messages_checked": sum(t.messages for t in tallies),  # deliveries, redeliveries included
        "asked_once": sum(1 for o in out_trade_nos if asked[o] == 1),
        "asked_more": sum(1 for o in out_trade_nos if asked[o] > 1),
        "never_asked": sum(1 for o in out_trade_nos if asked[o] == 0),
        "others_asked": sum(n for o, n in asked.items() if o not in wanted),
        "left_due": _left_due(d, now),
        "not_pending": _not_pending(d, out_trade_nos),
    }


@contextmanager
def _counting(tally: sweep_fleet.Tally) -> Iterator[None]:
    """Counts this process's AWS calls (the planner's) into `tally` while inside."""

    def after(model: Any, **_: Any) -> None:
        tally.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    events = boto3.DEFAULT_SESSION.events if boto3.DEFAULT_SESSION else boto3._get_default_session().events
    events.register("after-call", after, unique_id="bench-sweep-planner")
    try:
        yield
    finally:
        events.unregister("after-call", unique_id="bench-sweep-planner")


def channel_ceiling(limits: QueryLimits, workers: int, accounts: int) -> float:
    """What the channel model alone would allow, all workers together: per account the lesser
    of its rate and its lanes over the mean query latency. Far above the measured figure, the
    bound is the stand-in for AWS (moto in this process), not the design."""
    mean_latency = sum(sweep_rig.LATENCY_S) / 2
    per_account = min(limits.rate_per_second * workers, limits.concurrency * workers / mean_latency)
    return round(accounts * per_account, 1)


def _left_due(d: Deps, now: float) -> int:
    return sum(1 for _ in due_index(d).due("payment", cutoff("payment", now)))


def _not_pending(d: Deps, out_trade_nos: list[str]) -> int:
    """Orders not PENDING after their check (the modelled channel finds every order open)."""
    keys = [payment_key("pay_" + o[:-2]) for o in out_trade_nos]  # ids.attempt_out_trade_no
    items = due_index(d).get_items(keys)
    return len(keys) - sum(1 for i in items.values() if i["status"]["S"] == "PENDING")


def measure(orders: int = 10_000, workers: int = 8, accounts: int = 10) -> dict[str, Any]:
    with sweep_rig.moto_server() as backend:
        settings = sweep_rig.create_resources(workers)
        now = time.time()  # one clock for both runs: the first run's orders are not due again
        single = sweep_run(backend, settings, now, accounts, orders, 1)
        fanned = sweep_run(backend, settings, now, accounts, orders, workers)
        ceiling = sweep_ceiling.measure(backend, settings, fanned["calls_per_order"], orders, workers)
    runs = [single, fanned]
    checks = {
        "every order checked exactly once": all(r["asked_once"] == orders for r in runs),
        "no order checked twice, none of another run": all(
            r["asked_more"] == r["others_asked"] == 0 for r in runs
        ),
        # SQS delivers at least once (moto's ReceiveMessage is not serialized: two receivers
        # may get one message); a second delivery is stale at the worker, never checked again.
        "every message accounted for (redeliveries dropped)": all(
            r["messages_checked"] >= r["planned"] == orders for r in runs
        ),
        "every order PENDING and due again later, none left due": all(
            r["left_due"] == r["not_pending"] == 0 for r in runs
        ),
        f"fan-out >= {TARGET_PER_SECOND:.0f} orders/s": fanned["per_second"] >= TARGET_PER_SECOND,
    }
    return {
        "accounts": accounts,
        "latency_ms": [int(s * 1000) for s in sweep_rig.LATENCY_S],
        "single": single,
        "fan_out": fanned,
        "ratio": round(fanned["per_second"] / single["per_second"], 2) if single["per_second"] else None,
        "backend_ceiling": ceiling,
        "checks": checks,
        "environment": report.environment(),
    }


def format_table(result: dict[str, Any]) -> str:
    single, fanned, ceiling = result["single"], result["fan_out"], result["backend_ceiling"]
    low, high = result["latency_ms"]
    title = (
        f"sweeper: {single['orders']:,} due orders, {result['accounts']} accounts, {low}-{high} ms queries"
    )
    head = f"{'planner s':>10} {'clear s':>8} {'orders/s':>9} {'channel/s':>9} {'backend cpu':>11}"
    head += "  pool per account"
    lines = [f"{title:<{report.LABEL_WIDTH + 20}}{head}"]
    for label, run in (("1 worker", single), (f"fan-out: {fanned['workers']} workers", fanned)):
        pool = run["pool_per_account"]
        lines.append(
            f"{label:<{report.LABEL_WIDTH + 20}}{run['planner_s']:>10.2f} {run['clear_s']:>8.2f} "
            f"{run['per_second']:>9.1f} {run['channel_ceiling_per_second']:>9.1f} "
            f"{run['backend_cpu_ms_per_order']:>8.2f} ms  "
            f"{pool['lanes']} in flight, {pool['rate_per_second']:.1f}/s"
        )
    lines.append(
        f"{'backend ceiling: the same call mix, no sweeper':<{report.LABEL_WIDTH + 20}}{'':>10} "
        f"{ceiling['seconds']:>8.2f} {ceiling['orders_per_second']:>9.1f}"
    )
    lines += ["", "AWS calls per order (planner + workers):"]
    for label, run in (("1 worker", single), ("fan-out", fanned)):
        calls = ", ".join(f"{api} {n:g}" for api, n in run["calls_per_order"].items() if n >= 0.001)
        planner = ", ".join(f"{api} {n:g}" for api, n in run["planner_calls_per_order"].items() if n >= 0.001)
        lines.append(f"  {label}: {calls}")
        lines.append(f"    of which the planner: {planner}")
    ratio_backend = round(fanned["per_second"] / ceiling["orders_per_second"], 2)
    lines += [
        "",
        f"ratio fan-out / 1 worker: {result['ratio']}x (same run)",
        f"ratio fan-out / backend ceiling: {ratio_backend}x (same run)",
        "messages delivered again (stale at the worker, not checked): "
        f"1 worker {single['messages_checked'] - single['planned']}, "
        f"fan-out {fanned['messages_checked'] - fanned['planned']}",
    ]
    lines += [f"  {report.verdict(ok)}  {name}" for name, ok in result["checks"].items()]
    lines.append(
        "channel/s: what the modelled channel allows (per account min(rate, lanes / mean latency), all "
        "workers together). backend: one moto server process (the local stack's patches), which "
        "serializes DynamoDB requests; workers are processes. DynamoDB and SQS scale by partition "
        "and queue, moto does not: where the fan-out meets the backend ceiling, the bound is the "
        "stand-in for AWS on this machine, not the sweeper."
    )
    return "\n".join(lines)


def run(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench sweeper", description=__doc__)
    parser.add_argument("--sweeper-orders", type=int, default=DEFAULT_ORDERS)
    parser.add_argument("--sweeper-workers", type=int, default=8)
    parser.add_argument("--sweeper-accounts", type=int, default=10)
    parser.add_argument("--sweeper-json", default=str(DEFAULT_JSON))
    args, _ = parser.parse_known_args(list(argv))
    result = measure(args.sweeper_orders, args.sweeper_workers, args.sweeper_accounts)
    print(format_table(result))
    report.write_json(result, staging.Path(args.sweeper_json))
    return 0 if all(result["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
