"""`python -m ops merchants …`: merchant apps and their signing secrets."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from typing import Any

from paymux.clock import iso
from paymux.deps import Deps
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


def _require(d: Deps, app_id: str) -> MerchantApp:
    app = d.merchants.app(app_id)
    if app is None:
        raise SystemExit(f"no merchant app {app_id}")
    return app
