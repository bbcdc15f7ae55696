"""The one registration point: provider name → how to build its channel for an account."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from paymux.channels.base import Channel, ChannelAccount
from paymux.channels.http import HttpClient
from paymux.clock import Clock
from paymux.errors import ConfigurationError

Factory = Callable[[ChannelAccount, Mapping[str, Any], HttpClient, Clock], Channel]


def _wechat(a: ChannelAccount, c: Mapping[str, Any], h: HttpClient, k: Clock) -> Channel:
    from paymux.channels.wechat.client import WeChatPayChannel  # noqa: PLC0415 - per provider

    return WeChatPayChannel(a, c, h, k)


PROVIDERS: dict[str, Factory] = {
    "wechat": _wechat,
}


def build_channel(
    account: ChannelAccount, credentials: Mapping[str, Any], http: HttpClient, clock: Clock
) -> Channel:
    factory = PROVIDERS.get(account.provider)
    if factory is None:
        raise ConfigurationError(f"no channel provider named {account.provider!r}")
    return factory(account, credentials, http, clock)
