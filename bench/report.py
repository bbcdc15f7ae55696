"""Formatting for the benchmark results: the printed table, the JSON file, the run's environment."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

LABEL_WIDTH = 46
BUSY_LOAD_PER_CPU = 0.5
_SHORT = {"dynamodb": "ddb", "secretsmanager": "sm", "sqs": "sqs", "s3": "s3", "ssm": "ssm"}


def environment(load: tuple[float, float] | None = None) -> dict[str, Any]:
    """Interpreter, machine and time of the run; `load` is the 1-minute load average before/after it."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "machine": platform.machine(),
        "platform": platform.platform(),
        "nproc": os.process_cpu_count(),
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_avg_1m": None if load is None else {"start": load[0], "end": load[1]},
    }


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def _cells(summary: dict[str, Any], ratio: float, mark: str, width: int = 8) -> str:
    """median, p90, ratio and verdict; the verdict is blank for the baseline (mark="")."""
    return f"{summary['median']:{width}.1f} {summary['p90']:8.1f} {ratio:6.2f}x  {mark:4}"


def format_row(label: str, row: dict[str, Any]) -> str:
    """One table line; `row` holds the medians/p90/ratios/verdicts of build_result (or an error).
    A row without verdicts (the bare baseline) gets blank verdict cells."""
    if "error" in row:
        return f"{label:<{LABEL_WIDTH}} ERROR  {row['error']}"
    imp_mark = verdict(row["import_pass"]) if "import_pass" in row else ""
    first_mark = verdict(row["import_clients_pass"]) if "import_clients_pass" in row else ""
    imp = _cells(row["import_ms"], row["import_ratio"], imp_mark)
    first = _cells(row["import_clients_ms"], row["import_clients_ratio"], first_mark, width=14)
    clients = "+".join(_SHORT.get(c, c) for c in row["clients"])
    return f"{label:<{LABEL_WIDTH}}{imp}  {first}  {clients}".rstrip()


def summary_line(result: dict[str, Any]) -> str:
    """One line: the verdict on import time (the target), then the same check with first-use clients."""
    rows = result["functions"]
    ok = [r for r in rows if "error" not in r]
    parts = []
    for key, title in (("import", "import"), ("import_clients", "import+clients")):
        passed = sum(1 for r in ok if r[f"{key}_pass"])
        status = "PASS" if ok and passed == len(rows) else "FAIL"
        worst = max(ok, key=lambda r: r[f"{key}_ratio"], default=None)
        detail = f", worst {worst['name']} {worst[f'{key}_ratio']:.2f}x" if worst else ""
        parts.append(f"{title} {status} ({passed}/{len(rows)}{detail})")
    errors = len(rows) - len(ok)
    stubs = sum(1 for r in rows if r.get("stub"))
    tail = f" | {errors} function(s) failed to import" if errors else ""
    tail += f" | {stubs} placeholder(s) marked *" if stubs else ""
    return f"RESULT vs bare, target <= {result['target_ratio']:.2f}x: " + " | ".join(parts) + tail


def _notes(result: dict[str, Any], stubs: list[str]) -> list[str]:
    env, layer = result["environment"], result["layer"]
    notes = [
        "import         = importlib.import_module('app') in a fresh `python -X frozen_modules=on -I`",
        "                 process (PYTHONDONTWRITEBYTECODE=1, Lambda-like env); p90 over the same runs.",
        "import+clients = import, then paymux.deps building the clients listed (ddb=dynamodb,",
        "                 sm=secretsmanager), as the first invocation does. Clients are built lazily, so",
        "                 their cost moves from import to the first invocation; the bare handler builds",
        "                 its client at import, so its two columns are equal.",
        "ratio          = median / bare median, both measured interleaved in this run.",
        f"layer: layers/common/paymux staged as /opt/python, {layer['precompiled']}/{layer['modules']}"
        f" modules precompiled ({layer['invalidation_mode']});",
        f"       pydantic etc. and boto3/botocore from {layer['third_party_from']}.",
    ]
    if layer["sam_build_present"]:
        notes.append(".aws-sam/build/CommonLayer/python exists but holds aarch64 wheels: not used here.")
    if stubs:
        notes.append(f"* app.py does not import paymux yet (placeholder?): {', '.join(stubs)}.")
    load = env.get("load_avg_1m")
    load_text = f", load avg {load['start']:.1f} -> {load['end']:.1f}" if load else ""
    notes.append(
        f"python {env['python']} ({env['implementation']}), {env['machine']}, nproc {env['nproc']}"
        f"{load_text}, {env['timestamp']}"
    )
    if load and max(load.values()) > BUSY_LOAD_PER_CPU * (env["nproc"] or 1):
        notes.append("machine was busy (load avg > nproc/2): figures are noisy, rerun when idle.")
    return notes


def format_table(result: dict[str, Any]) -> str:
    bare = result["bare"]
    title = f"cold start (median of {result['repeat']} fresh processes, ms)"
    cols = f"{'p90':>8} {'ratio':>7}  {'':4}"
    head = f"{'import':>8} {cols}  {'import+clients':>14} {cols}  clients"
    bare_row = {
        "clients": [],
        "import_ms": bare["import_ms"],
        "import_clients_ms": bare["import_clients_ms"],
        "import_ratio": 1.0,
        "import_clients_ratio": 1.0,
    }
    lines = [f"{title:<{LABEL_WIDTH}}{head}".rstrip(), format_row(bare["name"], bare_row)]
    stubs = [row["name"] for row in result["functions"] if row.get("stub")]
    for row in result["functions"]:
        lines.append(format_row(row["name"] + (" *" if row.get("stub") else ""), row))
    return "\n".join([*lines, "", *_notes(result, stubs), summary_line(result)])


def write_json(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")


def display_path(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base))
    except ValueError:
        return str(path)
