"""Channel accounts and bindings (operators): the lists, and enable, disable and weights, each
through the services the operators' IAM routes use (services.channel_admin, services.bindings:
validated whole, versioned, attributed to the user) and audited with the user's identity."""

from __future__ import annotations

from typing import Any

from paymux.console.audit import record_action
from paymux.console.identity import ConsoleUser
from paymux.deps import Deps
from paymux.errors import ValidationFailed
from paymux.services import bindings, channel_admin

CHANGEABLE = ("enabled", "weight", "version")


def _changes(body: dict[str, Any]) -> dict[str, Any]:
    """Only enabled and weight (and the version read) change from the console."""
    unknown = sorted(set(body) - set(CHANGEABLE))
    if unknown or not set(body) - {"version"}:
        raise ValidationFailed(
            "the console changes enabled and weight",
            details=[{"field": name, "message": "not changeable here"} for name in unknown]
            or [{"field": "body", "message": "enabled or weight is required"}],
        )
    if "enabled" in body and not isinstance(body["enabled"], bool):
        raise ValidationFailed(
            "enabled must be true or false", details=[{"field": "enabled", "message": "a boolean"}]
        )
    return dict(body)


def overview(d: Deps, user: ConsoleUser) -> dict[str, Any]:
    user.require_operator()
    return {"accounts": channel_admin.list_accounts(d), "bindings": bindings.list_bindings(d)}


def change_account(d: Deps, user: ConsoleUser, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
    user.require_operator()
    changes = _changes(body)
    result = channel_admin.update_account(d, account_id, changes, actor=user.actor)
    record_action(d, user, "channel_account.updated", account_id, changes)
    return result


def change_binding(d: Deps, user: ConsoleUser, binding_id: str, body: dict[str, Any]) -> dict[str, Any]:
    user.require_operator()
    changes = _changes(body)
    result = bindings.update_binding(d, binding_id, changes, actor=user.actor)
    record_action(d, user, "binding.updated", binding_id, changes)
    return result
