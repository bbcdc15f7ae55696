"""The backend's own ceiling for the sweeper's call mix, measured in the same run.

The fan-out's AWS calls per order (counted, by API) are replayed against the same backend
process with the same store code and no sweeper logic and no channel (reads as large as the
sweeper's were on average: each order is read once, so a call made r times per order held
1 / r orders' keys): per block of 100 orders,
100 × calls per order of each API (spread over the blocks), from as many
processes as the fan-out had workers, each with THREADS threads (the backend, one moto
process, is what the replay must saturate). Orders per second of that replay is what the
backend allows the sweeper at best; the sweeper's figure over it shows what the sweeper itself
costs on top of its calls."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.synchronize import Event
from typing import Any

from bench import sweep_fleet, sweep_rig
from paymux.config import Settings

BLOCK = 100
THREADS = 4
REPLAYED = (
    "dynamodb.Query",
    "dynamodb.UpdateItem",
    "dynamodb.BatchGetItem",
    "dynamodb.GetItem",
    "sqs.SendMessageBatch",
    "sqs.ReceiveMessage",
    "sqs.DeleteMessageBatch",
    "sqs.GetQueueAttributes",
)


def per_block(calls_per_order: dict[str, float], block: int) -> dict[str, int]:
    """Block `block`'s calls of each API: spread so that n blocks make round(n × 100 × rate)."""
    rates = {api: BLOCK * calls_per_order.get(api, 0.0) for api in REPLAYED}
    return {api: round((block + 1) * r) - round(block * r) for api, r in rates.items()}


class Replay:
    """One process's share of the replay: blocks of BLOCK due keys, each block's calls."""

    def __init__(self, settings: Settings, rates: dict[str, float], url: str) -> None:
        from paymux.services.sweep_plan import due_index  # noqa: PLC0415

        self.d = sweep_rig.BenchDeps(settings=settings)
        self.index, self.rates, self.url = due_index(self.d), rates, url

    def block(self, keys: list[Any], number: int) -> None:
        from paymux.store.due import due_sk  # noqa: PLC0415
        from paymux.store.sweep_queue import SweepMessage, SweepQueue  # noqa: PLC0415

        c, sqs, tag = per_block(self.rates, number), self.d.sqs, f"2099-{number:05d}-"
        for n in range(c["dynamodb.Query"]):  # a page as large as the planner's were on average
            limit = keys_per_call(self.rates.get("dynamodb.Query", 0.0), 1000)
            self.d.dynamodb.query(**_query(self.d.settings.table, keys[0].due_pk, n, limit))
        moves = [(k, k.due_sk, due_sk(f"{tag}{i}", k.item_id)) for i, k in enumerate(keys)]
        for n in range(c["dynamodb.UpdateItem"]):  # a claim, then its release, order by order
            key, seen, claim = moves[(n // 2) % len(moves)]
            if n % 2 == 0:
                self.index.claim(key, claim)
            else:
                self.index.release(key, claim, seen)
        messages = [SweepMessage("payment", k.pk, k.sk, k.due_sk, 0.0) for k in keys[:10]]
        for _ in range(c["sqs.SendMessageBatch"]):
            SweepQueue(sqs, self.url).send_batch(messages)
        for _ in range(c["sqs.ReceiveMessage"]):
            page = sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if page and c["sqs.DeleteMessageBatch"]:
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(page)]
                sqs.delete_message_batch(QueueUrl=self.url, Entries=entries)
        size = keys_per_call(self.rates.get("dynamodb.BatchGetItem", 0.0), 100)
        for _ in range(c["dynamodb.BatchGetItem"]):  # as many keys as the workers' batches held
            self.index.get_items([k.table_key for k in keys[:size]])
        for _ in range(c["dynamodb.GetItem"]):
            self.d.dynamodb.get_item(TableName=self.d.settings.table, Key=keys[0].table_key)
        for _ in range(c["sqs.GetQueueAttributes"]):
            sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessages"])


def keys_per_call(rate: float, most: int) -> int:
    """Each order is read once: a call made `rate` times per order held 1 / rate of them."""
    return max(1, min(most, round(1 / rate))) if rate > 0 else most


def _query(table: str, pk: str, n: int, limit: int) -> dict[str, Any]:
    return {
        "TableName": table,
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :pk AND GSI1SK < :before",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":before": {"S": f"~{n}"}},
        "Limit": limit,
    }


def replay(
    environment: dict[str, str],
    settings: Settings,
    rates: dict[str, float],
    url: str,
    keys: list[tuple[int, list[Any]]],
    start: Event,
    results: Any,
) -> None:
    """One replay process: says it is ready, waits for `start`, runs its blocks on THREADS
    threads, answers with the seconds it took."""
    sweep_fleet.enter_world(environment)
    run = Replay(settings, rates, url)
    run.d.sqs.get_queue_attributes(QueueUrl=url)  # connected before the clock starts
    results.put("ready")
    start.wait()
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(lambda block: run.block(block[1], block[0]), keys))
    results.put(time.perf_counter() - began)


def measure(
    backend: sweep_rig.Backend,
    settings: Settings,
    calls_per_order: dict[str, float],
    orders: int,
    workers: int,
) -> dict[str, Any]:
    """Seeds `orders` due orders of their own, replays the call mix, returns the ceiling."""
    from paymux.services.sweep_plan import due_index  # noqa: PLC0415

    d = sweep_rig.BenchDeps(settings=settings)
    seeded = {"pay_" + o[:-2] for o in sweep_rig.seed_due(d, sweep_rig.accounts(d, 1), orders, time.time())}
    keys = [k for k in due_index(d).due("payment", "~") if k.item_id in seeded]
    url = d.sqs.create_queue(QueueName=f"{settings.table}-ceiling")["QueueUrl"]
    blocks = list(enumerate(keys[i : i + BLOCK] for i in range(0, len(keys), BLOCK)))
    start, results = sweep_rig.CONTEXT.Event(), sweep_rig.CONTEXT.Queue()
    environment = sweep_rig.client_environment(backend.url)
    shares = [blocks[n::workers] for n in range(workers)]
    processes = [
        sweep_rig.CONTEXT.Process(
            target=replay, args=(environment, settings, calls_per_order, url, share, start, results)
        )
        for share in shares
    ]
    for process in processes:
        process.start()
    sweep_fleet.collect(results, processes)  # "ready"
    start.set()
    began = time.perf_counter()
    seconds = sweep_fleet.collect(results, processes)
    wall = time.perf_counter() - began
    for process in processes:
        process.join()
    return {
        "processes": workers,
        "threads_each": THREADS,
        "orders": len(keys),
        "calls_per_order": {api: calls_per_order[api] for api in REPLAYED if api in calls_per_order},
        "seconds": round(max([*seconds, wall]), 2),
        "orders_per_second": round(len(keys) / max([*seconds, wall]), 1),
    }
