"""The sweeper benchmark's world: moto's server in a process of its own, with the local stack's
patches (the table and queues as template.yaml declares them), channel accounts of a modelled
channel whose queries take 50–200 ms (uniform, seeded per process), and due payments written
straight to the table."""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from multiprocessing.connection import Connection
from typing import Any

import boto3

from bench import staging
from local.moto_dispatch import cached_dispatch_names
from local.moto_queries import partition_queries
from local.moto_serialize import serialize_dynamodb_requests
from local.moto_sqs import cheap_sqs_queues
from local.moto_transactions import item_level_transactions
from local.template import load_template
from paymux.channels import registry
from paymux.channels.base import ChannelAccount, TradeResult, TradeState
from paymux.clock import iso
from paymux.config import Settings
from paymux.deps import Deps
from paymux.domain.ids import attempt_out_trade_no, new_payment_id
from paymux.services.sweep_schedule import FIRST_CHECK_AFTER
from paymux.store.due import due_pk
from paymux.store.dynamo import to_item

LATENCY_S = (0.050, 0.200)
REGION = "us-east-1"
# Fresh interpreters (as Lambda containers are): no moto state or locks inherited by fork.
CONTEXT = multiprocessing.get_context("spawn")


class Asked:
    """Every query the modelled channel answered, by out_trade_no (exactly-once checks)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.random = random.Random(os.getpid())  # a seeded latency draw per process

    def add(self, out_trade_no: str) -> None:
        with self.lock:
            self.counts[out_trade_no] += 1


ASKED = Asked()


class ModelledChannel:
    """A channel whose every query takes a uniform 50–200 ms and finds the order open. Its
    declared limits are WeChat Pay's (channels/wechat/client.py)."""

    provider = "modelled"
    amount_unit = "fen"
    products = frozenset({"wechat.native"})
    refund_errors: Mapping[str, Any] = {}
    carried_fields: Mapping[str, frozenset[str]] = {"callback": frozenset(), "query": frozenset()}
    create_limits = ()
    refund_limits = ()
    query_rate_per_second = 100.0
    query_concurrency = 16

    def __init__(self, account: ChannelAccount, credentials: Any, http: Any, clock: Any, **_: Any) -> None:
        self.account = account

    def query(self, out_trade_no: str, *, context: object = None) -> TradeResult:
        with ASKED.lock:
            latency = ASKED.random.uniform(*LATENCY_S)
        time.sleep(latency)
        ASKED.add(out_trade_no)
        return TradeResult(out_trade_no, TradeState.OPEN, mchid=self.account.mchid, appid=self.account.appid)

    def download_statement(self, bill_date: date) -> Iterator[Any]:
        return iter(())


PATCHES = (
    serialize_dynamodb_requests,  # moto's transactions are not thread-safe
    item_level_transactions,  # moto deep-copies whole tables per transaction
    partition_queries,  # moto sorts the whole table for every query
    cheap_sqs_queues,  # moto reads the clock twice per message of a queue, per call
    cached_dispatch_names,  # moto lists a class's methods on every request
)


def _serve(conn: Connection) -> None:
    """The backend process: moto's server with the local stack's patches, until told to stop;
    then it answers with the CPU seconds it used."""
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - only this process serves

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # an access log line per request
    for patch in PATCHES:
        patch()
    server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    conn.send(f"http://{host}:{port}")
    while conn.recv() != "stop":
        conn.send(time.process_time())
    conn.send(time.process_time())
    server.stop()


class Backend:
    """moto's server in a process of its own, as DynamoDB and SQS are services of their own:
    the sweep workers (processes, as Lambda containers are) all talk to it over HTTP."""

    def __init__(self, conn: Connection, url: str) -> None:
        self._conn, self.url = conn, url

    def cpu_seconds(self) -> float:
        self._conn.send("cpu")
        return float(self._conn.recv())


def client_environment(url: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": url,
    }


@contextmanager
def moto_server() -> Iterator[Backend]:
    """The backend process, this process's environment pointing at it, and the modelled channel
    registered; the environment and the registry are given back afterwards."""
    ours, theirs = CONTEXT.Pipe()
    process = CONTEXT.Process(target=_serve, args=(theirs,), name="moto-backend", daemon=True)
    process.start()
    if not ours.poll(120):  # the process failed to start moto: its traceback is above
        process.kill()
        raise RuntimeError("the moto backend process did not start")
    environment = client_environment(str(ours.recv()))
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    registry.PROVIDERS["modelled"] = f"{__name__}:ModelledChannel"
    try:
        yield Backend(ours, environment["AWS_ENDPOINT_URL"])
    finally:
        ours.send("stop")
        ours.recv()
        process.join(timeout=10)
        registry.PROVIDERS.pop("modelled", None)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class BenchDeps(Deps):
    """paymux's Deps, with a read timeout for a backend on a shared 2-core machine: the
    product's 5 s (store calls answer in milliseconds on AWS) is a stall here, and a retried
    check would wait out the queue's 180 s visibility timeout."""

    def _client(self, service: str) -> Any:
        from botocore.config import Config  # noqa: PLC0415

        config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=120)
        return boto3.client(service, config=config)  # type: ignore[call-overload]


def create_resources(workers: int) -> Settings:
    resources = load_template(staging.REPO / "template.yaml")["Resources"]
    props = resources["PaymuxTable"]["Properties"]
    table = f"paymux-bench-{secrets.token_hex(3)}"
    ddb = boto3.client("dynamodb", region_name=REGION)
    ddb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
    )
    sqs = boto3.client("sqs", region_name=REGION)
    visibility = str(resources["SweepQueue"]["Properties"]["VisibilityTimeout"])  # as deployed: 180 s
    urls = [
        sqs.create_queue(QueueName=f"{table}-{n}", Attributes={"VisibilityTimeout": visibility})["QueueUrl"]
        for n in ("sweep", "notify", "dlq")
    ]
    return Settings(
        stage="bench",
        table=table,
        notify_queue_url=urls[1],
        notify_dlq_url=urls[2],
        bucket="",
        secrets_prefix="paymux/bench/",
        public_base_url="https://bench.invalid",
        allow_http_urls=False,
        sweep_queue_url=urls[0],
        sweep_workers=workers,
    )


def fixed_clock(at: float) -> Any:
    return lambda: at


def accounts(d: Deps, count: int) -> list[ChannelAccount]:
    made = []
    for n in range(count):
        account = ChannelAccount(
            account_id=f"modelled-{n}",
            provider="modelled",
            products=("wechat.native",),
            mchid=f"19000{n:05d}",
            appid=f"wxbench{n:05d}",
            base_url="https://modelled.invalid",
            owner="mch_bench",  # the merchant of every order the rig writes
        )
        d.channel_config.put_account(account, {})
        made.append(account)
    return made


def seed_due(d: Deps, accounts_: list[ChannelAccount], orders: int, now: float) -> list[str]:
    """`orders` PENDING payments spread over the accounts, all due a minute ago (their payment
    and attempt items, as PaymentStore.create writes them, in BatchWriteItem calls)."""
    items, out_trade_nos = [], []
    for n in range(orders):
        account = accounts_[n % len(accounts_)]
        payment_id = new_payment_id(now) + f"{n:05d}"
        out_trade_no = attempt_out_trade_no(payment_id, 1)
        created = now - FIRST_CHECK_AFTER - 1
        payment = {
            "PK": f"PAY#{payment_id}", "SK": "PAY", "payment_id": payment_id, "merchant_id": "mch_bench",
            "app_id": "app_bench", "merchant_order_no": f"ORD-{n}", "amount": 100, "currency": "CNY",
            "method": "wechat.native", "subject": "bench", "notify_url": "https://merchant.invalid/n",
            "request_hash": "h", "created_at": created, "updated_at": created, "expires_at": now + 7200,
            "status": "PENDING", "version": 1, "provider": "modelled", "account_id": account.account_id,
            "out_trade_no": out_trade_no, "attempt_count": 1,
            "GSI1PK": due_pk("payment", payment_id), "GSI1SK": f"{iso(now - 60)}#{payment_id}",
        }  # fmt: skip
        attempt = {
            "PK": f"ATTEMPT#{out_trade_no}", "SK": "ATTEMPT", "out_trade_no": out_trade_no,
            "payment_id": payment_id, "account_id": account.account_id, "provider": "modelled",
            "product": "wechat.native", "created_at": created,
        }  # fmt: skip
        items += [payment, attempt]
        out_trade_nos.append(out_trade_no)
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": to_item(i)}} for i in items[start : start + 25]]
        d.dynamodb.batch_write_item(RequestItems={d.settings.table: requests})
    return out_trade_nos
