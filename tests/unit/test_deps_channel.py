"""Deps.channel builds one client per account, sub-merchant and credentials: a provider-mode
account acting for two sub-merchants never hands one's client (its token) to the other."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from paymux.channels import registry
from paymux.channels.base import ChannelAccount, SubMerchant
from paymux.deps import Deps


class RecordingChannel:
    def __init__(
        self, account: ChannelAccount, credentials: Any, http: Any, clock: Any, sub_merchant: Any = None
    ):
        self.account, self.sub_merchant = account, sub_merchant


@pytest.fixture
def d(monkeypatch: pytest.MonkeyPatch) -> Deps:
    monkeypatch.setitem(registry.PROVIDERS, "recording", f"{__name__}:RecordingChannel")
    deps = Deps(http=SimpleNamespace())
    deps.__dict__["channel_config"] = SimpleNamespace(credentials=lambda account_id: {"key": "k"})
    return deps


def test_each_sub_merchant_and_token_gets_its_own_client(d: Deps) -> None:
    account = ChannelAccount("sp", "recording", ("wechat.native",), "1", "a", "https://x", mode="provider")
    a, b = SubMerchant("bnd_a", "m_a", "SUBA"), SubMerchant("bnd_b", "m_b", "SUBB")
    client_a, client_b = d.channel(account, sub_merchant=a), d.channel(account, sub_merchant=b)
    assert (client_a.sub_merchant, client_b.sub_merchant) == (a, b)  # type: ignore[attr-defined]
    assert d.channel(account, sub_merchant=a) is client_a  # cached
    assert d.channel(account).sub_merchant is None  # type: ignore[attr-defined]
    refreshed = SubMerchant("bnd_a", "m_a", "SUBA", app_auth_token="new")
    assert d.channel(account, sub_merchant=refreshed) is not client_a  # a new token: a new client
    assert d.channel(account, sub_merchant=b) is client_b
