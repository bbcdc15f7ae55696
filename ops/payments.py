"""`python -m ops payments …`: payment maintenance.

    payments index-days [--segments 4]

`index-days` gives every payment created before the console's merchant day search existed its
entry in that index (store.merchant_days: GSI3 `MDAY#<merchant>#<day>` on the payment's
merchant-order-number claim item): a Scan of the table in parallel segments, each claim item
without an entry updated on condition that it still has none. Idempotent: a second run finds
nothing to do. Payments created since carry the entry from their creation."""

from __future__ import annotations

import argparse
from typing import Any

from paymux.deps import Deps
from paymux.store.merchant_days import MerchantDays


def register(groups: Any) -> None:
    """Adds the `payments` group to the CLI's parser; its commands carry their own runner."""
    p = groups.add_parser("payments").add_subparsers(dest="command", required=True)
    index = p.add_parser("index-days", help="index older payments for the merchant day search")
    index.add_argument("--segments", type=segments, default=4, help="parallel Scan segments (1-64)")
    index.set_defaults(runner=index_days)


def segments(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError("a number of segments from 1 to 64")
    return int(text)


def index_days(d: Deps, args: argparse.Namespace) -> dict[str, int]:
    """Claims scanned without an entry, how many were indexed, and how many skipped (indexed
    meanwhile, or a claim whose payment is gone)."""

    def created_at_of(payment_id: str) -> float | None:
        payment = d.payments.get(payment_id)
        return payment.created_at if payment is not None else None

    return MerchantDays(d.dynamodb, d.settings.table).index_existing(args.segments, created_at_of)
