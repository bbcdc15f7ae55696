"""A UnionPay sandbox beside the test world: the world's merchant with its own direct UnionPay
account (merId), and on demand an acquirer account with the merchant bound as its
sub-merchant. Notifies go to the world's callback catcher, which forwards them to the handler."""

from __future__ import annotations

import secrets
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from local.seed import seed_unionpay_account, seed_unionpay_acquirer
from paymux.channels.base import ChannelAccount
from sandbox.unionpay import UnionPaySandbox, generate_merchant
from tests.integration.conftest import World


@dataclass
class UnionPayWorld:
    world: World
    sandbox: UnionPaySandbox
    account: ChannelAccount
    merchant_id: str

    @property
    def mer_id(self) -> str:
        return self.account.mchid

    def create(self, method: str = "unionpay.qr", **overrides: Any) -> tuple[int, Any]:
        extra: dict[str, Any] = {}
        if method in ("unionpay.gateway", "unionpay.wap", "unionpay.b2b"):
            extra["return_url"] = "https://merchant.example.com/paid"
        return self.world.create(method=method, **extra, **overrides)

    def order_id(self, payment_id: str) -> str:
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

    def submit_form(self, action: dict[str, Any]) -> int:
        """The payer's browser auto-POSTs a form_post action to UnionPay."""
        assert action["type"] == "form_post"
        body = urlencode(action["fields"]).encode()
        request = urllib.request.Request(
            action["url"], data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)

    def paid(self, method: str = "unionpay.qr", amount: int = 1999) -> dict[str, Any]:
        """A payment of `method` paid at the sandbox, its notify applied."""
        status, body = self.create(method, amount=amount)
        assert status == 201 and body["status"] == "PROCESSING", body
        if body["action"]["type"] == "form_post":
            assert self.submit_form(body["action"]) == 200
        self.sandbox.pay(self.order_id(body["id"]))
        self.deliver()
        _, paid = self.world.get(body["id"])
        assert paid["status"] == "SUCCESS", paid
        return dict(paid)

    def deliver(self) -> None:
        """Every notify the sandbox has due is sent and answered (the catcher forwards it)."""
        assert self.sandbox.wait_for_notifies(timeout=10)

    def acquirer(self, sub_mer_id: str = "898110000000001") -> dict[str, object]:
        """An acquirer account (acqInsCode) of its own, the world's merchant bound to it as
        `sub_mer_id`; the merchant's direct account is disabled so routes go to the binding."""
        identity = generate_merchant(str(48_000_000 + secrets.randbelow(999_999)), now=self.world.clock())
        account_id = f"up-acq-{secrets.token_hex(3)}"
        binding = seed_unionpay_acquirer(
            self.world.d, self.sandbox, identity, account_id, self.merchant_id, sub_mer_id
        )
        self.world.d.channel_config.put_account(replace(self.account, enabled=False), None)
        return binding


def unionpay_beside(world: World) -> Iterator[UnionPayWorld]:
    """A test module's `unionpay` fixture: `yield from unionpay_beside(world)`."""
    sandbox = UnionPaySandbox(clock=world.clock, notify_time_scale=0.001)
    sandbox.start()
    app = world.d.merchants.app(world.app_id)
    assert app is not None
    mer_id = "7772900" + f"{secrets.randbelow(10**8):08d}"
    identity = generate_merchant(mer_id, now=world.clock())
    account = seed_unionpay_account(world.d, sandbox, identity, f"up-{mer_id}", owner=app.merchant_id)
    try:
        yield UnionPayWorld(world, sandbox, account, app.merchant_id)
    finally:
        sandbox.stop()
