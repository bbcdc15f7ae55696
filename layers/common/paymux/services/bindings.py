"""Bindings administered: list, get, create, update, disable. Shared by the operators'
endpoints (/v1/admin/bindings, IAM-authorized) and `python -m ops merchants bind …`.

A binding lets one merchant use one of paymux's provider-mode accounts as one sub-merchant
(whose own account at the channel receives the money). Every write is validated completely
before anything is written, attributed (`created_by`/`updated_by` and their times on the item)
and logged as one audit line; tokens go to Secrets Manager only and are never returned or
logged. Containers pick a change up within CACHE_SECONDS (60 s); the writing container at once.

Secrets an operator sets (SECRET_FIELDS: a WeChat Pay binding's `oauth_app_secret`, the AppSecret
of its `sub_appid` official account for the JSAPI checkout's OAuth) are merged into the
binding's Secrets Manager document; the resource shows them masked (MASK), never their value."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict, replace
from typing import Any

from paymux.clock import iso
from paymux.deps import Deps
from paymux.errors import NotFound, OwnershipRefused, ValidationFailed
from paymux.store.bindings import Binding

log = logging.getLogger("paymux")

IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
CHANGEABLE = ("enabled", "weight", "priority", "products", "sub_appid")
CREATE_FIELDS = ("binding_id", "merchant_id", "account_id", "sub_mchid", *CHANGEABLE)
# WeChat's AppSecret is 32 letters and digits; a little room either way, nothing else
SECRET_FIELDS = {"oauth_app_secret": re.compile(r"[0-9A-Za-z]{16,64}")}
MASK = "********"


def public(binding: Binding) -> dict[str, Any]:
    """The binding resource: its configuration and its changes, no tokens."""
    fields = asdict(binding)
    fields["products"] = list(binding.products)
    for name in ("created_at", "updated_at"):
        fields[name] = iso(fields[name]) if fields[name] is not None else None
    for name in ("created_by", "updated_by"):
        fields[name] = fields[name] or None
    for name in SECRET_FIELDS:
        fields[name] = MASK if name in binding.secret_fields else None
    fields.pop("secret_fields")
    return {"object": "binding", **fields}


def list_bindings(d: Deps, merchant_id: str = "", account_id: str = "") -> list[dict[str, Any]]:
    """Every binding (of one merchant or account when given), by merchant then priority; uncached."""
    found = [
        b
        for b in d.bindings.records()
        if (not merchant_id or b.merchant_id == merchant_id)
        and (not account_id or b.account_id == account_id)
    ]
    return [public(b) for b in sorted(found, key=lambda b: (b.merchant_id, b.priority, b.binding_id))]


def _record(d: Deps, binding_id: str) -> Binding:
    binding = d.bindings.record(binding_id) if IDENTIFIER.fullmatch(binding_id or "") else None
    if binding is None:
        raise NotFound(f"no binding {binding_id}")
    return binding


def get_binding(d: Deps, binding_id: str) -> dict[str, Any]:
    return public(_record(d, binding_id))


def default_binding_id(merchant_id: str, account_id: str, sub_mchid: str) -> str:
    """The same merchant, account and sub-merchant always name the same binding, so a repeated
    `bind` is refused as `binding_exists` instead of adding a second one."""
    digest = hashlib.sha256(f"{merchant_id}\n{account_id}\n{sub_mchid}".encode()).hexdigest()
    return f"bnd_{digest[:20]}"


def create_binding(
    d: Deps, doc: dict[str, Any], actor: str = "", secret: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A new binding of `doc` (merchant_id, account_id, sub_mchid; optionally sub_appid,
    products, weight, priority, enabled, binding_id), with its tokens in `secret`. 422
    (`validation_failed`, `binding_account_not_provider`) or 409 (`binding_exists`,
    `sub_merchant_bound`): nothing written."""
    stored = d.bindings.create(new_binding(d, doc), actor, secret)
    audit("binding.created", stored, actor, _fields(stored), secret is not None)
    return public(stored)


def new_binding(d: Deps, doc: Any) -> Binding:
    """The binding `doc` describes, every field checked (ValidationFailed), not yet stored."""
    if not isinstance(doc, dict):
        raise invalid("body", "must be a JSON object")
    unknown = sorted(set(doc) - set(CREATE_FIELDS))
    if unknown:
        raise ValidationFailed(
            "the binding is invalid", details=[_detail(k, "unknown field") for k in unknown]
        )
    for name in ("merchant_id", "account_id", "sub_mchid"):
        _identifier(doc, name)
    binding_id = doc.get("binding_id") or default_binding_id(
        doc["merchant_id"], doc["account_id"], doc["sub_mchid"]
    )
    _identifier({"binding_id": binding_id}, "binding_id")
    binding = Binding(binding_id, doc["merchant_id"], doc["account_id"], doc["sub_mchid"])
    return _checked(d, binding, {k: doc[k] for k in CHANGEABLE if k in doc})


def update_binding(d: Deps, binding_id: str, changes: dict[str, Any], actor: str = "") -> dict[str, Any]:
    """Changes some of enabled, weight, priority, products, sub_appid, and sets the secret
    fields (SECRET_FIELDS) (`version`: the one it was read at). merchant_id, account_id and
    sub_mchid never change: bind again instead."""
    if not isinstance(changes, dict):
        raise invalid("body", "must be a JSON object")
    changes = dict(changes)
    current = _record(d, binding_id)
    expected = changes.pop("version", current.version)
    if not isinstance(expected, int) or isinstance(expected, bool):
        raise invalid("version", "must be the binding's version, an integer")
    secrets = _secrets(d, current, {k: changes.pop(k) for k in list(changes) if k in SECRET_FIELDS})
    for name in sorted(set(changes) - set(CHANGEABLE)):
        message = "cannot change; bind again" if name in CREATE_FIELDS else "unknown field"
        raise invalid(name, message)
    updated = replace(_checked(d, current, changes), version=expected)
    diff: dict[str, Any] = {
        k: [v, _fields(updated)[k]] for k, v in _fields(current).items() if _fields(updated)[k] != v
    }
    if not diff and not secrets:
        return public(current)
    doc = None
    if secrets:  # merged into what the secret holds (an Alipay token, other fields) and named
        doc = {**(d.bindings.read_secret(binding_id) if current.has_secret else {}), **secrets}
        names = tuple(sorted({*updated.secret_fields, *secrets}))
        updated = replace(updated, secret_fields=names)
        diff |= {name: "replaced" for name in sorted(secrets)}
    stored = d.bindings.update(updated, actor, secret=doc)
    audit("binding.updated", stored, actor, diff, doc is not None)
    return public(stored)


def _secrets(d: Deps, binding: Binding, given: dict[str, Any]) -> dict[str, str]:
    """The secret fields of an update, checked (422 otherwise): only a WeChat Pay binding's."""
    if not given:
        return {}
    record = d.channel_config.record(binding.account_id)
    if record is None or record.account.provider != "wechat":
        raise invalid(next(iter(given)), "only a WeChat Pay binding has an OAuth secret (its sub_appid's)")
    for name, value in given.items():
        if not isinstance(value, str) or not SECRET_FIELDS[name].fullmatch(value):
            raise invalid(name, "must be the sub_appid's AppSecret: 16-64 letters and digits")
    return dict(given)


def disable_binding(d: Deps, binding_id: str, actor: str = "", reason: str = "") -> dict[str, Any]:
    """No new payments route through it; its payments' callbacks, queries and refunds still work."""
    current = _record(d, binding_id)
    if not current.enabled:
        return public(current)
    stored = d.bindings.update(replace(current, enabled=False), actor)
    audit(
        "binding.disabled",
        stored,
        actor,
        {"enabled": [True, False], **({"reason": reason} if reason else {})},
        False,
    )
    return public(stored)


def _checked(d: Deps, binding: Binding, changes: dict[str, Any]) -> Binding:
    """`changes` over `binding`, every field checked, and its account a provider account."""
    record = d.channel_config.record(binding.account_id)
    if record is None:
        raise invalid("account_id", f"no channel account {binding.account_id}")
    account = record.account
    if account.mode != "provider":
        raise OwnershipRefused(
            "binding_account_not_provider",
            f"account {account.account_id} is a direct account (its owner's alone): bind merchants "
            "to a provider account",
            details=[_detail("account_id", "must be a provider-mode account")],
        )
    problems = []
    values = {**asdict(binding), **changes}
    for name, low, high in (("weight", 0, 10_000), ("priority", 0, 1_000_000)):
        value = values[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.append(_detail(name, f"must be an integer from {low} to {high}"))
    if not isinstance(values["enabled"], bool):
        problems.append(_detail("enabled", "must be true or false"))
    if not isinstance(values["sub_appid"], str) or len(values["sub_appid"]) > 64:
        problems.append(_detail("sub_appid", "must be text of at most 64 characters"))
    products = values["products"]
    if not isinstance(products, list | tuple) or any(p not in account.products for p in products):
        offered = ", ".join(account.products)
        problems.append(
            _detail("products", f"must be products of {account.account_id} ({offered}); empty: all")
        )
    if problems:
        raise ValidationFailed("the binding is invalid", details=problems)
    values["products"] = tuple(dict.fromkeys(products))
    return Binding(**values)


def _identifier(doc: dict[str, Any], name: str) -> None:
    value = doc.get(name)
    if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
        raise invalid(name, "required: letters, digits, `_`, `.`, `-`; 1-64")


def _fields(binding: Binding) -> dict[str, Any]:
    values = asdict(binding)
    values["products"] = list(binding.products)
    for name in ("version", "created_at", "created_by", "updated_at", "updated_by", "has_secret"):
        values.pop(name)
    values.pop("secret_fields")
    return values


def _detail(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed("the binding is invalid", details=[_detail(field, message)])


def audit(event: str, binding: Binding, actor: str, changes: dict[str, Any], secret: bool) -> None:
    line = {
        "audit": event,
        "binding_id": binding.binding_id,
        "merchant_id": binding.merchant_id,
        "account_id": binding.account_id,
        "actor": actor or "unknown",
        "changes": changes,
        "secret_replaced": secret,
    }
    log.info("%s", json.dumps(line, ensure_ascii=False, sort_keys=True))
