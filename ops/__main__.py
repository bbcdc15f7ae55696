"""python -m ops — operator commands against a deployed stack (or the local stack).

    python -m ops [--stack NAME [--stage STAGE] | --local] COMMAND

    merchants create APP --merchant-id M [--name N] [--max-amount FEN]
    merchants rotate-secret APP [--overlap 24h]
    merchants show APP
    merchants payer-limits APP --key KIND [--key KIND] [--daily-count N] [--daily-amount FEN] | --off
    merchants bind MERCHANT --account ACCOUNT (--sub-mchid ID [--sub-appid ID] | --alipay-auth-code CODE)
                   [--products P,P] [--weight N] [--priority N] [--binding-id ID]
    merchants bindings [MERCHANT] [--account ACCOUNT]
    merchants unbind BINDING_ID
    channels list
    channels add FILE.json|yaml
    channels update ACCOUNT [FILE] [--weight N] [--priority N] [--fee-rate R] [--enable] [--version V]
    channels disable ACCOUNT
    channels refresh-certificates [ACCOUNT]
    refunds apply-abnormal REFUND_ID --to merchant-card|user-card [--bank-type T ...]
    refunds index-days [--segments N] [--dry-run]
    payments index-days [--segments N]
    reconcile run [--date YYYY-MM-DD]
    reconcile show --date YYYY-MM-DD
    reconcile fetch --date YYYY-MM-DD --format summary|csv|xlsx|txt|html [--out FILE]
    stats backfill --from YYYY-MM-DD --to YYYY-MM-DD [--merchant M]
    stats show --from DATE --to DATE [--granularity G] [--group-by method|provider|hour] [--merchant M]

Where: --stack NAME, a deployed stack (its outputs by logical name through CloudFormation's
DescribeStacks, its stage from its Stage parameter; the operator's AWS credentials); --local,
the stack `make dev` runs (its state file, local/.state/stack.json or $PAYMUX_STACK_STATE);
or neither, the PAYMUX_* variables of the environment. Secrets are printed once and stored
only in Secrets Manager. A refused command (an existing app id, a stale version, a stack that
cannot be read) prints why and exits with code 2."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from local.state import state_file
from ops import bindings, channels, merchants, payments, reconcile, refunds, stack, stats
from ops.stack import Stack
from paymux.config import Settings
from paymux.deps import Deps
from paymux.errors import PaymuxError
from paymux.observability import logs_to_stderr
from paymux.store.merchants import DEFAULT_MAX_AMOUNT

DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> int:
    unit = text[-1:]
    if unit not in DURATIONS or not text[:-1].isdigit():
        raise argparse.ArgumentTypeError("use a number and s, m, h or d, e.g. 24h")
    return int(text[:-1]) * DURATIONS[unit]


def target(args: argparse.Namespace) -> Stack | None:
    """The stack named on the command line (None: the environment's PAYMUX_* variables)."""
    if args.local:
        return stack.local(state_file())
    if args.stack:
        import boto3  # noqa: PLC0415 - only for --stack

        return stack.deployed(args.stack, boto3.client("cloudformation"))
    return None


def settings_for(args: argparse.Namespace, where: Stack | None) -> Settings:
    if where is not None:
        return Settings.from_env(where.environment(args.stage))
    env = dict(os.environ)
    for name in ("PAYMUX_NOTIFY_QUEUE_URL", "PAYMUX_NOTIFY_DLQ_URL", "PAYMUX_BUCKET"):
        env.setdefault(name, "unused-by-ops")
    env.setdefault("PAYMUX_STAGE", args.stage or "dev")
    env.setdefault("PAYMUX_SECRETS_PREFIX", f"paymux/{env['PAYMUX_STAGE']}/")
    return Settings.from_env(env)


def reach(where: Stack | None) -> None:
    """AWS settings of the target (the local stack's moto endpoint), for this process."""
    for name, value in (where.aws if where else {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def run(args: argparse.Namespace) -> Any:
    where = target(args)
    reach(where)
    d = Deps(settings=settings_for(args, where))
    if getattr(args, "runner", None):  # groups that register their own commands (ops/refunds.py)
        return args.runner(d, args)
    updates = (
        {"weight": args.weight, "priority": args.priority, "fee_rate": args.fee_rate, "version": args.version}
        if args.group == "channels" and args.command == "update"
        else {}
    )
    commands: dict[tuple[str, str], Callable[[], Any]] = {
        ("merchants", "create"): lambda: merchants.create(
            d, args.app_id, args.merchant_id, args.name, args.max_amount
        ),
        ("merchants", "rotate-secret"): lambda: merchants.rotate_secret(d, args.app_id, args.overlap),
        ("merchants", "show"): lambda: merchants.show(d, args.app_id),
        ("merchants", "payer-limits"): lambda: merchants.payer_limits(d, args),
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
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--stack", help="a deployed stack: resource names from its CloudFormation outputs")
    where.add_argument("--local", action="store_true", help="the local stack that `make dev` runs")
    parser.add_argument("--stage", help="the stack's stage (checked against it); default dev")
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
    merchants.add_payer_limits_parser(m)
    bindings.register(m)
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
    upd.add_argument("--version", type=int, help="the version it was read at: refused if it changed since")
    c.add_parser("disable").add_argument("account_id")
    refresh = c.add_parser("refresh-certificates", help="download WeChat Pay platform certificates now")
    refresh.add_argument("account_id", nargs="?", help="one account (default: every enabled WeChat Pay one)")
    refunds.register(groups)
    payments.register(groups)
    stats.register(groups)
    reconcile.register(groups)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    try:
        with logs_to_stderr():  # stdout is the command's JSON answer
            result = run(parse(argv))
    except PaymuxError as exc:  # refused: say why (one line per field problem, no values)
        lines = [f"python -m ops: {exc.message} ({exc.code})"]
        lines += [f"  {d.get('field', '')}: {d.get('message', '')}" for d in exc.details]
        print("\n".join(lines), file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
