"""A Huifu 斗拱 sandbox beside the test world: the world's merchant with its own direct Huifu
account (its huifu_id is the sys_id), and on demand paymux's service-provider sys_id with the
merchant bound as its sub-merchant. Every other account is disabled, so e-CNY routes here;
notifies go to the world's callback catcher, which forwards them to the handler."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from local.seed import seed_huifu_account, seed_huifu_provider
from paymux.channels.base import ChannelAccount
from sandbox.huifu import HuifuSandbox, generate_sys_id
from tests.integration.conftest import World, callback_event
from tests.support import invoke


@dataclass
class HuifuWorld:
    world: World
    sandbox: HuifuSandbox
    account: ChannelAccount
    merchant_id: str

    def create(self, method: str = "ecny.qr", **overrides: Any) -> tuple[int, Any]:
        return self.world.create(method=method, **overrides)

    def req_seq_id(self, payment_id: str) -> str:
        return self.world.out_trade_no(payment_id)

    def refund(self, payment_id: str, amount: int) -> tuple[int, Any]:
        body = {"amount": amount, "merchant_refund_no": "RF-" + secrets.token_hex(5)}
        return self.world.call(
            "refund_payment.json",
            path=f"/v1/payments/{payment_id}/refunds",
            path_params={"payment_id": payment_id},
            body=body,
        )

    def get_refund(self, refund_id: str) -> dict[str, Any]:
        status, body = self.world.call(
            "get_refund.json", path=f"/v1/refunds/{refund_id}", path_params={"refund_id": refund_id}
        )
        assert status == 200, body
        return dict(body)

    def deliver(self) -> None:
        """Every notify due is sent and answered (the catcher forwards it to the handler)."""
        assert self.sandbox.wait_for_notifies(timeout=10)

    def paid_qr(self, amount: int = 1999) -> dict[str, Any]:
        status, body = self.create("ecny.qr", amount=amount)
        assert status == 201 and body["status"] == "PROCESSING", body
        self.sandbox.pay(self.req_seq_id(body["id"]))
        self.deliver()
        _, paid = self.world.get(body["id"])
        assert paid["status"] == "SUCCESS", paid
        return dict(paid)

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
        binding = seed_huifu_provider(
            self.world.d, self.sandbox, identity, account_id, self.merchant_id, sub_huifu_id
        )
        self.world.d.channel_config.put_account(replace(self.account, enabled=False), None)
        return binding


def huifu_beside(world: World) -> Iterator[HuifuWorld]:
    """A test module's `huifu` fixture: `yield from huifu_beside(world)`."""
    sandbox = HuifuSandbox(clock=world.clock, notify_time_scale=0.001)
    sandbox.start()
    app = world.d.merchants.app(world.app_id)
    assert app is not None
    identity = generate_sys_id(f"66660001{secrets.randbelow(10**8):08d}")
    account = seed_huifu_account(world.d, sandbox, identity, f"hf-{identity.sys_id}", owner=app.merchant_id)
    try:
        yield HuifuWorld(world, sandbox, account, app.merchant_id)
    finally:
        sandbox.stop()
