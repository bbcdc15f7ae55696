"""`python -m ops refunds …`: operators' refund commands.

    refunds apply-abnormal REFUND_ID --to merchant-card
    refunds apply-abnormal REFUND_ID --to user-card --bank-type ICBC_DEBIT --bank-account N --real-name NAME
    refunds index-days [--segments N] [--dry-run]

An ABNORMAL refund (WeChat Pay could not return the money to the payer's account) goes again,
to the merchant's bank account or to another debit card of the payer; it is PROCESSING again and
settles by its callback or the sweeper. The card number and name are sent encrypted to WeChat
Pay and never stored or printed.

`index-days` is the one-off migration that gives refunds that succeeded before the
refunds-by-account-and-day index existed their entry (services/refund_day_backfill.py): safe
beside live traffic, and a second run writes nothing; it prints its counts."""

from __future__ import annotations

import argparse
from typing import Any

from paymux.deps import Deps
from paymux.errors import PaymuxError
from paymux.services.abnormal_refunds import DESTINATIONS, apply_abnormal_refund
from paymux.services.refund_day_backfill import DEFAULT_SEGMENTS, backfill_refund_days


def register(groups: Any) -> None:
    """Adds the `refunds` group to the CLI's parser; its commands carry their own runner."""
    r = groups.add_parser("refunds").add_subparsers(dest="command", required=True)
    apply = r.add_parser("apply-abnormal", help="re-issue an ABNORMAL WeChat Pay refund")
    apply.add_argument("refund_id")
    apply.add_argument("--to", required=True, choices=sorted(DESTINATIONS))
    apply.add_argument("--bank-type", default="", help="user-card: e.g. ICBC_DEBIT")
    apply.add_argument("--bank-account", default="", help="user-card: the debit card number")
    apply.add_argument("--real-name", default="", help="user-card: the card holder's name")
    apply.set_defaults(runner=apply_abnormal)
    index = r.add_parser("index-days", help="index refunds that succeeded before the refund-day index")
    index.add_argument("--segments", type=int, default=DEFAULT_SEGMENTS, help="parallel Scan segments")
    index.add_argument("--dry-run", action="store_true", help="count what would be written, write nothing")
    index.set_defaults(runner=index_days)


def index_days(d: Deps, args: argparse.Namespace) -> dict[str, Any]:
    """A refusal (a segment count out of range) is a PaymuxError: `main` prints it, exits 2."""
    return backfill_refund_days(d, args.segments, args.dry_run)


def apply_abnormal(d: Deps, args: argparse.Namespace) -> dict[str, Any]:
    try:
        refund = apply_abnormal_refund(
            d, args.refund_id, args.to, args.bank_type, args.bank_account, args.real_name
        )
    except PaymuxError as exc:
        lines = [exc.message] + [f"  {e.get('field', '')}: {e.get('message', '')}" for e in exc.details]
        raise SystemExit("\n".join(lines)) from exc
    return refund.to_public()
