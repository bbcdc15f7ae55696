"""What a channel sandbox beside the test world shares, whatever its provider: the world's
merchant with a direct account at the sandbox, refunds through the API, notifies delivered
through the world's callback catcher, and a binding that takes over from the direct account.
Each provider's world (huifu_world, unionpay_world) adds its own payer steps."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Protocol

from paymux.channels.base import ChannelAccount
from tests.integration.conftest import World


class ChannelSandbox(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def pay(self, number: str, /) -> Any: ...
    def wait_for_notifies(self, timeout: float = 5.0) -> bool: ...


@dataclass
class ChannelWorld[S: ChannelSandbox]:
    world: World
    sandbox: S
    account: ChannelAccount
    merchant_id: str

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
        """Every notify the sandbox has due is sent and answered (the catcher forwards it)."""
        assert self.sandbox.wait_for_notifies(timeout=10)

    def _paid_at_sandbox(self, payment_id: str) -> dict[str, Any]:
        """The payer pays attempt `payment_id` at the sandbox; its notify is applied."""
        self.sandbox.pay(self.world.out_trade_no(payment_id))
        self.deliver()
        _, paid = self.world.get(payment_id)
        assert paid["status"] == "SUCCESS", paid
        return dict(paid)

    def _routes_to(self, binding: dict[str, object]) -> dict[str, object]:
        """The merchant's direct account is disabled, so routes go to `binding`."""
        self.world.d.channel_config.put_account(replace(self.account, enabled=False), None)
        return binding


def sandbox_beside[S: ChannelSandbox, W](
    world: World,
    sandbox: S,
    seed: Callable[[str], ChannelAccount],
    make: Callable[[World, S, ChannelAccount, str], W],
) -> Iterator[W]:
    """Runs `sandbox` for one test: `seed(merchant_id)` gives the world's merchant its account
    there; `make` builds the provider's world. The sandbox stops whatever happens."""
    sandbox.start()
    try:
        app = world.d.merchants.app(world.app_id)
        assert app is not None
        account = seed(app.merchant_id)
        yield make(world, sandbox, account, app.merchant_id)
    finally:
        sandbox.stop()
