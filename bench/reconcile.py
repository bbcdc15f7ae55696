"""`make bench` section `reconcile`: one account's day of 1,000,000 (and 100,000) WeChat Pay
bill rows against as many local payments, through the real reconcile path, against a pandas
baseline (read_csv + outer merge) on the same data in the same run.

Each measured run is a child process of its own (bench/reconcile_rig.py): its wall time is the
reconciliation's (imports and setup excluded), its peak RSS the child's own maximum resident
set (os.wait4's ru_maxrss, KiB on Linux). moto runs in a third process, so the figures hold
only what paymux itself keeps. Targets: paymux's time ≤ pandas', its peak ≤ ½ pandas'.

Options: `--rows N[,N…]` (default 100000,1000000)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import reconcile_rig, staging

DEFAULT_ROWS = (100_000, 1_000_000)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _child(args: Sequence[str]) -> dict[str, Any]:
    """Runs `python -m bench.reconcile_rig …` and returns its JSON with its peak RSS (MiB)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(staging.REPO), str(staging.LAYER_PACKAGE.parent)]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.reconcile_rig", *args],
        stdout=subprocess.PIPE,
        env=env,
        cwd=staging.REPO,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"bench child {args[0]} exited {process.returncode}")
    result: dict[str, Any] = json.loads(output.decode().strip().splitlines()[-1])
    result["peak_mib"] = usage.ru_maxrss / 1024
    return result


def _server(directory: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(staging.REPO), str(staging.LAYER_PACKAGE.parent)]),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.reconcile_rig", "serve", str(directory), str(port)],
        stdout=subprocess.PIPE,
        env=env,
        cwd=staging.REPO,
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    while line and not line.startswith(b"READY"):  # moto announces itself first
        line = server.stdout.readline()
    if not line.startswith(b"READY"):
        server.kill()
        raise RuntimeError(f"the bench's moto server did not start: {line!r}")
    return server


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) the process `pid` has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(rows: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="paymux-recon-bench-") as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        meta = reconcile_rig.generate(directory, rows)
        port = _free_port()
        server = _server(directory, port)
        setup = time.perf_counter() - started
        try:
            before = server_cpu(server.pid)
            paymux = _child(["paymux", str(directory), str(port)])
            paymux["server_cpu_s"] = server_cpu(server.pid) - before
        finally:
            server.kill()
            server.wait()
        pandas = _child(["pandas", str(directory)])
    return {"rows": rows, "slots": meta["slots"], "setup_s": setup, "paymux": paymux, "pandas": pandas}


def _line(name: str, rows: int, run: dict[str, Any]) -> str:
    seconds = run["seconds"]
    moto = f"{run['server_cpu_s']:>12.1f}" if "server_cpu_s" in run else f"{'-':>12}"
    return (
        f"  {name:<8}{rows:>11,}{seconds:>10.1f}{run['peak_mib']:>11.0f}{rows / seconds:>12,.0f}"
        f"{run['cpu_s']:>11.1f}{moto}"
    )


def report(result: dict[str, Any]) -> list[str]:
    rows, paymux, pandas = result["rows"], result["paymux"], result["pandas"]
    time_ratio = paymux["seconds"] / pandas["seconds"]
    memory_ratio = paymux["peak_mib"] / pandas["peak_mib"]
    return [
        _line("paymux", rows, paymux),
        _line("pandas", rows, pandas),
        f"  paymux/pandas: time {time_ratio:.2f} (target ≤ 1), peak memory {memory_ratio:.2f} (target ≤ 0.5)"
        f"; setup {result['setup_s']:.0f} s (bill, moto load)",
        f"  paymux counts: {json.dumps(paymux['counts'], ensure_ascii=False)}",
        f"  pandas counts: {json.dumps(pandas['counts'], ensure_ascii=False)}",
    ]


def _rows(argv: Sequence[str]) -> tuple[int, ...]:
    for n, arg in enumerate(argv):
        if arg == "--rows" and n + 1 < len(argv):
            return tuple(int(v) for v in argv[n + 1].split(","))
    return DEFAULT_ROWS


def run(argv: Sequence[str]) -> int:
    print("reconcile: one account-day, WeChat Pay ALL bill vs local payments (moto in its own process)")
    columns = ("rows", 11), ("wall s", 10), ("peak MiB", 11), ("rows/s", 12), ("own CPU s", 11)
    print(f"  {'':<8}" + "".join(f"{name:>{width}}" for name, width in columns) + f"{'moto CPU s':>12}")
    print("  (own CPU: the measured process's user + system s; moto CPU: the moto server's, during paymux's)")
    for rows in _rows(argv):
        for line in report(measure(rows)):
            print(line, flush=True)
    return 0
