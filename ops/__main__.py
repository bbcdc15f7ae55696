"""python -m ops merchants create|rotate-secret|show — merchant apps and their signing secrets.

Runs with the operator's AWS credentials against a deployed stack: pass --stack to read the
table name from the CloudFormation outputs, or set PAYMUX_TABLE / PAYMUX_SECRETS_PREFIX (and
AWS_ENDPOINT_URL for the local stack). A new or rotated secret is printed once and stored only
in Secrets Manager."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from dataclasses import asdict, replace
from typing import Any

from paymux.clock import iso
from paymux.config import Settings
from paymux.deps import Deps
from paymux.store.merchants import MerchantApp

DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> int:
    unit = text[-1:]
    if unit not in DURATIONS or not text[:-1].isdigit():
        raise argparse.ArgumentTypeError("use a number and s, m, h or d, e.g. 24h")
    return int(text[:-1]) * DURATIONS[unit]


def new_secret() -> str:
    return "sk_" + secrets.token_urlsafe(32)


def settings_for(args: argparse.Namespace) -> Settings:
    env = dict(os.environ)
    if args.stack:
        import boto3  # noqa: PLC0415 - only for --stack

        outputs = boto3.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]["Outputs"]
        values = {o["OutputKey"]: o["OutputValue"] for o in outputs}
        env["PAYMUX_TABLE"] = values["TableName"]
        env.setdefault("PAYMUX_SECRETS_PREFIX", f"paymux/{args.stage}/")
    for name in ("PAYMUX_NOTIFY_QUEUE_URL", "PAYMUX_NOTIFY_DLQ_URL", "PAYMUX_BUCKET"):
        env.setdefault(name, "unused-by-ops")
    env.setdefault("PAYMUX_STAGE", args.stage)
    return Settings.from_env(env)


def run(args: argparse.Namespace) -> dict[str, Any]:
    d = Deps(settings=settings_for(args))
    if args.command == "create":
        app = MerchantApp(
            app_id=args.app_id, merchant_id=args.merchant_id, name=args.name, max_amount=args.max_amount
        )
        secret = new_secret()
        d.merchants.put_app(app, secret)
        return {"app": asdict(app), "secret": secret}
    if d.merchants.app(args.app_id) is None:
        raise SystemExit(f"no merchant app {args.app_id}")
    if args.command == "rotate-secret":
        secret = new_secret()
        expires = d.merchants.rotate_secret(args.app_id, secret, args.overlap)
        return {"app_id": args.app_id, "secret": secret, "previous_secret_expires_at": iso(expires)}
    app = d.merchants.app(args.app_id)
    keys = d.merchants.signing_keys(args.app_id)
    overlap = [iso(k.expires_at) for k in keys if k.expires_at]
    return {"app": asdict(replace(app)) if app else None, "valid_keys": len(keys), "overlap_until": overlap}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__)
    parser.add_argument("--stack", help="read resource names from this CloudFormation stack")
    parser.add_argument("--stage", default="dev")
    groups = parser.add_subparsers(dest="group", required=True)
    merchants = groups.add_parser("merchants").add_subparsers(dest="command", required=True)
    create = merchants.add_parser("create")
    create.add_argument("app_id")
    create.add_argument("--merchant-id", required=True)
    create.add_argument("--name", default="")
    create.add_argument(
        "--max-amount", type=int, default=MerchantApp.__dataclass_fields__["max_amount"].default
    )
    rotate = merchants.add_parser("rotate-secret")
    rotate.add_argument("app_id")
    rotate.add_argument(
        "--overlap", type=duration, default=duration("24h"), help="how long the old secret stays valid"
    )
    show = merchants.add_parser("show")
    show.add_argument("app_id")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    print(json.dumps(run(parse(argv)), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
