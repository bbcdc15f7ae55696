"""Cold import time of every Lambda handler next to a bare `import boto3; boto3.client("dynamodb")`.

Each sample is a fresh `python -X frozen_modules=on -I` process with a Lambda-like environment that
times `importlib.import_module("app")`, then (the "import + clients" column) the AWS clients the
function builds on its first invocation through paymux.deps, and the paymux.deps stores it uses
(each imports its module on first use: every one, unless a test recorded which). The layer and
handlers are staged precompiled (bench/staging.py); runs are interleaved round-robin so machine
noise hits all alike."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import powertools_cost, report, staging
from bench.stats import summarize

TARGET_RATIO = 1.5
BARE_LABEL = 'bare: import boto3; boto3.client("dynamodb")'
DEFAULT_JSON = staging.REPO / "bench" / ".out" / "cold_start.json"
# What paymux.deps builds on a function's first invocation: a merchant API function reads DynamoDB
# and Secrets Manager (the merchant's signing key; channel credentials); these also enqueue or
# write reports. Create and refund take the callback base from the request's domain (services.payments
# callback_url): no SSM client; with the template's default PublicBaseUrl (empty), only paths
# without a request (a sweep worker resubmitting a refund, an automatic refund) read it.
# Secrets Manager is built on the first secret read (paymux.deps.LazyClient), so the operators'
# reads and the sweep planner build none; the docs and the $default route build no client at all;
# the report download presigns an S3 URL and reads nothing else
# (tests/integration/test_first_invocation_clients.py checks these against real invocations).
BASE_CLIENTS = ("dynamodb", "secretsmanager")
EXTRA_CLIENTS: dict[str, tuple[str, ...]] = {
    "close_payment": ("sqs",),
    "channel_callback": ("sqs",),
    "notify_merchant": ("sqs",),
    "sweep_worker": ("sqs",),
    "refund_payment": ("sqs",),
    "reconcile": ("s3",),
}
ONLY_CLIENTS: dict[str, tuple[str, ...]] = {
    "api_docs": (),
    "unrouted": (),
    "admin_get_binding": ("dynamodb",),
    "admin_list_bindings": ("dynamodb",),
    "admin_get_channel_account": ("dynamodb",),
    "admin_list_channel_accounts": ("dynamodb",),
    "list_exceptions": ("dynamodb",),
    "admin_get_reconciliation_report": ("s3",),
    "sweeper": ("dynamodb", "sqs"),
    "stats_stream": ("dynamodb",),  # table items into table items
    "stats_repair": ("dynamodbstreams", "dynamodb"),  # the batch read again, then folded
}
CHILD_TIMEOUT_S = 120
_MARK = "BENCH"
# Runs in the child. Paths come in argv; only the three staged/site dirs plus the stdlib are searched.
CHILD = f"""
import sys, time
handler_dir, layer, site, clients = sys.argv[1:5]
stdlib = [p for p in sys.path if p != site and not p.endswith("site-packages")]
sys.path[:] = [handler_dir, layer, *stdlib, site]
import importlib
t0 = time.perf_counter()
importlib.import_module("app")
t1 = time.perf_counter()
if clients:
    from paymux.deps import deps
    d = deps()
    for name in clients.split(","):
        getattr(d, name)
t2 = time.perf_counter()
print("{_MARK}", (t1 - t0) * 1e3, (t2 - t0) * 1e3)
"""


class ChildFailed(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Target:
    """One thing to measure: the bare handler or a function."""

    name: str
    directory: Path
    clients: tuple[str, ...]
    stores: tuple[str, ...] = ()


@dataclass(slots=True)
class Series:
    target: Target
    import_ms: list[float] = field(default_factory=list)
    first_use_ms: list[float] = field(default_factory=list)
    error: str | None = None


# The stores of paymux.deps (each imports its module on first use). A function is charged every
# one (what its first invocation may use) unless the test above recorded the ones it uses.
STORES = ("payments", "refunds", "notifications", "nonces", "merchants", "channel_config", "bindings")
USED_STORES: dict[str, tuple[str, ...]] = {
    "api_docs": (),
    "unrouted": (),
    "admin_get_binding": ("bindings",),
    "admin_list_bindings": ("bindings",),
    "admin_get_channel_account": ("channel_config",),
    "admin_list_channel_accounts": ("channel_config",),
    "admin_get_reconciliation_report": (),
    "sweeper": (),
    "get_payment": ("payments", "nonces", "merchants"),
    "stats_stream": (),  # store.buckets on the DynamoDB client itself
    "stats_repair": (),  # the same, after the stream client
}


def stores_for(function: str) -> tuple[str, ...]:
    return USED_STORES.get(function, STORES)


def clients_for(function: str) -> tuple[str, ...]:
    if function in ONLY_CLIENTS:
        return ONLY_CLIENTS[function]
    return BASE_CLIENTS + EXTRA_CLIENTS.get(function, ())


def lambda_env(function: str, home: Path) -> dict[str, str]:
    """A Lambda-like environment: region, dummy credentials, the template's variables, nothing else."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "HOME": str(home),
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "PAYMUX_STAGE": "bench",
        "PAYMUX_TABLE": "t",
        "PAYMUX_NOTIFY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q",
        "PAYMUX_NOTIFY_DLQ_URL": "https://sqs.us-east-1.amazonaws.com/1/dlq",
        "PAYMUX_BUCKET": "b",
        "PAYMUX_SECRETS_PREFIX": "paymux/bench/",
        "PAYMUX_ALLOW_HTTP_URLS": "false",
        "PAYMUX_PUBLIC_BASE_URL": "",
        "PAYMUX_API_DOMAIN_PARAMETER": "/paymux/bench/api-domain",
        "POWERTOOLS_SERVICE_NAME": "paymux",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "PYDANTIC_DISABLE_PLUGINS": "__all__",
    }


def measure_once(target: Target, staged: staging.Staged) -> tuple[float, float]:
    """(import ms, import + first-use clients ms) from one fresh interpreter."""
    argv = [sys.executable, "-X", "frozen_modules=on", "-I", "-c", CHILD]
    first_use = ",".join((*target.clients, *target.stores))
    argv += [str(target.directory), str(staged.layer), str(staged.site_packages), first_use]
    env = lambda_env(target.name, staged.root)
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if proc.returncode == 0 and line.startswith(_MARK + " "):
            import_ms, first_use_ms = (float(x) for x in line.split()[1:3])
            return import_ms, first_use_ms
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    raise ChildFailed(f"{target.name}: exit {proc.returncode}: {tail}")


def measure(
    staged: staging.Staged,
    repeat: int,
    warmup: int = 1,
    progress: Callable[[str], None] | None = None,
) -> tuple[Series, list[Series]]:
    """Round-robin over [bare, *functions], `warmup` unrecorded rounds then `repeat` recorded ones.

    The starting point rotates each round so no target is always first. A function whose child fails
    keeps its error and is skipped from then on; a failing bare handler aborts (nothing to compare to)."""
    bare = Series(Target(BARE_LABEL, staged.bare, ()))
    functions = [Series(Target(n, d, clients_for(n), stores_for(n))) for n, d in staged.functions.items()]
    everything = [bare, *functions]
    for round_no in range(warmup + repeat):
        shift = round_no % len(everything)
        for series in everything[shift:] + everything[:shift]:
            if series.error is not None:
                continue
            try:
                import_ms, first_use_ms = measure_once(series.target, staged)
            except (ChildFailed, subprocess.TimeoutExpired) as exc:
                if series is bare:
                    raise
                series.error = str(exc)
                continue
            if round_no >= warmup:
                series.import_ms.append(import_ms)
                series.first_use_ms.append(first_use_ms)
        if progress is not None:
            label = "warm-up" if round_no < warmup else f"round {round_no - warmup + 1}/{repeat}"
            progress(f"{label} done")
    return bare, functions


def build_result(
    staged: staging.Staged,
    bare: Series,
    functions: Sequence[Series],
    repeat: int,
    load: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """The JSON-able result: per target summaries, ratios to bare and PASS/FAIL against the target."""
    bare_import = summarize(bare.import_ms)
    bare_first_use = summarize(bare.first_use_ms)
    rows = []
    for series in functions:
        row: dict[str, Any] = {"name": series.target.name, "clients": list(series.target.clients)}
        row["stores"] = list(series.target.stores)
        row["stub"] = "paymux" not in (series.target.directory / "app.py").read_text()
        if series.error is not None or not series.import_ms:
            row["error"] = series.error or "no samples"
        else:
            imp, first = summarize(series.import_ms), summarize(series.first_use_ms)
            row["import_ms"] = imp.as_dict() | {"samples": series.import_ms}
            row["import_clients_ms"] = first.as_dict() | {"samples": series.first_use_ms}
            row["import_ratio"] = imp.median / bare_import.median
            row["import_clients_ratio"] = first.median / bare_first_use.median
            row["import_pass"] = row["import_ratio"] <= TARGET_RATIO
            row["import_clients_pass"] = row["import_clients_ratio"] <= TARGET_RATIO
        rows.append(row)
    return {
        "benchmark": "cold_start",
        "repeat": repeat,
        "target_ratio": TARGET_RATIO,
        "environment": report.environment(load),
        "layer": {
            "staged_at": str(staged.layer),
            "modules": staged.layer_modules,
            "precompiled": staged.layer_compiled,
            "invalidation_mode": "unchecked-hash",
            "third_party_from": str(staged.site_packages),
            "sam_build_present": staging.SAM_BUILT_LAYER.is_dir(),
        },
        "bare": {
            "name": BARE_LABEL,
            "import_ms": bare_import.as_dict() | {"samples": bare.import_ms},
            "import_clients_ms": bare_first_use.as_dict() | {"samples": bare.first_use_ms},
        },
        "functions": rows,
    }


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench cold_start", description=__doc__)
    parser.add_argument("--repeat", type=int, default=9, help="recorded fresh processes per target")
    parser.add_argument("--warmup", type=int, default=1, help="unrecorded rounds first (page cache)")
    parser.add_argument("--functions", help="comma-separated subset of functions/<name> (default: all)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the figures")
    parser.add_argument("--keep", action="store_true", help="keep the staged temporary directory")
    parser.add_argument(
        "--adoption", action="store_true", help="also time what each powertools adoption adds (ms)"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be >= 1 and --warmup >= 0")
    return args


def _progress(message: str) -> None:
    print(f"  cold start: {message}", file=sys.stderr, flush=True)


def run(argv: Sequence[str] = ()) -> int:
    args = parse_args(argv)
    names = staging.discover_functions()
    if args.functions:
        wanted = [n.strip() for n in args.functions.split(",") if n.strip()]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            print(f"unknown function(s): {', '.join(unknown)}; found: {', '.join(names)}", file=sys.stderr)
            return 2
        names = wanted
    tmp = tempfile.TemporaryDirectory(prefix="paymux-bench-", delete=not args.keep)
    with tmp as root:
        staged = staging.stage(Path(root), names)
        load_start = os.getloadavg()[0]
        try:
            bare, functions = measure(staged, args.repeat, args.warmup, _progress)
        except (ChildFailed, subprocess.TimeoutExpired) as exc:
            print(f"cold start: the bare baseline could not be measured: {exc}", file=sys.stderr)
            return 1
        load = (load_start, os.getloadavg()[0])
        result = build_result(staged, bare, functions, args.repeat, load)
        if args.adoption:
            env = lambda_env("adoption", staged.root)
            result["powertools_adoption"] = powertools_cost.measure(staged.site_packages, env, args.repeat)
    report.write_json(result, args.json)
    print(report.format_table(result))
    if args.adoption:
        print(powertools_cost.format_rows(result["powertools_adoption"]))
    print(f"figures written to {report.display_path(args.json, staging.REPO)}")
    if args.keep:
        print(f"staged code kept in {root}")
    return 0
