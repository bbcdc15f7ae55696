"""Alipay third-party-application authorizations over their whole life, as bindings:

- bind: a merchant authorizes paymux's application; the code Alipay gives it is exchanged
  (alipay.open.auth.token.app, grant_type=authorization_code) for the merchant's
  app_auth_token, which goes to the binding's secret, never to the table;
- refresh: a token near its expiry is exchanged for a new one (grant_type=refresh_token) by a
  daily schedule (functions/refresh_authorizations), well before it lapses;
- revocation: Alipay's authorization-change notice (POST /v1/callbacks/alipay/{account}/authorization)
  disables the binding when the merchant cancelled, audited; payments already made keep working
  for queries and refunds as far as Alipay allows.

The channel methods (exchange_app_auth_code, refresh_app_auth, parse_auth_notice) and the
grant they return (AppAuthGrant) are paymux.channels.alipay.authorization's."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from paymux.channels.base import ChannelAccount, HttpReply
from paymux.deps import Deps
from paymux.errors import CallbackRejected, OwnershipRefused, PaymuxError
from paymux.services import bindings
from paymux.store.bindings import Binding
from paymux.store.exceptions import record_exception

log = logging.getLogger("paymux")
REFRESH_BEFORE = 30 * 86400.0  # seconds before expiry; the schedule runs daily, so ~30 tries
NOTICE_ACTOR = "alipay:authorization_notice"
REFRESH_ACTOR = "schedule:refresh_authorizations"


def grant_secret(grant: Any) -> dict[str, Any]:
    """The binding's secret (COMMON contract): tokens and their expiry times (epoch seconds)."""
    return {
        "app_auth_token": grant.app_auth_token,
        "app_refresh_token": grant.app_refresh_token,
        "expires_at": float(grant.expires_at),
        "refresh_expires_at": float(grant.refresh_expires_at),
    }


def _alipay_provider_account(d: Deps, account_id: str) -> ChannelAccount:
    record = d.channel_config.record(account_id)
    if record is None or record.account.provider != "alipay" or record.account.mode != "provider":
        raise OwnershipRefused(
            "binding_account_not_provider",
            f"{account_id} is not an Alipay provider-mode account (a third-party application)",
            details=[{"field": "account_id", "message": "must be an Alipay provider-mode account"}],
        )
    return record.account


def bind_authorization(d: Deps, doc: dict[str, Any], code: str, actor: str = "") -> dict[str, Any]:
    """A binding from an authorization code: everything else in `doc` is checked first (a code
    can be exchanged once), then the code is exchanged, then the binding is created with the
    authorizing merchant's user_id and auth_app_id as its sub-merchant and the tokens as its
    secret. ChannelError (502) when Alipay refuses the code: nothing written."""
    if not isinstance(code, str) or not 1 <= len(code) <= 128:
        raise bindings.invalid("alipay_auth_code", "required: the authorization code Alipay gave")
    if "sub_mchid" in doc or "sub_appid" in doc:
        raise bindings.invalid("sub_mchid", "comes from the authorization; leave it out")
    account = _alipay_provider_account(d, str(doc.get("account_id", "")))
    bindings.new_binding(d, {**doc, "sub_mchid": "pending"})  # refuses before the code is used
    grant = d.channel(account).exchange_app_auth_code(code)  # type: ignore[attr-defined]
    fields = {**doc, "sub_mchid": grant.user_id, "sub_appid": grant.auth_app_id}
    return bindings.create_binding(d, fields, actor, secret=grant_secret(grant))


def refresh_authorizations(d: Deps, within: float = REFRESH_BEFORE) -> list[dict[str, Any]]:
    """Every enabled Alipay binding whose token expires within `within` seconds gets a new one.
    One report per binding looked at; a failure is reported and does not stop the others."""
    now = d.clock()
    reports = []
    for binding in d.bindings.records():
        account = d.channel_config.account(binding.account_id)
        if not (binding.enabled and binding.has_secret and account and account.provider == "alipay"):
            continue
        try:
            reports.append(_refresh_one(d, account, binding, now, within))
        except (PaymuxError, KeyError, ValueError) as exc:
            message = (
                exc.message if isinstance(exc, PaymuxError) else f"unreadable secret ({type(exc).__name__})"
            )
            log.warning("token refresh of binding %s failed: %s", binding.binding_id, message)
            reports.append({"binding_id": binding.binding_id, "status": "failed", "error": message})
    return reports


def _refresh_one(
    d: Deps, account: ChannelAccount, binding: Binding, now: float, within: float
) -> dict[str, Any]:
    secret = d.bindings.read_secret(binding.binding_id)
    expires_at = float(secret["expires_at"])
    if expires_at - now > within:
        return {"binding_id": binding.binding_id, "status": "fresh", "expires_at": expires_at}
    if float(secret.get("refresh_expires_at", 0)) <= now:
        record_exception(
            d,
            "authorization_expired",
            binding.binding_id,
            _who(binding),
            key=f"auth-expired#{binding.binding_id}",
        )
        return {"binding_id": binding.binding_id, "status": "expired", "expires_at": expires_at}
    grant = d.channel(account).refresh_app_auth(secret["app_refresh_token"])  # type: ignore[attr-defined]
    if grant.user_id != binding.sub_mchid:
        raise CallbackRejected(f"the refreshed token of {binding.binding_id} is another merchant's")
    d.bindings.write_secret(binding.binding_id, grant_secret(grant))
    bindings.audit(
        "binding.token_refreshed",
        binding,
        REFRESH_ACTOR,
        {"expires_at": [expires_at, grant.expires_at]},
        True,
    )
    return {"binding_id": binding.binding_id, "status": "refreshed", "expires_at": float(grant.expires_at)}


def _who(binding: Binding) -> dict[str, str]:
    return {
        "merchant_id": binding.merchant_id,
        "binding_id": binding.binding_id,
        "account_id": binding.account_id,
    }


def handle_authorization_notice(
    d: Deps, account_id: str, headers: Mapping[str, str], body: bytes
) -> HttpReply:
    """Alipay's notice that a merchant cancelled or changed its authorization of the
    application: verified with the provider account's keys, then the binding of that merchant
    (user_id and auth_app_id) is disabled, audited; a notice for no binding is recorded."""
    account = d.channel_config.account(account_id)
    if account is None or account.provider != "alipay" or account.mode != "provider":
        return HttpReply(404, '{"code":"NOT_FOUND","message":"unknown callback path"}')
    channel: Any = d.channel(account)
    try:
        notice = channel.parse_auth_notice(headers, body)
    except CallbackRejected as exc:
        log.warning("authorization notice rejected on %s: %s", account_id, exc.message)
        reply: HttpReply = channel.callback_ack(exc)
        return reply
    binding = next(
        (
            b
            for b in d.bindings.records()
            if b.account_id == account_id
            and b.sub_mchid == notice.user_id
            and (not b.sub_appid or b.sub_appid == notice.auth_app_id)
        ),
        None,
    )
    if binding is None:
        detail = {"account_id": account_id, "user_id": notice.user_id, "kind": notice.kind}
        record_exception(d, "unknown_authorization", notice.user_id, detail, key=f"auth#{notice.notify_id}")
    elif notice.kind == "cancelled":
        bindings.disable_binding(d, binding.binding_id, NOTICE_ACTOR, reason="authorization cancelled")
    else:  # changed: the token may have been re-issued; operators re-bind with a new code
        detail = {**_who(binding), "kind": notice.kind}
        record_exception(
            d, "authorization_changed", binding.binding_id, detail, key=f"auth#{notice.notify_id}"
        )
    ack: HttpReply = channel.callback_ack(None)
    return ack
