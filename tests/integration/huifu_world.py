"""A Huifu 斗拱 sandbox beside the test world: the world's merchant with its own direct Huifu
account (its huifu_id is the sys_id), and on demand paymux's service-provider sys_id with the
merchant bound as its sub-merchant. Every other account is disabled, so e-CNY routes here;
notifies go to the world's callback catcher, which forwards them to the handler."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from local.seed import seed_huifu_account, seed_huifu_provider
from paymux.channels.base import ChannelAccount
from sandbox.huifu import HuifuSandbox, generate_sys_id
from tests.integration.channel_world import ChannelWorld, sandbox_beside
from tests.integration.conftest import World, callback_event
from tests.support import invoke


@dataclass
class HuifuWorld(ChannelWorld[HuifuSandbox]):
    def create(self, method: str = "ecny.qr", **overrides: Any) -> tuple[int, Any]:
        return self.world.create(method=method, **overrides)

    def req_seq_id(self, payment_id: str) -> str:
        return self.world.out_trade_no(payment_id)

    def paid_qr(self, amount: int = 1999) -> dict[str, Any]:
        status, body = self.create("ecny.qr", amount=amount)
        assert status == 201 and body["status"] == "PROCESSING", body
        return self._paid_at_sandbox(body["id"])

    def post_notify(self, form: dict[str, str], account_id: str = "") -> dict[str, Any]:
        """A notify POSTed straight to the callback handler; its raw reply."""
        from urllib.parse import urlencode

        body = urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}
        event = callback_event(account_id or self.account.account_id, headers, body, provider="huifu")
        return invoke("channel_callback", event)

    def provider(self, sub_huifu_id: str = "6666000100000001") -> dict[str, object]:
        """paymux's service-provider sys_id with the world's merchant bound as `sub_huifu_id`;
        the merchant's direct account is disabled so routes go to the binding."""
        identity = generate_sys_id(f"66660001{secrets.randbelow(10**8):08d}")
        account_id = f"hf-sp-{secrets.token_hex(3)}"
        return self._routes_to(
            seed_huifu_provider(
                self.world.d, self.sandbox, identity, account_id, self.merchant_id, sub_huifu_id
            )
        )


def huifu_beside(world: World) -> Iterator[HuifuWorld]:
    """A test module's `huifu` fixture: `yield from huifu_beside(world)`."""
    identity = generate_sys_id(f"66660001{secrets.randbelow(10**8):08d}")
    sandbox = HuifuSandbox(clock=world.clock, notify_time_scale=0.001)

    def seed(owner: str) -> ChannelAccount:
        return seed_huifu_account(world.d, sandbox, identity, f"hf-{identity.sys_id}", owner=owner)

    yield from sandbox_beside(world, sandbox, seed, HuifuWorld)
