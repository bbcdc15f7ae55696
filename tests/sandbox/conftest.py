"""Fixtures for the WeChat sandbox tests; helpers live in ``wechat_sandbox_helpers``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from wechat_sandbox_helpers import APPID, MCHID, CallbackReceiver, RawSigner

from sandbox.wechat import GeneratedMerchant, WeChatSandbox, generate_merchant


@pytest.fixture(scope="session")
def identity() -> GeneratedMerchant:
    return generate_merchant(MCHID, (APPID,))


@pytest.fixture
def make_sandbox(identity: GeneratedMerchant) -> Iterator[Callable[..., WeChatSandbox]]:
    started: list[WeChatSandbox] = []

    def make(**kwargs: Any) -> WeChatSandbox:
        kwargs.setdefault("callback_time_scale", 0.001)
        sb = WeChatSandbox(**kwargs)
        sb.register_merchant(identity.merchant)
        sb.start()
        started.append(sb)
        return sb

    yield make
    for sb in started:
        sb.stop()


@pytest.fixture
def sb(make_sandbox: Callable[..., WeChatSandbox]) -> WeChatSandbox:
    return make_sandbox(key_mode="public_key")


@pytest.fixture
def raw(sb: WeChatSandbox, identity: GeneratedMerchant) -> RawSigner:
    return RawSigner(identity, sb.base_url)


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., CallbackReceiver]]:
    made: list[CallbackReceiver] = []

    def make(statuses: list[int] | None = None, hold: threading.Event | None = None) -> CallbackReceiver:
        receiver = CallbackReceiver(statuses, hold)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()
