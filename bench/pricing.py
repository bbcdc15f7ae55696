"""How AWS bills what paymux does: DynamoDB request units derived from the requests and responses,
a run's call records tallied into billed quantities, and on-demand list prices turned into a cost
per 1,000,000 payment lifecycles (bench/aws_calls.py measures; this file only computes)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# List prices, us-east-1, on-demand, USD, as published on the AWS pricing pages (as known in 2025).
# DynamoDB on-demand (aws.amazon.com/dynamodb/pricing/on-demand/), after the 1 Nov 2024 reduction
# (from $1.25 / $0.25): per million write / read request units.
DYNAMODB_PER_MILLION_WRU = 0.625
DYNAMODB_PER_MILLION_RRU = 0.125
# SQS standard queue (aws.amazon.com/sqs/pricing/): per million requests (a request is one 64 KB
# chunk); the first 1M requests a month are free, ignored here.
SQS_PER_MILLION_REQUESTS = 0.40
# Secrets Manager (aws.amazon.com/secrets-manager/pricing/): $0.05 per 10,000 API calls; the
# $0.40 per secret-month does not scale with payments and is left out.
SECRETS_MANAGER_PER_10K_CALLS = 0.05
# API Gateway HTTP API (aws.amazon.com/api-gateway/pricing/): first 300M requests a month tier.
HTTP_API_PER_MILLION_REQUESTS = 1.00
# Lambda (aws.amazon.com/lambda/pricing/): requests, and arm64 duration (first 7.5B GB-s tier).
LAMBDA_PER_MILLION_REQUESTS = 0.20
LAMBDA_ARM64_PER_GB_SECOND = 0.0000133334
LAMBDA_MEMORY_GB = 0.5  # template.yaml Globals: MemorySize 512
# Lambda's SQS event source mapping receives and deletes on our behalf (billed as SQS requests, made
# by no paymux code, so no hook sees them): assumed one ReceiveMessage + one DeleteMessageBatch per
# notify invocation, i.e. batches of one message (the worst case; idle long polls are not counted).
SQS_POLLER_REQUESTS_PER_NOTIFY = 2
PRICE_SOURCE = "AWS list prices, us-east-1, on-demand, as known in 2025 (DynamoDB: after the Nov 2024 cut)"

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
USAGE_KEYS = ("wru", "index_wru", "rru", "sqs", "secrets", "api_requests", "invocations", "duration_ms")


def number_size(text: str) -> int:
    """DynamoDB: 1 byte per two significant digits, plus 1."""
    mantissa = str(abs(Decimal(text)).normalize()).split("E")[0]
    digits = mantissa.replace(".", "").lstrip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def value_size(value: Mapping[str, Any]) -> int:
    """Size of one typed attribute value ({"S": ...}, {"M": {...}} ...), without its name."""
    ((kind, v),) = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return number_size(v)
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(x) + 1 for k, x in v.items())
    if kind == "L":
        return 3 + sum(value_size(x) + 1 for x in v)
    return sum(value_size({kind[0]: x}) for x in v)  # SS, NS, BS: the members' sizes


def item_size(item: Mapping[str, Any]) -> int:
    """Bytes DynamoDB bills an item for: attribute names plus values (the documented formula)."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int, transactional: bool = False) -> int:
    """1 WRU per started KB (a 0-byte item still costs 1); transactional writes cost double."""
    return max(1, math.ceil(size / WRITE_UNIT_BYTES)) * (2 if transactional else 1)


def read_units(size: int, consistent: bool, transactional: bool = False) -> float:
    """1 RRU per started 4 KB strongly consistent, half that eventually consistent, 2x in a transaction."""
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return units * (2.0 if transactional else 1.0 if consistent else 0.5)


TABLE_KEYS = ("PK", "SK")  # PaymuxTable's key schema


@dataclass(frozen=True, slots=True)
class Index:
    """A GSI as template.yaml declares it: its key attributes and what it projects."""

    name: str
    keys: tuple[str, ...]
    projection: str = "ALL"  # ALL | KEYS_ONLY | INCLUDE
    include: frozenset[str] = frozenset()

    def entry(self, item: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The item's copy in this index, or None when the item lacks a key attribute (sparse)."""
        if item is None or not all(k in item for k in self.keys):
            return None
        if self.projection == "ALL":
            return dict(item)
        names = {*TABLE_KEYS, *self.keys, *(self.include if self.projection == "INCLUDE" else ())}
        return {k: v for k, v in item.items() if k in names}

    def write_units(self, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> int:
        """GSI write units of one table write (docs cited in bench/aws_calls.py): an entry put or
        deleted costs 1 WRU per started KB of the entry; a changed index key is a delete plus a
        put; a write that changes no projected attribute costs the index nothing."""
        old, new = self.entry(before), self.entry(after)
        if old is None or new is None:
            return write_units(item_size(old or new or {})) if (old or new) else 0
        if any(old[k] != new[k] for k in self.keys):
            return write_units(item_size(old)) + write_units(item_size(new))
        return write_units(item_size(new)) if old != new else 0


def table_indexes(template: Mapping[str, Any], table: str = "PaymuxTable") -> tuple[Index, ...]:
    """The GSIs of `table` in a loaded template.yaml (local.template.load_template)."""
    indexes = template["Resources"][table]["Properties"].get("GlobalSecondaryIndexes", [])
    return tuple(
        Index(
            i["IndexName"],
            tuple(k["AttributeName"] for k in i["KeySchema"]),
            i["Projection"]["ProjectionType"],
            frozenset(i["Projection"].get("NonKeyAttributes", ())),
        )
        for i in indexes
    )


def item_key(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in TABLE_KEYS if k in item}


@dataclass(slots=True)
class Write:
    """One item written. DynamoDB bills a write on the larger of the item's size before and
    after it, so both images are read (by bench/aws_calls.py's Recorder, from the table itself,
    around the call); a condition check leaves the item as it was."""

    table: str
    key: dict[str, Any]
    transactional: bool
    put: bool = False
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    @property
    def size(self) -> int:
        return max(item_size(self.before or {}), item_size(self.after or {}))

    def units(self) -> int:
        return write_units(self.size, self.transactional)

    def index_units(self, indexes: tuple[Index, ...]) -> int:
        """GSI writes at the standard rate (a transaction doubles the table's writes only)."""
        return sum(i.write_units(self.before, self.after) for i in indexes)


def _write(entry: Mapping[str, Any], kind: str, transactional: bool) -> Write:
    key = item_key(entry["Item"]) if kind == "Put" else entry["Key"]
    return Write(entry["TableName"], dict(key), transactional, put=kind == "Put")


def writes_of(operation: str, params: Mapping[str, Any]) -> list[Write]:
    """The items a DynamoDB write call touches (none for reads)."""
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return [_write(params, operation.removesuffix("Item"), False)]
    if operation == "TransactWriteItems":
        return [_write(body, kind, True) for e in params.get("TransactItems", []) for kind, body in e.items()]
    return []


def dynamodb_units(operation: str, params: Mapping[str, Any], parsed: Mapping[str, Any]) -> dict[str, Any]:
    """Read units of one DynamoDB call, from its request and response (writes: `writes_of`)."""
    rru = 0.0
    consistent = bool(params.get("ConsistentRead")) and not params.get("IndexName")
    if operation == "GetItem":
        rru = read_units(item_size(parsed.get("Item") or {}), consistent)
    elif operation in ("Query", "Scan"):  # billed on the items read, summed, then rounded up
        rru = read_units(sum(item_size(i) for i in parsed.get("Items", [])), consistent)
    elif operation == "BatchGetItem":  # each item on its own, rounded up
        items = [i for table in parsed.get("Responses", {}).values() for i in table]
        keys = params.get("RequestItems", {}).values()
        strong = any(k.get("ConsistentRead") for k in keys)
        rru = sum(read_units(item_size(i), strong) for i in items)
    elif operation == "TransactGetItems":
        rru = sum(read_units(item_size(r.get("Item") or {}), True, True) for r in parsed.get("Responses", []))
    return {"rru": rru}


def priced(writes: list[Write], indexes: tuple[Index, ...]) -> dict[str, Any]:
    """A write call's billed units, once its writes carry both images."""
    return {
        "wru": sum(w.units() for w in writes),
        "index_wru": sum(w.index_units(indexes) for w in writes),
        "puts": sum(1 for w in writes if w.put),
        "sizes": [w.size for w in writes],
    }


def _detail(call: dict[str, Any]) -> dict[str, Any]:
    """One call as the JSON lists it: DynamoDB writes with their item sizes and units."""
    detail: dict[str, Any] = {"call": f"{call['service']}.{call['operation']}"}
    if call["service"] == "dynamodb":
        detail |= {"wru": call.get("wru", 0), "index_wru": call.get("index_wru", 0)}
    if call.get("sizes"):
        detail |= {"puts": call["puts"], "sizes": call["sizes"]}
    return detail | {k: round(call[k], 2) for k in ("rru", "ms") if call.get(k)}


def tally(calls: list[dict[str, Any]]) -> dict[str, Any]:
    """One run's billed quantities from its call records (bench/aws_calls.py's Recorder: service,
    operation, DynamoDB writes and read units, handler ms); `sequence` lists them in order."""
    details = [_detail(c) for c in calls]
    count = Counter(d["call"] for d in details)
    ddb = [d for d in details if d["call"].startswith("dynamodb.")]
    return {
        "calls": {name: n for name, n in count.items() if not name.startswith("handler.")},
        "dynamodb_calls": len(ddb),
        "transact_write_items": count["dynamodb.TransactWriteItems"],
        "transact_items": sum(len(d["sizes"]) for d in ddb if d["call"].endswith(".TransactWriteItems")),
        "wru": sum(d["wru"] for d in ddb),
        "index_wru": sum(d["index_wru"] for d in ddb),
        "rru": sum(d.get("rru", 0.0) for d in ddb),
        "sqs_calls": sum(n for name, n in count.items() if name.startswith("sqs.")),
        "secretsmanager_calls": sum(n for name, n in count.items() if name.startswith("secretsmanager.")),
        "invocations": [
            {"function": d["call"].removeprefix("handler."), "ms": d["ms"]} for d in details if "ms" in d
        ],
        "sequence": details,
    }


def usage_of(op: str, run: Mapping[str, Any]) -> dict[str, float]:
    """The billed quantities of one measured run (a tally()). Every operation
    but notify (SQS-triggered) is one API Gateway request; Lambda rounds each duration up to 1 ms."""
    return {
        "wru": run["wru"],
        "index_wru": run["index_wru"],
        "rru": run["rru"],
        "sqs": run["sqs_calls"] + (SQS_POLLER_REQUESTS_PER_NOTIFY if op == "notify" else 0),
        "secrets": run["secretsmanager_calls"],
        "api_requests": 0 if op == "notify" else 1,
        "invocations": len(run["invocations"]),
        "duration_ms": sum(math.ceil(i["ms"]) for i in run["invocations"]),
    }


def floor_usage(op: str) -> dict[str, float]:
    """The floor, DynamoDB only: one read per query, one (conditional) write per anything else."""
    return {"rru": 1.0} if op == "query" else {"wru": 1.0}


def lifecycle(refund_rate: float) -> dict[str, float]:
    """Operations per payment lifecycle: create, its success callback, two merchant queries and
    the payment.succeeded notification; a share `refund_rate` of payments gets one partial refund
    (request, channel callback, and the refund.succeeded notification)."""
    return {
        "create": 1,
        "callback": 1,
        "query": 2,
        "notify": 1 + refund_rate,
        "refund": refund_rate,
        "refund_callback": refund_rate,
    }


def cost_per_million(usage: Mapping[str, Mapping[str, float]], mix: Mapping[str, float]) -> dict[str, float]:
    """USD per 1,000,000 lifecycles, by service: Σ over operations of count x usage x price."""
    t = {k: sum(n * usage[op].get(k, 0.0) for op, n in mix.items()) for k in USAGE_KEYS}
    million = 1_000_000
    cost = {
        "dynamodb_writes": t["wru"] * DYNAMODB_PER_MILLION_WRU,
        "dynamodb_index_writes": t["index_wru"] * DYNAMODB_PER_MILLION_WRU,
        "dynamodb_reads": t["rru"] * DYNAMODB_PER_MILLION_RRU,
        "sqs": t["sqs"] * SQS_PER_MILLION_REQUESTS,
        "secretsmanager": t["secrets"] * million / 10_000 * SECRETS_MANAGER_PER_10K_CALLS,
        "apigateway": t["api_requests"] * HTTP_API_PER_MILLION_REQUESTS,
        "lambda_requests": t["invocations"] * LAMBDA_PER_MILLION_REQUESTS,
        "lambda_duration": t["duration_ms"] / 1000 * LAMBDA_MEMORY_GB * million * LAMBDA_ARM64_PER_GB_SECOND,
    }
    return cost | {"total": sum(cost.values())}


def lifecycle_units(operations: Mapping[str, Mapping[str, Any]], mix: Mapping[str, float]) -> dict[str, Any]:
    """Table WRU, index WRU and RRU of one lifecycle, warm."""
    warm = {op: operations[op]["warm"] for op in mix}
    return {k: sum(n * warm[op][k] for op, n in mix.items()) for k in ("wru", "index_wru", "rru")}


def lifecycle_costs(operations: Mapping[str, Mapping[str, Any]], mix: Mapping[str, float]) -> dict[str, Any]:
    """Warm, cold (every operation in a fresh container) and floor cost per million lifecycles."""
    cost = {
        kind: cost_per_million({op: usage_of(op, o[kind]) for op, o in operations.items()}, mix)
        for kind in ("warm", "cold")
    }
    return cost | {"floor": cost_per_million({op: floor_usage(op) for op in operations}, mix)}


COST_ROWS = (
    ("dynamodb_writes", "DynamoDB writes (table)"),
    ("dynamodb_index_writes", "DynamoDB writes (GSI, est.)"),
    ("dynamodb_reads", "DynamoDB reads"),
    ("sqs", "SQS (+ Lambda's poller, assumed)"),
    ("secretsmanager", "Secrets Manager"),
    ("apigateway", "API Gateway HTTP API"),
    ("lambda_requests", "Lambda requests"),
    ("lambda_duration", "Lambda duration (arm64, 512 MB)"),
    ("total", "total"),
)


def format_costs(result: Mapping[str, Any]) -> list[str]:
    cost, mix = result["cost_per_million_lifecycles_usd"], result["lifecycle"]
    operations = result["operations"].values()
    ms = {k: [i["ms"] for o in operations for i in o[k]["invocations"]] for k in ("warm", "cold")}
    mean = {k: sum(v) / len(v) for k, v in ms.items()}
    lines = [
        "cost per 1,000,000 payment lifecycles, USD",
        f"  {PRICE_SOURCE}",
        "  lifecycle = " + " + ".join(f"{n:g} {op}" for op, n in mix.items()),
        f"  ({mix['refund']:.0%} of payments get a refund: request, REFUND.SUCCESS callback, 1 more notify;",
        f"  Lambda duration = each run's handler ms (in-process proxy; mean {mean['warm']:.0f} ms warm,",
        f"  {mean['cold']:.0f} ms cold) x {LAMBDA_MEMORY_GB:g} GB. The floor counts DynamoDB only.)",
        f"{'':<34}{'warm':>10}{'cold':>10}{'floor':>10}",
    ]
    for key, label in COST_ROWS:
        lines.append(f"{label:<34}" + "".join(f"{cost[k][key]:>10.2f}" for k in ("warm", "cold", "floor")))
    ddb = {k: sum(v for n, v in cost[k].items() if n.startswith("dynamodb")) for k in cost}
    warm, floor = ddb["warm"], ddb["floor"]
    lines.append(f"DynamoDB warm ${warm:.2f} = {warm / floor:.1f}x the floor's ${floor:.2f}")
    return [*lines, "Left out: CloudWatch Logs, KMS, storage, data transfer, free tiers, per-secret fees."]


def prices() -> dict[str, Any]:
    """The constants above (prices, assumptions, unit sizes) for the JSON."""
    return {k.lower(): v for k, v in globals().items() if k.isupper() and isinstance(v, int | float | str)}
