"""What each aws-lambda-powertools adoption adds to a cold start, in ms (`python -m bench cold_start
--adoption`).

Each sample is a fresh `python -X frozen_modules=on -I` process with the Lambda-like environment
of bench/cold_start.py. It first does what every paymux function does on its first invocation
anyway (imports boto3, builds the DynamoDB and Secrets Manager clients, imports json/logging),
untimed, then times one adoption: the imports and objects that adoption needs. "after Logger"
rows time the adoption in a process that already holds the Logger (every paymux function does:
importing any powertools module runs the package's __init__, which imports Logger and Metrics).
Runs are interleaved round-robin, like the cold start table."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.stats import summarize

_PRELUDE = """
import json, logging, boto3
from botocore.config import Config
config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
ddb, sm = boto3.client("dynamodb", config=config), boto3.client("secretsmanager", config=config)
"""
_LOGGER = """
import io
from aws_lambda_powertools.logging import Logger
Logger(service="paymux", stream=io.StringIO())
"""
_METRICS = """
import contextlib, io
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
service = {"service": "paymux"}
p = AmazonCloudWatchEMFProvider(namespace="paymux", service="paymux", default_dimensions=service)
p.add_dimensions(method="wechat.native", provider="wechat")
p.add_metric(name="PaymentCreated", unit="Count", value=1)
with contextlib.redirect_stdout(io.StringIO()):
    p.flush_metrics()
"""
_BATCH = """
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
"""
_PARAMETERS = """
from aws_lambda_powertools.utilities.parameters.secrets import SecretsProvider
SecretsProvider(boto3_client=sm)
"""
_TRACER = "from aws_lambda_powertools import Tracer\nTracer(service='paymux')\n"
# (label, code already run untimed after the prelude, timed code)
ADOPTIONS: tuple[tuple[str, str, str], ...] = (
    ("Logger (imports the powertools package, Logger object)", "", _LOGGER),
    ("Metrics (EMF provider, one document) alone", "", _METRICS),
    ("Metrics after Logger", _LOGGER, _METRICS),
    ("BatchProcessor after Logger (notify_merchant only)", _LOGGER, _BATCH),
    ("Parameters (SecretsProvider) after Logger", _LOGGER, _PARAMETERS),
    ("Tracer after Logger (not adopted)", _LOGGER, _TRACER),
)
_CHILD = """
import sys, time
site, setup, timed = sys.argv[1:4]
stdlib = [p for p in sys.path if p != site and not p.endswith("site-packages")]
sys.path[:] = [*stdlib, site]
scope = {}
exec(setup, scope)
t0 = time.perf_counter()
exec(timed, scope)
print("ADOPTION", (time.perf_counter() - t0) * 1e3)
"""


def _sample(site: Path, setup: str, timed: str, env: dict[str, str]) -> float:
    argv = [sys.executable, "-X", "frozen_modules=on", "-I", "-c", _CHILD, str(site), setup, timed]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    for line in proc.stdout.splitlines():
        if proc.returncode == 0 and line.startswith("ADOPTION "):
            return float(line.split()[1])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    raise RuntimeError(f"adoption sample failed: {tail}")


def measure(site: Path, env: dict[str, str], repeat: int) -> list[dict[str, Any]]:
    """Per adoption: median and p90 of `repeat` fresh processes (one warm-up round first)."""
    samples: list[list[float]] = [[] for _ in ADOPTIONS]
    for round_no in range(repeat + 1):
        for index, (_, before, timed) in enumerate(ADOPTIONS):
            # the prelude and `before` run untimed in the same process; only `timed` is measured
            value = _sample(site, _PRELUDE + before, timed, env)
            if round_no:
                samples[index].append(value)
    rows = []
    for (label, _, _), values in zip(ADOPTIONS, samples, strict=True):
        summary = summarize(values)
        rows.append(
            {"adoption": label, "median_ms": summary.median, "p90_ms": summary.p90, "samples": values}
        )
    return rows


def format_rows(rows: Sequence[dict[str, Any]]) -> str:
    lines = [f"{'powertools adoption: added cold start (fresh processes, ms)':<62}{'median':>8}{'p90':>8}"]
    lines += [f"{r['adoption']:<62}{r['median_ms']:>8.1f}{r['p90_ms']:>8.1f}" for r in rows]
    return "\n".join(lines)
