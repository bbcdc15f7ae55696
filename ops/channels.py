"""`python -m ops channels …`: channel accounts as data. Changes reach warm containers within
60 s (their configuration cache), with no deploy.

Validation, merging and auditing are paymux.services.channel_admin's, shared with the
operators' endpoints (/v1/admin/channel-accounts); here files are read. Typed errors reach
ops.__main__, which prints them (one line per field problem, no values) and exits 2. Writes
are attributed to the operator's AWS identity."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

from paymux.deps import Deps
from paymux.errors import Conflict
from paymux.services import channel_admin


def load_document(path: str) -> dict[str, Any]:
    """JSON or YAML (by extension): the account's fields, plus `credentials` (inline) or
    `credentials_file` (a JSON file, kept out of the account file)."""
    text = Path(path).read_text()
    if path.endswith((".yaml", ".yml")):
        import yaml  # noqa: PLC0415 - only for YAML input

        doc: Any = yaml.safe_load(text)
    else:
        doc = json.loads(text)
    if not isinstance(doc, dict):
        raise SystemExit(f"{path}: expected the account's fields (a mapping)")
    if "credentials_file" in doc:
        doc["credentials"] = json.loads(Path(doc.pop("credentials_file")).read_text())
    return doc


def operator() -> str:
    """Who is writing: the caller's AWS identity (as the endpoints record the IAM caller), or
    the local user when it cannot be had."""
    try:
        import boto3  # noqa: PLC0415

        return str(boto3.client("sts").get_caller_identity()["Arn"])
    except Exception:
        return f"ops-cli:{getpass.getuser()}"


def list_accounts(d: Deps) -> list[dict[str, Any]]:
    return channel_admin.list_accounts(d)


def add(d: Deps, path: str) -> dict[str, Any]:
    doc = load_document(path)
    if "credentials" not in doc:
        raise SystemExit("a new account needs credentials (or credentials_file)")
    try:
        return channel_admin.create_account(d, doc, actor=operator())
    except Conflict as exc:
        if exc.code == "channel_account_exists":
            exc.message = f"account {doc.get('account_id')} exists: use `update`"
        raise


def update(d: Deps, account_id: str, changes: dict[str, Any], path: str | None = None) -> dict[str, Any]:
    """`changes` (None values: not given) over the fields of the file at `path`, if any; its
    credentials, when present, replace the current ones."""
    credentials = None
    if path:
        doc = load_document(path)
        credentials = doc.pop("credentials", None)
        changes = {**doc, **{k: v for k, v in changes.items() if v is not None}}
    changes = {k: v for k, v in changes.items() if v is not None}
    return channel_admin.update_account(d, account_id, changes, credentials, actor=operator())


def disable(d: Deps, account_id: str) -> dict[str, Any]:
    return channel_admin.disable_account(d, account_id, actor=operator())


def refresh_certificates(d: Deps, account_id: str | None = None) -> list[dict[str, Any]]:
    """Download WeChat Pay platform certificates now, as the 12-hourly schedule does: new ones
    stored, expired ones dropped; a report per account (a failed account does not stop the others)."""
    from paymux.services.certificates import refresh_platform_certificates  # noqa: PLC0415

    return [r.to_dict() for r in refresh_platform_certificates(d, account_id)]
