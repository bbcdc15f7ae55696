"""`python -m ops reconcile …`: a day's T+1 reconciliation, by hand.

    reconcile run [--date YYYY-MM-DD]      reconcile the day now (default: yesterday, Asia/Shanghai)
    reconcile show --date YYYY-MM-DD       the day's summary.json
    reconcile fetch --date YYYY-MM-DD --format summary|csv|xlsx|txt|html [--out FILE]

`run` is what the daily schedule runs (paymux.services.reconciliation.reconcile_day), against the
target's table, channels and bucket, so it is safe to repeat (docs/reconciliation.md); it prints
the summary, and exits 2 after printing it when an account could not be reconciled. `fetch`
downloads the report to FILE (default ./paymux-<date>-<file>) in a stream and prints where."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from paymux.deps import Deps
from paymux.errors import NotFound
from paymux.services.reconciliation import ReconciliationIncomplete, reconcile_day
from paymux.services.report_export import REPORT_FORMATS, report_day
from paymux.store.reports import ReportStore, report_key


def register(groups: Any) -> None:
    """Adds the `reconcile` group to the CLI's parser; its commands carry their own runner."""
    r = groups.add_parser("reconcile").add_subparsers(dest="command", required=True)
    run = r.add_parser("run", help="reconcile a day now (safe to repeat)")
    run.add_argument("--date", help="YYYY-MM-DD, Asia/Shanghai (default: yesterday)")
    run.set_defaults(runner=run_day)
    show = r.add_parser("show", help="a reconciled day's summary")
    show.add_argument("--date", required=True, help="YYYY-MM-DD")
    show.set_defaults(runner=show_day)
    fetch = r.add_parser("fetch", help="download a reconciled day's report")
    fetch.add_argument("--date", required=True, help="YYYY-MM-DD")
    fetch.add_argument("--format", required=True, choices=list(REPORT_FORMATS))
    fetch.add_argument("--out", help="the file to write (default: ./paymux-<date>-<file>)")
    fetch.set_defaults(runner=fetch_report)


def _reports(d: Deps) -> ReportStore:
    return ReportStore(d.s3, d.settings.bucket)


def run_day(d: Deps, args: argparse.Namespace) -> dict[str, Any]:
    day = report_day(args.date) if args.date else None
    with contextlib.redirect_stdout(sys.stderr):  # its EMF metric lines join the logs on stderr
        summary = reconcile_day(d, day)
    result = summary.to_dict()
    if summary.failed_accounts:  # the summary first (stdout), then why the exit code is 2
        print(json.dumps(result, indent=2, ensure_ascii=False))
        sys.stdout.flush()
        raise ReconciliationIncomplete(f"accounts not reconciled: {', '.join(summary.failed_accounts)}")
    return result


def show_day(d: Deps, args: argparse.Namespace) -> dict[str, Any]:
    day = report_day(args.date)
    summary = _reports(d).get_json(report_key(day, REPORT_FORMATS["summary"]))
    if summary is None:
        raise NotFound(f"no summary for {day.isoformat()}: is the day reconciled?")
    return summary


def fetch_report(d: Deps, args: argparse.Namespace) -> dict[str, Any]:
    day = report_day(args.date)
    name = REPORT_FORMATS[args.format]
    key = report_key(day, name)
    reports = _reports(d)
    if not reports.exists(key):
        raise NotFound(f"no {args.format} report for {day.isoformat()}: is the day reconciled?")
    out = Path(args.out or f"paymux-{day.isoformat()}-{name}")
    reports.download(key, out)
    size = out.stat().st_size
    return {"date": day.isoformat(), "format": args.format, "key": key, "file": str(out), "bytes": size}
