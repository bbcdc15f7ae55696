"""python -m ops — operator commands against a deployed stack (or the local stack).

    merchants create APP --merchant-id M [--name N] [--max-amount FEN]
    merchants rotate-secret APP [--overlap 24h]
    merchants show APP
    channels list
    channels add FILE.json|yaml
    channels update ACCOUNT [FILE] [--weight N] [--priority N] [--fee-rate R] [--enable]
    channels disable ACCOUNT
    channels refresh-certificates [ACCOUNT]
    refunds apply-abnormal REFUND_ID --to merchant-card|user-card [--bank-type T ...]

Runs with the operator's AWS credentials: pass --stack to read the table name from the
CloudFormation outputs, or set PAYMUX_TABLE / PAYMUX_SECRETS_PREFIX (and AWS_ENDPOINT_URL for
the local stack). Secrets are printed once and stored only in Secrets Manager."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from ops import channels, merchants, refunds
from paymux.config import Settings
from paymux.deps import Deps
from paymux.store.merchants import DEFAULT_MAX_AMOUNT

DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> int:
    unit = text[-1:]
    if unit not in DURATIONS or not text[:-1].isdigit():
        raise argparse.ArgumentTypeError("use a number and s, m, h or d, e.g. 24h")
    return int(text[:-1]) * DURATIONS[unit]


def settings_for(args: argparse.Namespace) -> Settings:
    env = dict(os.environ)
    if args.stack:
        import boto3  # noqa: PLC0415 - only for --stack

        outputs = boto3.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]["Outputs"]
        env["PAYMUX_TABLE"] = {o["OutputKey"]: o["OutputValue"] for o in outputs}["TableName"]
        env.setdefault("PAYMUX_SECRETS_PREFIX", f"paymux/{args.stage}/")
    for name in ("PAYMUX_NOTIFY_QUEUE_URL", "PAYMUX_NOTIFY_DLQ_URL", "PAYMUX_BUCKET"):
        env.setdefault(name, "unused-by-ops")
    env.setdefault("PAYMUX_STAGE", args.stage)
    return Settings.from_env(env)


def run(args: argparse.Namespace) -> Any:
    d = Deps(settings=settings_for(args))
    if getattr(args, "runner", None):  # groups that register their own commands (ops/refunds.py)
        return args.runner(d, args)
    updates = (
        {"weight": args.weight, "priority": args.priority, "fee_rate": args.fee_rate}
        if args.group == "channels" and args.command == "update"
        else {}
    )
    commands: dict[tuple[str, str], Callable[[], Any]] = {
        ("merchants", "create"): lambda: merchants.create(
            d, args.app_id, args.merchant_id, args.name, args.max_amount
        ),
        ("merchants", "rotate-secret"): lambda: merchants.rotate_secret(d, args.app_id, args.overlap),
        ("merchants", "show"): lambda: merchants.show(d, args.app_id),
        ("channels", "list"): lambda: channels.list_accounts(d),
        ("channels", "add"): lambda: channels.add(d, args.file),
        ("channels", "disable"): lambda: channels.disable(d, args.account_id),
        ("channels", "refresh-certificates"): lambda: channels.refresh_certificates(d, args.account_id),
        ("channels", "update"): lambda: channels.update(
            d, args.account_id, {**updates, "enabled": True if args.enable else None}, args.file
        ),
    }
    return commands[(args.group, args.command)]()


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ops", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stack", help="read resource names from this CloudFormation stack")
    parser.add_argument("--stage", default="dev")
    groups = parser.add_subparsers(dest="group", required=True)
    m = groups.add_parser("merchants").add_subparsers(dest="command", required=True)
    create = m.add_parser("create")
    create.add_argument("app_id")
    create.add_argument("--merchant-id", required=True)
    create.add_argument("--name", default="")
    create.add_argument("--max-amount", type=int, default=DEFAULT_MAX_AMOUNT)
    rotate = m.add_parser("rotate-secret")
    rotate.add_argument("app_id")
    rotate.add_argument(
        "--overlap", type=duration, default=duration("24h"), help="how long the old secret stays valid"
    )
    m.add_parser("show").add_argument("app_id")
    c = groups.add_parser("channels").add_subparsers(dest="command", required=True)
    c.add_parser("list")
    c.add_parser("add").add_argument("file")
    upd = c.add_parser("update")
    upd.add_argument("account_id")
    upd.add_argument("file", nargs="?")
    upd.add_argument("--weight", type=int)
    upd.add_argument("--priority", type=int)
    upd.add_argument("--fee-rate")
    upd.add_argument("--enable", action="store_true")
    c.add_parser("disable").add_argument("account_id")
    refresh = c.add_parser("refresh-certificates", help="download WeChat Pay platform certificates now")
    refresh.add_argument("account_id", nargs="?", help="one account (default: every enabled WeChat Pay one)")
    refunds.register(groups)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    print(json.dumps(run(parse(argv)), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
