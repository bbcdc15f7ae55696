"""`python -m ops stats …`: the payment stats buckets (docs/analytics.md).

    stats backfill --from YYYY-MM-DD --to YYYY-MM-DD [--merchant MERCHANT_ID]
    stats show --from DATE|DATETIME --to DATE|DATETIME [--granularity 1d] [--group-by method]
               [--merchant MERCHANT_ID]

`backfill` rebuilds whole Asia/Shanghai days (inclusive) from the stored payments and refunds
and replaces their buckets; `show` prints the stats API's answer, for one merchant or all."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from paymux.deps import Deps
from paymux.services.stats import GROUPS, StatsScope, parse_instant, query
from paymux.services.stats_backfill import rebuild
from paymux.store.buckets import GRANULARITIES


def register(groups: Any) -> None:
    """Adds the `stats` group to the CLI's parser; its commands carry their own runner."""
    s = groups.add_parser("stats").add_subparsers(dest="command", required=True)
    backfill = s.add_parser("backfill", help="rebuild the buckets of days from the payments")
    backfill.add_argument("--from", dest="first", required=True, type=date.fromisoformat)
    backfill.add_argument("--to", dest="last", required=True, type=date.fromisoformat)
    backfill.add_argument("--merchant", default=None)
    backfill.set_defaults(runner=run_backfill)
    show = s.add_parser("show", help="the stats of a range, as GET /v1/stats answers")
    show.add_argument("--from", dest="first", required=True)
    show.add_argument("--to", dest="last", required=True)
    show.add_argument("--granularity", default="1d", choices=sorted(GRANULARITIES))
    show.add_argument("--group-by", default=None, choices=GROUPS)
    show.add_argument("--merchant", default=None)
    show.set_defaults(runner=run_show)


def run_backfill(d: Deps, args: argparse.Namespace) -> dict[str, Any]:
    """A refusal (a range the backfill does not take) is a PaymuxError: `main` prints it, exits 2."""
    return rebuild(d, args.first, args.last, args.merchant)


def run_show(d: Deps, args: argparse.Namespace) -> dict[str, Any]:
    scope = StatsScope.merchant(args.merchant) if args.merchant else StatsScope.all_merchants()
    first, last = parse_instant(args.first, "from"), parse_instant(args.last, "to")
    return query(d, scope, first, last, args.granularity, args.group_by)
