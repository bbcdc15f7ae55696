"""`python -m ops channels …`: channel accounts as data. Changes reach warm containers within
60 s (their configuration cache), with no deploy."""

from __future__ import annotations

import json
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any

from paymux.channels.base import ChannelAccount
from paymux.channels.registry import PROVIDERS
from paymux.deps import Deps

_FIELDS = {f.name for f in fields(ChannelAccount)}


def load_document(path: str) -> dict[str, Any]:
    """JSON or YAML (by extension): the account's fields, plus `credentials` (inline) or
    `credentials_file` (a JSON file, kept out of the account file)."""
    text = Path(path).read_text()
    if path.endswith((".yaml", ".yml")):
        import yaml  # noqa: PLC0415 - only for YAML input

        doc: dict[str, Any] = yaml.safe_load(text)
    else:
        doc = json.loads(text)
    if "credentials_file" in doc:
        doc["credentials"] = json.loads(Path(doc.pop("credentials_file")).read_text())
    return doc


def account_from(doc: dict[str, Any]) -> ChannelAccount:
    unknown = set(doc) - _FIELDS - {"credentials"}
    if unknown:
        raise SystemExit(f"unknown account fields: {', '.join(sorted(unknown))}")
    if doc.get("provider") not in PROVIDERS:
        raise SystemExit(f"provider must be one of {', '.join(sorted(PROVIDERS))}")
    values = {k: v for k, v in doc.items() if k in _FIELDS}
    values["products"] = tuple(values.get("products", ()))
    values["merchants"] = tuple(values.get("merchants", ()))
    return ChannelAccount(**values)


def public(account: ChannelAccount) -> dict[str, Any]:
    return asdict(account)  # no credentials: those stay in Secrets Manager


def list_accounts(d: Deps) -> list[dict[str, Any]]:
    return [public(a) for a in sorted(d.channel_config.accounts(), key=lambda a: (a.priority, a.account_id))]


def add(d: Deps, path: str) -> dict[str, Any]:
    doc = load_document(path)
    account = account_from(doc)
    if d.channel_config.account(account.account_id) is not None:
        raise SystemExit(f"account {account.account_id} exists: use `update`")
    if "credentials" not in doc:
        raise SystemExit("a new account needs credentials (or credentials_file)")
    d.channel_config.put_account(account, doc["credentials"])
    return public(account)


def update(d: Deps, account_id: str, changes: dict[str, Any], path: str | None = None) -> dict[str, Any]:
    current = d.channel_config.account(account_id)
    if current is None:
        raise SystemExit(f"no channel account {account_id}")
    credentials = None
    if path:
        doc = load_document(path)
        credentials = doc.pop("credentials", None)
        changes = {**doc, **changes}
    changes = {k: v for k, v in changes.items() if v is not None}
    if changes.get("account_id", account_id) != account_id:
        raise SystemExit("account_id cannot change")
    for key in ("products", "merchants"):
        if key in changes:
            changes[key] = tuple(changes[key])
    updated = replace(current, **changes)
    d.channel_config.put_account(updated, credentials)
    return public(updated)
