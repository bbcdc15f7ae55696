"""`python -m ops merchants …`: merchant apps and their signing secrets."""

from __future__ import annotations

import argparse
import secrets
from dataclasses import asdict
from typing import Any

from paymux.clock import iso
from paymux.deps import Deps
from paymux.domain.payer_limits import PAYER_KEY_KINDS, PayerLimits
from paymux.store.merchants import MerchantApp


def new_secret() -> str:
    return "sk_" + secrets.token_urlsafe(32)


def create(d: Deps, app_id: str, merchant_id: str, name: str, max_amount: int) -> dict[str, Any]:
    app = MerchantApp(app_id=app_id, merchant_id=merchant_id, name=name, max_amount=max_amount)
    secret = new_secret()
    d.merchants.put_app(app, secret, create=True)  # Conflict if the app id exists: nothing written
    return {"app": asdict(app), "secret": secret}


def rotate_secret(d: Deps, app_id: str, overlap: int) -> dict[str, Any]:
    _require(d, app_id)
    secret = new_secret()
    expires = d.merchants.rotate_secret(app_id, secret, overlap)
    return {"app_id": app_id, "secret": secret, "previous_secret_expires_at": iso(expires)}


def show(d: Deps, app_id: str) -> dict[str, Any]:
    app = _require(d, app_id)
    keys = d.merchants.signing_keys(app_id)
    overlap = [iso(k.expires_at) for k in keys if k.expires_at]
    return {"app": asdict(app), "valid_keys": len(keys), "overlap_until": overlap}


def add_payer_limits_parser(commands: Any) -> None:
    limits = commands.add_parser("payer-limits", help="set (or --off) the app's per-payer daily limits")
    limits.add_argument("app_id")
    limits.add_argument(
        "--key", action="append", choices=PAYER_KEY_KINDS, help="payer identifier; repeat: first present wins"
    )
    limits.add_argument("--daily-count", type=int, help="payments per payer and day")
    limits.add_argument("--daily-amount", type=int, help="fen per payer and day")
    limits.add_argument("--off", action="store_true", help="remove the limits")


def payer_limits(d: Deps, args: argparse.Namespace) -> dict[str, Any]:
    """`merchants payer-limits APP --key openid [--key client_ip] [--daily-count N]
    [--daily-amount FEN]`, or `--off`; validated before anything is written."""
    _require(d, args.app_id)
    limits = None
    if not args.off:
        raw = {"key": args.key or [], "daily_count": args.daily_count, "daily_amount": args.daily_amount}
        try:
            limits = PayerLimits.parse(raw)
        except ValueError as exc:
            raise SystemExit(str(exc)) from exc
    d.merchants.set_payer_limits(args.app_id, limits)
    return {"app_id": args.app_id, "payer_limits": limits.to_config() if limits else None}


def _require(d: Deps, app_id: str) -> MerchantApp:
    app = d.merchants.app(app_id)
    if app is None:
        raise SystemExit(f"no merchant app {app_id}")
    return app
