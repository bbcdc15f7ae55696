"""`python -m bench reports [--reports-records N]`: the discrepancy report writers on a generated
day of N discrepancies (default 1,000,000; every class, two channels, Chinese detail text), one
format per child process: wall time, records per second, peak RSS and its growth over the
child's start (what the format itself holds), and the file's size. The upload is left out (it
streams the file from disk: s3transfer's parts, 16 MiB each).

The records are generated lazily, as the reconciliation's records callable gives them: a format
that held them all would show it in its RSS growth."""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bench import report

DAY = date(2026, 11, 27)
CLASSES = (
    "channel_only",
    "status_mismatch",
    "local_only",
    "amount_mismatch",
    "merchant_mismatch",
    "fee_mismatch",
)
FORMATS = ("csv", "xlsx", "txt")


def records(count: int) -> Callable[[], Iterator[Any]]:
    """A callable giving a fresh stream of `count` discrepancy records each time."""
    from paymux.services.reconciliation import Record  # noqa: PLC0415

    def stream() -> Iterator[Any]:
        for n in range(count):
            cls = CLASSES[n % len(CLASSES)]
            provider, account = ("wechat", "wx-main") if n % 3 else ("alipay", "ali-main")
            amount = 100 + (n * 7919) % 500_000
            yield Record(
                account,
                cls,
                "refund" if n % 10 == 0 else "payment",
                out_trade_no=f"01KB{n:022d}01",
                out_refund_no=f"RF{n:010d}" if n % 10 == 0 else "",
                payment_id=f"pay_01KB{n:022d}",
                local_status="SUCCESS",
                local_amount=amount,
                channel_amount=None if cls == "local_only" else amount + (n % 2),
                channel_fee=None if cls == "local_only" else amount * 6 // 1000,
                expected_fee=amount * 6 // 1000,
                detail="渠道金额与本地不符 (amount differs)" if cls == "amount_mismatch" else "",
                merchant_id=f"mch_{n % 97:04d}",
                provider=provider,
            )

    return stream


def memory_kib(field: str = "VmRSS") -> int:
    """This process's VmRSS (now) or VmHWM (its peak: unlike ru_maxrss, not inherited from the
    parent across fork and exec), KiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


def write_one(fmt: str, count: int, folder: str) -> dict[str, Any]:
    """Writes one format of `count` generated records to `folder` (in this process)."""
    from paymux.services.reconciliation import CSV_COLUMNS  # noqa: PLC0415
    from paymux.services.report_text import write_text_report  # noqa: PLC0415
    from paymux.services.report_xlsx import write_workbook  # noqa: PLC0415
    from paymux.store.reports import write_csv  # noqa: PLC0415

    stream = records(count)
    path = Path(folder) / f"discrepancies.{fmt}"
    start_rss = memory_kib()
    started, cpu = time.perf_counter(), time.process_time()
    if fmt == "csv":
        write_csv(path, CSV_COLUMNS, (r.csv_row() for r in stream()))
    elif fmt == "xlsx":
        write_workbook(path, DAY, CSV_COLUMNS, stream)
    else:
        with path.open("w", encoding="utf-8") as out:
            write_text_report(out, DAY, CSV_COLUMNS, stream)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = memory_kib("VmHWM")
    return {
        "format": fmt,
        "records": count,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "records_per_second": count / seconds if seconds else 0.0,
        "records_per_cpu_second": count / cpu if cpu else 0.0,
        "peak_rss_mib": peak / 1024,
        "rss_growth_mib": max(peak - start_rss, 0) / 1024,
        "file_mib": path.stat().st_size / 2**20,
    }


def _child(fmt: str, count: int, folder: str, answers: Any) -> None:
    answers.put(write_one(fmt, count, folder))


def measure(fmt: str, count: int) -> dict[str, Any]:
    """write_one in a fresh child process (spawned: its RSS is its own)."""
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    with tempfile.TemporaryDirectory(prefix="paymux-bench-reports-") as folder:
        child = context.Process(target=_child, args=(fmt, count, folder, answers))
        child.start()
        result: dict[str, Any] = answers.get()
        child.join()
    return result


def run(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reports", description=__doc__)
    parser.add_argument("--reports-records", type=int, default=1_000_000)
    parser.add_argument("--reports-json", default="")
    args, _ = parser.parse_known_args(list(argv))
    results = [measure(fmt, args.reports_records) for fmt in FORMATS]
    print(f"\nreports: {args.reports_records:,} discrepancy records, one format per child process")
    head = ("wall s", "CPU s", "records/s", "records/CPU s", "peak RSS MiB", "growth MiB", "file MiB")
    print(f"{'format':8} " + " ".join(f"{h:>12}" for h in head))
    for r in results:
        print(
            f"{r['format']:8} {r['seconds']:12.1f} {r['cpu_seconds']:12.1f} {r['records_per_second']:12,.0f} "
            f"{r['records_per_cpu_second']:12,.0f} "
            f"{r['peak_rss_mib']:12.1f} {r['rss_growth_mib']:12.1f} {r['file_mib']:12.1f}"
        )
    if args.reports_json:
        report.write_json({"environment": report.environment(), "results": results}, Path(args.reports_json))
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
