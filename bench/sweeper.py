"""The sweeper at volume: N due orders against a modelled channel (queries take a uniform
50–200 ms), the table and queues in moto in this process. The planner claims every due order
and sends it to the sweep queue; then 1 worker, and then W concurrent workers (threads, each
its own Deps and query pool, as each Lambda container has), consume the queue with
services/sweep_worker, BatchSize 100. Time to clear (planner + workers) and orders per second,
for both, in the same run, and their ratio. Checks (not timings): every order asked exactly
once per run and none left due."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bench import report, staging, sweep_rig
from paymux.config import Settings
from paymux.deps import Deps
from paymux.services.query_pool import QueryLimits, QueryPool
from paymux.services.sweep_plan import cutoff, due_index
from paymux.services.sweep_worker import work
from paymux.services.sweeper import run_planner
from paymux.store.sweep_queue import SweepMessage

DEFAULT_JSON = staging.REPO / "bench" / ".out" / "sweeper.json"
TARGET_PER_SECOND = 200.0
BATCH_SIZE = 100  # template.yaml: SweepWorkerFunction's BatchSize


def consume(settings: Settings, clock: Any, workers: int) -> int:
    """One worker: batches of up to BATCH_SIZE from the sweep queue until it finds none."""
    d, pool, done = Deps(settings=settings, clock=clock), QueryPool(), 0
    while True:
        batch: list[dict[str, Any]] = []
        while len(batch) < BATCH_SIZE:
            page = d.sqs.receive_message(QueueUrl=settings.sweep_queue_url, MaxNumberOfMessages=10)
            if not page.get("Messages"):
                break
            batch += page["Messages"]
        if not batch and _queue_empty(d, settings.sweep_queue_url):
            return done  # nothing visible, nothing in flight at another worker
        if not batch:
            continue
        messages = [(m["MessageId"], SweepMessage.parse(m["Body"])) for m in batch]
        failed = set(work(d, messages, pool, workers).failed)
        done += len(batch) - len(failed)
        for start in range(0, len(batch), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(batch[start : start + 10])
                if m["MessageId"] not in failed
            ]
            if entries:
                d.sqs.delete_message_batch(QueueUrl=settings.sweep_queue_url, Entries=entries)


def _queue_empty(d: Deps, url: str) -> bool:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = d.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return all(int(attributes[n]) == 0 for n in names)


def sweep_run(settings: Settings, clock: Any, accounts: int, orders: int, workers: int) -> dict[str, Any]:
    settings = replace(settings, sweep_workers=workers)
    d = Deps(settings=settings, clock=clock)
    made = sweep_rig.accounts(d, accounts)
    out_trade_nos = sweep_rig.seed_due(d, made, orders, clock())
    before = dict(sweep_rig.ASKED.counts)
    started = time.perf_counter()
    plan = run_planner(d)
    planned = time.perf_counter()
    threads = [threading.Thread(target=consume, args=(settings, clock, workers)) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ended = time.perf_counter()
    asked = {o: sweep_rig.ASKED.counts[o] - before.get(o, 0) for o in out_trade_nos}
    extra = sum(sweep_rig.ASKED.counts.values()) - sum(before.values()) - sum(asked.values())
    limits = QueryLimits.of(sweep_rig.ModelledChannel, workers)
    return {
        "workers": workers,
        "orders": orders,
        "planned": sum(plan.claimed.values()),
        "planner_s": round(planned - started, 2),
        "clear_s": round(ended - started, 2),
        "per_second": round(orders / (ended - started), 1),
        "pool_per_account": {"lanes": limits.concurrency, "rate_per_second": limits.rate_per_second},
        "channel_ceiling_per_second": channel_ceiling(limits, workers, accounts),
        "asked_once": sum(1 for n in asked.values() if n == 1),
        "asked_more": sum(1 for n in asked.values() if n > 1),
        "never_asked": sum(1 for n in asked.values() if n == 0),
        "others_asked": extra,
        "left_due": _left_due(d, clock()),
    }


def channel_ceiling(limits: QueryLimits, workers: int, accounts: int) -> float:
    """What the channel model alone would allow, all workers together: per account the lesser
    of its rate and its lanes over the mean query latency. Far above the measured figure, the
    bound is the stand-in for AWS (moto in this process), not the design."""
    mean_latency = sum(sweep_rig.LATENCY_S) / 2
    per_account = min(limits.rate_per_second * workers, limits.concurrency * workers / mean_latency)
    return round(accounts * per_account, 1)


def _left_due(d: Deps, now: float) -> int:
    return sum(1 for _ in due_index(d).due("payment", cutoff("payment", now)))


def measure(orders: int = 10_000, workers: int = 8, accounts: int = 10) -> dict[str, Any]:
    with sweep_rig.moto_in_process():
        settings = sweep_rig.create_resources(workers)
        clock = sweep_rig.fixed_clock(time.time())  # the first run's orders are not due again
        single = sweep_run(settings, clock, accounts, orders, 1)
        fanned = sweep_run(settings, clock, accounts, orders, workers)
    runs = [single, fanned]
    checks = {
        "every order asked exactly once": all(r["asked_once"] == orders for r in runs),
        "no order asked twice, none of another run": all(
            r["asked_more"] == r["others_asked"] == 0 for r in runs
        ),
        "none left due": all(r["left_due"] == 0 for r in runs),
        f"fan-out >= {TARGET_PER_SECOND:.0f} orders/s": fanned["per_second"] >= TARGET_PER_SECOND,
    }
    return {
        "accounts": accounts,
        "latency_ms": [int(s * 1000) for s in sweep_rig.LATENCY_S],
        "single": single,
        "fan_out": fanned,
        "ratio": round(fanned["per_second"] / single["per_second"], 2) if single["per_second"] else None,
        "checks": checks,
        "environment": report.environment(),
    }


def format_table(result: dict[str, Any]) -> str:
    single = result["single"]
    low, high = result["latency_ms"]
    title = (
        f"sweeper: {single['orders']:,} due orders, {result['accounts']} accounts, {low}-{high} ms queries"
    )
    head = f"{'planner s':>10} {'clear s':>8} {'orders/s':>9} {'ceiling/s':>9}  pool per account per worker"
    lines = [f"{title:<{report.LABEL_WIDTH + 20}}{head}"]
    for label, run in (
        ("1 worker", single),
        (f"fan-out: {result['fan_out']['workers']} workers", result["fan_out"]),
    ):
        pool = run["pool_per_account"]
        lines.append(
            f"{label:<{report.LABEL_WIDTH + 20}}{run['planner_s']:>10.2f} {run['clear_s']:>8.2f} "
            f"{run['per_second']:>9.1f} {run['channel_ceiling_per_second']:>9.1f}  "
            f"{pool['lanes']} in flight, {pool['rate_per_second']:.1f}/s"
        )
    lines += ["", f"ratio fan-out / 1 worker: {result['ratio']}x (same run)"]
    lines += [f"  {report.verdict(ok)}  {name}" for name, ok in result["checks"].items()]
    lines.append(
        "ceiling/s: what the modelled channel allows (per account: min(rate, lanes / mean latency), "
        "all workers together); a measured figure far below it is bound by moto, not the channel."
    )
    lines.append(
        "moto runs in this process (one interpreter, one GIL, DynamoDB requests serialized): "
        "the workers share it, so the fan-out figure is a floor for what separate Lambda containers do."
    )
    return "\n".join(lines)


def run(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench sweeper", description=__doc__)
    parser.add_argument("--sweeper-orders", type=int, default=10_000)
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
