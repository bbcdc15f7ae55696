"""`python -m ops merchants bind …`: a merchant bound to one of paymux's service-provider
accounts as one sub-merchant (provider mode). Changes reach warm containers within 60 s.

    merchants bind MERCHANT --account ACCOUNT --sub-mchid ID [--sub-appid ID] [--products P,P]
                   [--weight N] [--priority N] [--binding-id ID]
    merchants bind MERCHANT --account ACCOUNT --alipay-auth-code CODE [...]
    merchants bindings [MERCHANT] [--account ACCOUNT]
    merchants unbind BINDING_ID

Validation and auditing are paymux.services.bindings' (shared with /v1/admin/bindings); an
Alipay authorization code is exchanged for the merchant's app_auth_token
(paymux.services.alipay_auth), which goes to Secrets Manager only. Writes are attributed to
the operator's AWS identity."""

from __future__ import annotations

import argparse
from typing import Any

from ops.channels import operator
from paymux.deps import Deps
from paymux.services import alipay_auth, bindings


def register(m: Any) -> None:
    """Adds bind, bindings and unbind to the `merchants` group; each carries its own runner."""
    bind = m.add_parser("bind", help="bind a merchant to a provider account as one sub-merchant")
    bind.add_argument("merchant_id")
    bind.add_argument("--account", required=True, help="a provider-mode channel account")
    who = bind.add_mutually_exclusive_group(required=True)
    who.add_argument("--sub-mchid", help="WeChat Pay sub_mchid (UnionPay: the acquirer's merId)")
    who.add_argument("--alipay-auth-code", help="the code Alipay gave when the merchant authorized the app")
    bind.add_argument("--sub-appid", help="WeChat Pay sub_appid")
    bind.add_argument("--products", help="comma-separated; default: every product of the account")
    bind.add_argument("--weight", type=int)
    bind.add_argument("--priority", type=int)
    bind.add_argument("--binding-id")
    bind.set_defaults(runner=create)
    shown = m.add_parser("bindings", help="list bindings")
    shown.add_argument("merchant_id", nargs="?", default="")
    shown.add_argument("--account", default="")
    shown.set_defaults(runner=lambda d, a: bindings.list_bindings(d, a.merchant_id, a.account))
    unbind = m.add_parser("unbind", help="disable a binding: no new payments through it")
    unbind.add_argument("binding_id")
    unbind.set_defaults(runner=lambda d, a: bindings.disable_binding(d, a.binding_id, operator()))


def create(d: Deps, args: argparse.Namespace) -> dict[str, Any]:
    doc: dict[str, Any] = {"merchant_id": args.merchant_id, "account_id": args.account}
    optional = {
        "sub_appid": args.sub_appid,
        "weight": args.weight,
        "priority": args.priority,
        "binding_id": args.binding_id,
        "products": args.products.split(",") if args.products else None,
    }
    doc |= {k: v for k, v in optional.items() if v is not None}
    if args.alipay_auth_code:
        return alipay_auth.bind_authorization(d, doc, args.alipay_auth_code, actor=operator())
    return bindings.create_binding(d, {**doc, "sub_mchid": args.sub_mchid}, actor=operator())
