"""Fixtures for the sandbox tests; helpers live in ``wechat_sandbox_helpers`` and
``unionpay_sandbox_client``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from unionpay_sandbox_client import MER_ID as UNIONPAY_MER_ID
from unionpay_sandbox_client import NotifyReceiver
from wechat_sandbox_helpers import APPID, MCHID, CallbackReceiver, RawSigner

from sandbox.unionpay import GeneratedMerchant as UnionPayIdentity
from sandbox.unionpay import UnionPaySandbox
from sandbox.unionpay import generate_merchant as generate_unionpay_merchant
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


# UnionPay (helpers live in ``unionpay_sandbox_client``) -----------------------------------


@pytest.fixture(scope="session")
def unionpay_identity() -> UnionPayIdentity:
    return generate_unionpay_merchant(UNIONPAY_MER_ID)


@pytest.fixture
def make_unionpay() -> Iterator[Callable[..., UnionPaySandbox]]:
    started: list[UnionPaySandbox] = []

    def make(identity: UnionPayIdentity | None = None, **kwargs: Any) -> UnionPaySandbox:
        kwargs.setdefault("notify_time_scale", 0.001)
        sb = UnionPaySandbox(**kwargs)
        if identity is not None:
            sb.register_merchant(identity)
        sb.start()
        started.append(sb)
        return sb

    yield make
    for sb in started:
        sb.stop()


@pytest.fixture
def make_notify_receiver() -> Iterator[Callable[..., NotifyReceiver]]:
    made: list[NotifyReceiver] = []

    def make(statuses: list[int] | None = None) -> NotifyReceiver:
        receiver = NotifyReceiver(list(statuses or []))
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()
