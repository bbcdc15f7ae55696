"""The one registration point: provider name → its channel class ("module:Class"), imported only
when an account of that provider is used (each provider's code stays off other cold starts).
Adding a provider is its folder under channels/ plus one line here."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from paymux.channels.base import Channel, ChannelAccount
from paymux.channels.http import HttpClient
from paymux.clock import Clock
from paymux.domain.methods import FAMILIES
from paymux.errors import ConfigurationError

PROVIDERS: dict[str, str] = {
    "alipay": "paymux.channels.alipay.client:AlipayChannel",
    "wechat": "paymux.channels.wechat.client:WeChatPayChannel",
}

# What docs/channels.md lists per provider besides what the class declares.
SANDBOXES: dict[str, str] = {
    "alipay": "sandbox/alipay (Alipay OpenAPI, RSA2)",
    "wechat": "sandbox/wechat (WeChat Pay API v3)",
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
    account: ChannelAccount, credentials: Mapping[str, Any], http: HttpClient, clock: Clock
) -> Channel:
    channel: Channel = channel_class(account.provider)(account, credentials, http, clock)
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


def markdown_table() -> str:
    rows = catalog()
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(f"`{r[h]}`" if h == "product" else r[h] for h in header) + " |" for r in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
