"""The one registration point: provider name → its channel class ("module:Class"), imported only
when an account of that provider is used (each provider's code stays off other cold starts).
Adding a provider is its folder under channels/ plus one line here."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from paymux.channels.base import CHECKED_FIELD_LABELS, Channel, ChannelAccount, RefundErrorClass, SubMerchant
from paymux.channels.http import HttpClient
from paymux.clock import Clock
from paymux.domain.methods import FAMILIES
from paymux.errors import ConfigurationError

PROVIDERS: dict[str, str] = {
    "alipay": "paymux.channels.alipay.client:AlipayChannel",
    "huifu": "paymux.channels.huifu.client:HuifuEcnyChannel",
    "unionpay": "paymux.channels.unionpay.client:UnionPayChannel",
    "wechat": "paymux.channels.wechat.client:WeChatPayChannel",
}

# What docs/channels.md lists per provider besides what the class declares.
SANDBOXES: dict[str, str] = {
    "alipay": "sandbox/alipay (Alipay OpenAPI, RSA2)",
    "huifu": "sandbox/huifu (Huifu 斗拱 e-CNY, RSA-SHA256)",
    "unionpay": "sandbox/unionpay (UnionPay ACP 5.1.0, signMethod 01)",
    "wechat": "sandbox/wechat (WeChat Pay API v3; API v2 for payer codes)",
}
OPERATIONS = ("create", "query", "close", "refund", "query_refund", "parse_callback", "fetch_statement")


def channel_class(provider: str) -> Any:
    path = PROVIDERS.get(provider)
    if path is None:
        raise ConfigurationError(f"no channel provider named {provider!r}")
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def provider_classes(method: str) -> list[Any]:
    """The channel classes that offer `method` (a product), in provider order."""
    return [cls for cls in map(channel_class, sorted(PROVIDERS)) if method in cls.products]


def build_channel(
    account: ChannelAccount,
    credentials: Mapping[str, Any],
    http: HttpClient,
    clock: Clock,
    sub_merchant: SubMerchant | None = None,
) -> Channel:
    """A client of `account`; of a provider-mode account on behalf of `sub_merchant` (without
    one, a provider-mode client can still verify callbacks and fetch provider-wide statements)."""
    cls = channel_class(account.provider)
    extra = {"sub_merchant": sub_merchant} if sub_merchant is not None else {}
    channel: Channel = cls(account, credentials, http, clock, **extra)
    return channel


def catalog() -> list[dict[str, str]]:
    """One row per product of every registered provider, from the classes themselves."""
    rows = []
    for provider in sorted(PROVIDERS):
        cls = channel_class(provider)
        operations = ", ".join(op for op in OPERATIONS if callable(getattr(cls, op, None)))
        for product in sorted(cls.products):
            rows.append(
                {
                    "provider": provider,
                    "product": product,
                    "operations": operations,
                    "family": FAMILIES.get(product, "none"),
                    "amount unit": cls.amount_unit,
                    "sandbox": SANDBOXES.get(provider, "none"),
                }
            )
    return rows


def _table(rows: list[dict[str, str]], code: tuple[str, ...] = ()) -> list[str]:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(f"`{r[h]}`" if h in code else r[h] for h in header) + " |" for r in rows]
    return lines


def refund_error_rows() -> list[dict[str, str]]:
    """Per provider, the refund refusals its class declares, by what they mean."""
    columns = {
        RefundErrorClass.DEFINITIVE: "definitive: FAILED, reservation released",
        RefundErrorClass.TRANSIENT: "transient: retried (same out_refund_no, backoff), stays reserved",
        RefundErrorClass.NEEDS_PERSON: "needs a person: stays open and reserved, operator exception",
    }
    rows = []
    for provider in sorted(PROVIDERS):
        table = channel_class(provider).refund_errors
        row = {"provider": provider}
        for kind, title in columns.items():
            codes = sorted(code for code, k in table.items() if k == kind)
            extra = {RefundErrorClass.TRANSIENT: ["no answer (timeout, 5xx, unverifiable)"]}
            extra[RefundErrorClass.NEEDS_PERSON] = ["any code not listed"]
            row[title] = ", ".join([f"`{c}`" for c in codes] + extra.get(kind, []))
        rows.append(row)
    return rows


def markdown_table() -> str:
    lines = _table(catalog(), code=("product",))
    lines += ["", "Refund refusals by provider (each transform's `REFUND_ERRORS`):", ""]
    lines += _table(refund_error_rows())
    return "\n".join(lines) + "\n"


_MESSAGES = ("callback", "query", "statement")  # the keys of every channel's carried_fields


def carried_fields_table() -> str:
    """Per provider and message type, which checked fields a PAID word must carry (`required`)
    and which are compared only when present: the channels' own `carried_fields`."""
    header = ["provider", "message", *CHECKED_FIELD_LABELS.values()]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for provider in sorted(PROVIDERS):
        carried = channel_class(provider).carried_fields
        for message in _MESSAGES:
            required = carried[message]
            cells = ["required" if name in required else "if present" for name in CHECKED_FIELD_LABELS]
            lines.append("| " + " | ".join([provider, message, *cells]) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    print(carried_fields_table() if sys.argv[1:] == ["carried-fields"] else markdown_table(), end="")
