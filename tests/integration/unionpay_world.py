"""A UnionPay sandbox beside the test world: the world's merchant with its own direct UnionPay
account (merId), and on demand an acquirer account with the merchant bound as its
sub-merchant. Notifies go to the world's callback catcher, which forwards them to the handler."""

from __future__ import annotations

import secrets
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from local.seed import seed_unionpay_account, seed_unionpay_acquirer
from paymux.channels.base import ChannelAccount
from sandbox.unionpay import UnionPaySandbox, generate_merchant
from tests.integration.channel_world import ChannelWorld, sandbox_beside
from tests.integration.conftest import World


@dataclass
class UnionPayWorld(ChannelWorld[UnionPaySandbox]):
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
        return self._paid_at_sandbox(body["id"])

    def acquirer(self, sub_mer_id: str = "898110000000001") -> dict[str, object]:
        """An acquirer account (acqInsCode) of its own, the world's merchant bound to it as
        `sub_mer_id`; the merchant's direct account is disabled so routes go to the binding."""
        identity = generate_merchant(str(48_000_000 + secrets.randbelow(999_999)), now=self.world.clock())
        account_id = f"up-acq-{secrets.token_hex(3)}"
        return self._routes_to(
            seed_unionpay_acquirer(
                self.world.d, self.sandbox, identity, account_id, self.merchant_id, sub_mer_id
            )
        )


def unionpay_beside(world: World) -> Iterator[UnionPayWorld]:
    """A test module's `unionpay` fixture: `yield from unionpay_beside(world)`."""
    mer_id = "7772900" + f"{secrets.randbelow(10**8):08d}"
    identity = generate_merchant(mer_id, now=world.clock())
    sandbox = UnionPaySandbox(clock=world.clock, notify_time_scale=0.001)

    def seed(owner: str) -> ChannelAccount:
        return seed_unionpay_account(world.d, sandbox, identity, f"up-{mer_id}", owner=owner)

    yield from sandbox_beside(world, sandbox, seed, UnionPayWorld)
