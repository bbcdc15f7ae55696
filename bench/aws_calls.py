"""AWS API calls per paymux operation, counted on a real run, and their list-price cost per 1,000,000
payment lifecycles beside the floor (one write per create, one conditional update per transition).

The run is the integration tests' world: the local stack (moto holding template.yaml's resources),
the real handlers invoked with signed events from events/*.json, a WeChat Pay sandbox over HTTP.
botocore `after-call` hooks on boto3's default session (where paymux.deps builds its clients)
record every call. Each operation runs in its own container (its own paymux Deps: clients and the
60 s merchant/channel caches): run 1 in a fresh one (cold), run 2 in the same one (warm).

How DynamoDB bills a write, as this bench models it (AWS DynamoDB Developer Guide):
- an item write costs 1 WRU per started KB of the item; PutItem, UpdateItem and DeleteItem are
  billed on the larger of the item's size before and after the write (docs.aws.amazon.com/
  amazondynamodb/latest/developerguide/read-write-operations.html, "Write operations");
- TransactWriteItems costs 2 WRU per KB for each item, the two phases of a transaction
  (developerguide/transaction-apis.html, "Capacity management for transactions");
- a GSI write costs 1 WRU per started KB of the index entry (the table's keys, the index's keys and
  the projected attributes); an entry put into or deleted from an index is one write, a table
  write that changes an indexed key attribute is two (delete the old entry, put the new one), and
  a table write that changes no attribute the index projects costs the index nothing
  (developerguide/GSI.html, "Provisioned throughput considerations for global secondary indexes",
  "Write capacity"). Index writes are billed at the standard rate, also for a transaction's items.
The GSIs and their projections are read from template.yaml, so the figures follow the template.
After the run, the bench prints the size of each kind of item left in the table."""

from __future__ import annotations

import argparse
import functools
import logging
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from bench import pricing, report, staging

if TYPE_CHECKING:
    from tests.integration.conftest import World

DEFAULT_JSON = staging.REPO / "bench" / ".out" / "aws_calls.json"
CALLBACK_TIMEOUT_S = 15.0
# operation -> (handler, the floor: what the operation must at least do)
OPERATIONS = {
    "create": ("create_payment", "1 write"),
    "query": ("get_payment", "1 read"),
    "close": ("close_payment", "1 cond. update"),
    "callback": ("channel_callback", "1 cond. update"),
    "refund": ("refund_payment", "1 cond. write"),
    "refund_callback": ("channel_callback", "1 cond. update"),
    "notify": ("notify_merchant", "1 cond. update"),
}
DDB_COLUMNS = ("GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem")
_PARAMS = "bench_aws_calls_params"
_WRITES = "bench_aws_calls_writes"


class BenchFailed(RuntimeError):
    pass


class Recorder:
    """Every AWS call made through clients that `session` creates from now on, and every handler
    invocation (service "handler", with its wall-clock ms), in order. Callbacks arrive on other
    threads; list.append is atomic and operations run one at a time. With `peek` (an unhooked
    read of one item by table and key), each DynamoDB write is priced from the item as it was
    before the call and as it is after it, against `indexes` (template.yaml's GSIs)."""

    def __init__(
        self,
        session: boto3.Session,
        peek: Callable[[str, dict[str, Any]], dict[str, Any] | None] | None = None,
        indexes: tuple[pricing.Index, ...] = (),
    ) -> None:
        self._events, self.closed = session.events, False
        self._peek, self._indexes = peek, indexes
        self.calls: list[dict[str, Any]] = []
        for event, handler in self._hooks():
            self._events.register(event, handler, unique_id=f"{_PARAMS}.{event}")

    def _hooks(self) -> tuple[tuple[str, Callable[..., None]], ...]:
        return ("before-parameter-build", self._keep_params), ("after-call", self._after_call)

    def _keep_params(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = params
        if self.closed or model.service_model.service_name != "dynamodb":
            return
        writes = pricing.writes_of(model.name, params)
        for write in writes:
            write.before = self._peek(write.table, write.key) if self._peek else None
        context[_WRITES] = writes

    def _after_call(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if self.closed:
            return
        call = {"service": model.service_model.service_name, "operation": model.name}
        if call["service"] == "dynamodb":
            call |= pricing.dynamodb_units(model.name, context.get(_PARAMS, {}), parsed)
            writes: list[pricing.Write] = context.get(_WRITES, [])
            for write in writes:
                write.after = self._peek(write.table, write.key) if self._peek else None
            if writes:
                call |= pricing.priced(writes, self._indexes)
        self.calls.append(call)

    def close(self) -> None:
        """Unhooks the session; clients it already made keep a copy of the hooks, so also stop listening."""
        self.closed = True
        for event, handler in self._hooks():
            self._events.unregister(event, handler, unique_id=f"{_PARAMS}.{event}")


class Runner:
    """Runs one operation at a time in its container and keeps what each run called."""

    def __init__(self, world: World, recorder: Recorder) -> None:
        from paymux.deps import Deps  # noqa: PLC0415 - importable once the stack is up

        self.world, self.recorder = world, recorder
        self.fresh = lambda: Deps(
            settings=world.d.settings, clock=world.clock, merchant_http=world.merchant_endpoint
        )
        self.containers: dict[str, Any] = {}
        self.results: dict[str, list[dict[str, Any]]] = {}

    def run(self, op: str, action: Callable[[], object]) -> None:
        from paymux.deps import set_deps  # noqa: PLC0415

        runs = self.results.setdefault(op, [])
        if not runs:
            self.containers[op] = self.fresh()
        set_deps(self.containers[op])
        start = len(self.recorder.calls)
        try:
            action()
        finally:
            set_deps(self.world.d)
        calls = self.recorder.calls[start:]
        runs.append(pricing.tally(calls))


@contextmanager
def instrumented_handlers(recorder: Recorder, gate: threading.Event) -> Iterator[None]:
    """Times every handler invocation; channel callbacks wait for `gate` (held during a refund
    request, so the REFUND.SUCCESS it triggers is counted on its own)."""
    from tests.support import handler_module  # noqa: PLC0415

    saved = {f: handler_module(f).handler for f, _ in OPERATIONS.values()}

    def timed(function: str, handler: Callable[..., Any]) -> Callable[..., Any]:
        def run(event: Any, context: Any) -> Any:
            if function == "channel_callback" and not gate.wait(CALLBACK_TIMEOUT_S):
                raise BenchFailed("callback held too long")
            started = time.perf_counter()
            try:
                return handler(event, context)
            finally:
                ms = (time.perf_counter() - started) * 1e3
                recorder.calls.append({"service": "handler", "operation": function, "ms": ms})

        return run

    for function, handler in saved.items():
        handler_module(function).handler = timed(function, handler)
    try:
        yield
    finally:
        for function, handler in saved.items():
            handler_module(function).handler = handler


def _check(ok: object, message: str) -> None:
    if not ok:
        raise BenchFailed(message)


def _expect(answer: tuple[int, Any], status: int) -> Any:
    _check(answer[0] == status, f"expected HTTP {status}, got {answer[0]}: {answer[1]}")
    return answer[1]


def _delivered(world: World, trigger: Callable[[], object]) -> None:
    """Triggers a channel callback and waits until the handler has answered it."""
    before = len(world.sandbox.callback_log)
    trigger()
    _check(world.sandbox.wait_for_callbacks(CALLBACK_TIMEOUT_S), "callback not delivered in time")
    attempts = world.sandbox.callback_log[before:]
    _check(attempts and attempts[-1].delivered, f"callback not accepted: {attempts}")


def _refund(world: World, payment_id: str, amount: int) -> str:
    body = {"amount": amount, "merchant_refund_no": "RF-" + secrets.token_hex(5)}
    path, params = f"/v1/payments/{payment_id}/refunds", {"payment_id": payment_id}
    return str(
        _expect(world.call("refund_payment.json", path=path, path_params=params, body=body), 201)["id"]
    )


def scenario(world: World, runner: Runner, gate: threading.Event) -> None:
    """Each operation twice (cold, then warm), one at a time, each finished before the next."""
    from tests.support import invoke  # noqa: PLC0415

    ids: list[str] = []
    for _ in range(2):
        runner.run("create", lambda: ids.append(_expect(world.create(), 201)["id"]))
    unpaid = [_expect(world.create(), 201)["id"] for _ in range(2)]
    for _ in range(2):
        runner.run("query", lambda: _expect(world.get(ids[0]), 200))
    for pid in ids:
        pay = functools.partial(world.sandbox.pay, world.mchid, world.out_trade_no(pid))
        runner.run("callback", functools.partial(_delivered, world, pay))
        _check(world.d.payments.get(pid).status == "SUCCESS", f"{pid} not SUCCESS after its callback")
    for pid in unpaid:
        runner.run("close", lambda p=pid: _expect(world.close(p), 200))
    for amount in (300, 200):
        refunds: list[str] = []
        gate.clear()  # the REFUND.SUCCESS callback waits until the refund request has returned
        runner.run("refund", lambda a=amount, r=refunds: r.append(_refund(world, ids[0], a)))
        runner.run("refund_callback", functools.partial(_delivered, world, gate.set))
        _check(world.d.refunds.get(refunds[0]).status == "SUCCESS", f"refund {refunds} not SUCCESS")
    records = world.queued_messages()
    _check(len(records) >= 2, f"expected >= 2 queued notifications, found {len(records)}")
    for record in records[:2]:
        sent = len(world.merchant_endpoint.received)
        runner.run("notify", lambda r=record: invoke("notify_merchant", {"Records": [r]}))
        _check(len(world.merchant_endpoint.received) == sent + 1, "notify_merchant did not deliver once")


def item_kind(item: dict[str, Any]) -> str:
    """`PAY/EVT`, `PAY/NTF#ATT`, `REFUND/REFUND` …: the upper-case words of the item's key."""
    words = [[w for w in item[k]["S"].split("#") if w.isalpha() and w.isupper()] for k in pricing.TABLE_KEYS]
    return "#".join(words[0][:1]) + "/" + "#".join(words[1])


def item_sizes(client: Any, table: str) -> dict[str, dict[str, int]]:
    """Each item kind the run left in the table: how many, and their largest and mean size (bytes)."""
    sizes: dict[str, list[int]] = {}
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            sizes.setdefault(item_kind(item), []).append(pricing.item_size(item))
    return {
        k: {"count": len(v), "max": max(v), "mean": round(sum(v) / len(v))} for k, v in sorted(sizes.items())
    }


def measure() -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, int]]]:
    """({operation: [cold run, warm run]}, item sizes) from one real run on a fresh local stack."""
    from local.stack import LocalStack  # noqa: PLC0415
    from local.template import load_template  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log (as `make dev` does)
    indexes = pricing.table_indexes(load_template(staging.REPO / "template.yaml"))
    with LocalStack(api_port=0, moto_port=0, schedules=False, sqs_poll=False) as stack:
        from tests.integration.conftest import close_world, open_world  # noqa: PLC0415 - needs the layer path

        world, gate = open_world(stack), threading.Event()  # its own clients are not hooked
        reader = boto3.session.Session().client("dynamodb")  # not hooked: its reads aren't counted

        def peek(table: str, key: dict[str, Any]) -> dict[str, Any] | None:
            answer = reader.get_item(TableName=table, Key=key, ConsistentRead=True)
            return answer.get("Item")  # type: ignore[no-any-return]

        session = boto3.DEFAULT_SESSION or boto3.setup_default_session() or boto3.DEFAULT_SESSION
        recorder = Recorder(session, peek, indexes)  # before any container's clients exist
        gate.set()
        try:
            runner = Runner(world, recorder)
            with instrumented_handlers(recorder, gate):
                scenario(world, runner, gate)
            sizes = item_sizes(reader, world.d.settings.table)
        finally:
            gate.set()
            recorder.close()
            close_world(world)
    return runner.results, sizes


def build_result(
    runs: dict[str, list[dict[str, Any]]], refund_rate: float, sizes: dict[str, dict[str, int]] | None = None
) -> dict[str, Any]:
    operations = {
        op: {"function": fn, "floor": floor, "cold": runs[op][0], "warm": runs[op][1]}
        for op, (fn, floor) in OPERATIONS.items()
    }
    mix = pricing.lifecycle(refund_rate)
    return {
        "benchmark": "aws_calls",
        "environment": report.environment(),
        "notes": NOTES,
        "prices": pricing.prices(),
        "lifecycle": mix,
        "operations": operations,
        "cost_per_million_lifecycles_usd": pricing.lifecycle_costs(operations, mix),
        "lifecycle_units": pricing.lifecycle_units(operations, mix),
        "item_sizes": sizes or {},
    }


def format_calls(result: dict[str, Any]) -> list[str]:
    head = f"{'operation':<16}{'run':<5}" + "".join(f"{c.removesuffix('Item'):>7}" for c in DDB_COLUMNS)
    head += f"{'TxW(items)':>11}{'ddb':>5}{'WRU':>5}{'+idx':>5}{'RRU':>5}{'sqs':>4}{'sm':>3}{'ms':>7}"
    lines = ["AWS calls per operation (one run each)", f"{head}  {'floor':<15}calls/fl RU/fl"]
    for op, o in result["operations"].items():
        for kind in ("warm", "cold"):
            r, calls = o[kind], o[kind]["calls"]
            row = f"{op if kind == 'warm' else '':<16}{kind:<5}"
            row += "".join(f"{calls.get('dynamodb.' + c, 0):>7}" for c in DDB_COLUMNS)
            row += f"{r['transact_write_items']:>8}({r['transact_items']})"
            row += f"{r['dynamodb_calls']:>5}{r['wru']:>5}{r['index_wru']:>5}{r['rru']:>5.1f}"
            row += f"{r['sqs_calls']:>4}{r['secretsmanager_calls']:>3}"
            row += f"{sum(i['ms'] for i in r['invocations']):>7.1f}"
            units = r["wru"] + r["index_wru"] + r["rru"]  # the floor is 1 call and 1 unit
            row += f"  {o['floor']:<15}{r['dynamodb_calls']:>7}x{units:>5g}x" if kind == "warm" else ""
            lines.append(row)
    return lines


NOTES = (
    "warm = run 2 in the same container (which still re-reads each 60 s cache entry once a minute);",
    "  cold = run 1 in a fresh one (new boto3 clients, empty caches; import excluded, see cold_start).",
    "  Calls hooked on boto3's default session; Get..Delete = DynamoDB *Item calls. WRU/RRU are derived",
    "  from item sizes (DynamoDB's formula), not from ConsumedCapacity (paymux doesn't ask; moto doesn't",
    "  model it): each written item is read before and after the call and billed on the larger image;",
    "  transactions: 2 WRU per item-KB. Reads: 1 RRU per 4 KB consistent, 0.5 eventual. +idx = GSI",
    "  writes from template.yaml's projections: an entry put or deleted costs 1 WRU per KB of the",
    "  projected entry, a changed index key a delete plus a put, a write that changes nothing projected",
    "  nothing. ms = in-process handler wall-clock (a rough proxy for billed duration). refund_callback =",
    "  the REFUND.SUCCESS the refund triggers, held until the refund request returned. calls/fl, RU/fl =",
    "  DynamoDB calls and request units (WRU + idx + RRU) over the floor's 1 call, 1 unit.",
)


def format_sizes(result: dict[str, Any]) -> list[str]:
    units, sizes = result["lifecycle_units"], result["item_sizes"]
    lines = [
        f"write units per lifecycle (warm): table {units['wru']:.2f} + indexes {units['index_wru']:.2f}"
        f" = {units['wru'] + units['index_wru']:.2f} WRU; reads {units['rru']:.2f} RRU",
        f"item sizes after the run, bytes (DynamoDB's formula; a write unit is {pricing.WRITE_UNIT_BYTES})",
        f"  {'item (PK/SK kind)':<22}{'count':>6}{'max':>7}{'mean':>7}",
    ]
    lines += [f"  {kind:<22}{s['count']:>6}{s['max']:>7}{s['mean']:>7}" for kind, s in sizes.items()]
    return lines


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench aws_calls", description=__doc__)
    parser.add_argument("--refund-rate", type=float, default=0.05, help="share of payments refunded once")
    parser.add_argument("--calls-json", type=Path, default=DEFAULT_JSON, help="where to write the figures")
    args, _ = parser.parse_known_args(argv)  # `python -m bench` hands every section all options
    if not 0 <= args.refund_rate <= 1:
        parser.error("--refund-rate must be within [0, 1]")
    return args


def run(argv: Sequence[str] = ()) -> int:
    args = parse_args(argv)
    try:
        runs, sizes = measure()
        result = build_result(runs, args.refund_rate, sizes)
    except BenchFailed as exc:
        print(f"aws calls: the run failed: {exc}", file=sys.stderr)
        return 1
    report.write_json(result, args.calls_json)
    tables = [*format_calls(result), "", *NOTES, "", *pricing.format_costs(result), "", *format_sizes(result)]
    print("\n".join(tables))
    print(f"figures written to {report.display_path(args.calls_json, staging.REPO)}")
    return 0
