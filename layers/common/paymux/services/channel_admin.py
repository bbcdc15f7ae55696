"""Channel accounts as data, administered: list, get, create, update, disable. Shared by the
operators' endpoints (/v1/admin/channel-accounts, IAM-authorized) and `python -m ops channels`.

Every write is validated completely before anything is written, attributed (`updated_by`,
`updated_at` on the item) and logged as one audit line. Credentials go to Secrets Manager only:
they are never returned, logged or put in an error. Containers pick a change up within
CACHE_SECONDS (their configuration cache); the writing container at once."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, replace
from typing import Any

from paymux.channels.base import ChannelAccount
from paymux.clock import iso, system_clock
from paymux.deps import Deps
from paymux.errors import Conflict, NotFound, OwnershipRefused, ValidationFailed
from paymux.services.routing import account_problem
from paymux.store.channels import AccountRecord, version_conflict

log = logging.getLogger("paymux")

IMMUTABLE = ("account_id", "provider")  # the callback URL and the secret are named after them


def public(record: AccountRecord) -> dict[str, Any]:
    """The channel_account resource: the configuration and its last change, no credentials."""
    fields = asdict(record.account)
    fields["products"] = list(record.account.products)
    problem = account_problem(record.account)
    return {
        "object": "channel_account",
        **fields,
        # why an account stored as is takes no payment (e.g. `account_owner_required`)
        "problem": {"code": problem[0], "message": problem[1]} if problem else None,
        "updated_at": iso(record.updated_at) if record.updated_at is not None else None,
        "updated_by": record.updated_by or None,
        "version": record.version,
    }


def list_accounts(d: Deps) -> list[dict[str, Any]]:
    """Every account, in routing order (priority, then id); read uncached."""
    records = sorted(d.channel_config.records(), key=lambda r: (r.account.priority, r.account.account_id))
    return [public(r) for r in records]


def _record(d: Deps, account_id: str) -> AccountRecord:
    record = d.channel_config.record(account_id)
    if record is None:
        raise NotFound(f"no channel account {account_id}")
    return record


def get_account(d: Deps, account_id: str) -> dict[str, Any]:
    return public(_record(d, account_id))


def split_credentials(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A request body's account fields and its credentials (None: keep the current ones)."""
    changes = dict(body)
    if "credentials" in changes and changes["credentials"] is None:
        raise _invalid("credentials", "may not be null; leave it out to keep the current credentials")
    return changes, changes.pop("credentials", None)


def create_account(d: Deps, doc: dict[str, Any], actor: str = "") -> dict[str, Any]:
    """A new account with its credentials (required). ValidationFailed (nothing written) or
    Conflict `channel_account_exists`."""
    from paymux.api.admin_models import CreateChannelAccountRequest, validate  # noqa: PLC0415 - write path

    request = validate(CreateChannelAccountRequest, doc)
    account = request.account()
    check_ownership(account)
    _check_credentials(account, request.credentials)
    if d.channel_config.record(account.account_id) is not None:
        raise Conflict(
            "channel_account_exists",
            f"channel account {account.account_id} exists: change it with PATCH (ops: `update`)",
        )
    record = d.channel_config.put_account(account, request.credentials, updated_by=actor, create=True)
    _audit("channel_account.created", account.account_id, actor, _diff(None, account), True)
    return public(record)


def update_account(
    d: Deps,
    account_id: str,
    changes: dict[str, Any],
    credentials: dict[str, Any] | None = None,
    actor: str = "",
) -> dict[str, Any]:
    """Changes some fields (and replaces the credentials when given). NotFound, or
    ValidationFailed with nothing written. No change at all writes nothing.

    The write is conditional on the version the change was based on: `changes["version"]`
    when the caller gives it (the version it read), else the version read here. Conflict
    `version_conflict` (409) when the account changed meanwhile: nothing is written, and no
    concurrent update is undone."""
    changes = dict(changes)
    expected = _expected_version(changes.pop("version", None))
    current = _record(d, account_id)
    if expected is not None and expected != current.version:
        raise version_conflict(account_id, expected)
    for name in IMMUTABLE:
        if name in changes and changes[name] != getattr(current.account, name):
            raise _invalid(name, f"{name} cannot change; add a new account instead")
    if not changes or changes == {"enabled": False}:
        # Disabling (or only replacing credentials) never depends on the other fields being
        # valid: an account stored before validation existed can always be switched off.
        updated = replace(current.account, enabled=False) if changes else current.account
    else:
        updated = _merged(current.account, changes)
    if credentials is not None:
        credentials = _keep_verification_keys(d, updated, credentials)
        _check_credentials(updated, credentials)
    diff = _diff(current.account, updated)
    if not diff and credentials is None:
        return public(current)
    record = d.channel_config.put_account(
        updated, credentials, updated_by=actor, expected_version=current.version
    )
    _audit("channel_account.updated", account_id, actor, diff, credentials is not None)
    return public(record)


def _expected_version(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _invalid("version", "must be the account's version, an integer from 0")
    return value


def disable_account(d: Deps, account_id: str, actor: str = "") -> dict[str, Any]:
    """No new payments are routed to it; its payments' callbacks, queries and refunds still work."""
    return update_account(d, account_id, {"enabled": False}, actor=actor)


_WECHAT_VERIFICATION_KEYS = ("platform_certificates", "wechatpay_public_key")


def _keep_verification_keys(d: Deps, account: ChannelAccount, credentials: dict[str, Any]) -> dict[str, Any]:
    """Replacing a WeChat Pay account's merchant key must not drop the keys that verify WeChat's
    answers and callbacks: those the request does not name are carried over from the stored
    credentials (send them explicitly, even empty, to replace them)."""
    if account.provider != "wechat" or all(k in credentials for k in _WECHAT_VERIFICATION_KEYS):
        return credentials
    stored = d.channel_config.credentials(account.account_id)
    kept = {k: stored[k] for k in _WECHAT_VERIFICATION_KEYS if k not in credentials and k in stored}
    return {**credentials, **kept}


def _merged(current: ChannelAccount, changes: dict[str, Any]) -> ChannelAccount:
    """`changes` over `current`, validated as a whole; a problem with a stored value the
    request did not touch says so."""
    from paymux.api.admin_models import ChannelAccountFields, validate  # noqa: PLC0415 - write path

    try:
        account = validate(ChannelAccountFields, {**_fields(current), **changes}).account()
    except ValidationFailed as exc:
        for detail in exc.details:
            if str(detail["field"]).split(".")[0] not in changes:
                detail["message"] = f"the stored value is invalid ({detail['message']}); send a valid one"
        raise
    check_ownership(account)
    return account


def check_ownership(account: ChannelAccount) -> None:
    """A direct account belongs to exactly one merchant; a provider account to none (merchants
    use it through bindings). OwnershipRefused (422 `account_owner_required` …), nothing written."""
    problem = account_problem(account)
    if problem is not None:
        field = "mode" if problem[0] == "account_mode_invalid" else "owner"
        raise OwnershipRefused(problem[0], problem[1], details=[{"field": field, "message": problem[1]}])


def _fields(account: ChannelAccount) -> dict[str, Any]:
    fields = asdict(account)
    fields["products"] = list(account.products)
    fields["fee_rate"] = str(account.fee_rate)  # items written as a number before validation
    return fields


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed("the channel account is invalid", details=[{"field": field, "message": message}])


def _check_credentials(account: ChannelAccount, credentials: Any) -> None:
    """The provider's client is built from them, as a payment would (no request is sent), so
    a missing key or an unreadable PEM is refused before anything is stored. Messages name a
    missing key at most, never a value."""
    from paymux.channels.registry import build_channel  # noqa: PLC0415 - loads the provider

    if not isinstance(credentials, dict) or not credentials:
        raise _invalid("credentials", "must be an object with the provider's keys")
    try:
        build_channel(account, credentials, _NoHttp(), system_clock)
    except KeyError as exc:
        key = str(exc.args[0])[:64] if exc.args else "a key"
        raise _invalid("credentials", f"missing {key}") from None
    except Exception as exc:  # any failure to load them: only its type is safe to show
        message = f"not usable by the {account.provider} channel ({type(exc).__name__})"
        raise _invalid("credentials", message) from None


class _NoHttp:
    """The HTTP client handed to a channel built only to check its credentials."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("credentials check: no requests")


def _diff(before: ChannelAccount | None, after: ChannelAccount) -> dict[str, Any]:
    """{field: [before, after]} of what changed (`after` alone on a creation); no credentials."""
    old = _fields(before) if before else {}
    new = _fields(after)
    if before is None:
        return new
    return {k: [old[k], v] for k, v in new.items() if old[k] != v}


def _audit(event: str, account_id: str, actor: str, changes: dict[str, Any], credentials: bool) -> None:
    line = {
        "audit": event,
        "account_id": account_id,
        "actor": actor or "unknown",
        "changes": changes,
        "credentials_replaced": credentials,
    }
    log.info("%s", json.dumps(line, ensure_ascii=False, sort_keys=True))
