"""A payer's code is charged by the create request itself: when the answer to it is lost
(read timeout, unverifiable), the payer may have paid, so paymux must not send the same code to
another account (a second charge); the payment stays open for the queries to settle."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from local.seed import seed_unionpay_account
from paymux.channels.base import CreateRequest, CreateResult
from paymux.channels.unionpay.client import UnionPayChannel
from paymux.errors import ChannelUnavailable
from sandbox.unionpay import generate_merchant
from tests.integration.conftest import World
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside

CODE = "134567890123456789"


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


def test_a_lost_answer_to_a_payer_code_is_never_sent_to_another_account(
    unionpay: UnionPayWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = unionpay.world
    second = "7772900" + f"{secrets.randbelow(10**8):08d}"
    owner = world.d.merchants.app(world.app_id).merchant_id
    identity = generate_merchant(second, now=world.clock())
    seed_unionpay_account(world.d, unionpay.sandbox, identity, f"up-{second}", owner=owner)
    original = UnionPayChannel.create
    called: list[str] = []

    def lost_answer(self: UnionPayChannel, request: CreateRequest) -> CreateResult:
        called.append(request.out_trade_no)
        original(self, request)  # UnionPay charges the code...
        raise ChannelUnavailable("POST failed: ReadTimeout")  # ...and its answer is lost

    monkeypatch.setattr(UnionPayChannel, "create", lost_answer)
    unionpay.sandbox.script_payer_code(CODE, "00")

    status, body = unionpay.create("unionpay.barcode", payer={"auth_code": CODE})

    consumes: list[dict[str, Any]] = [
        t for t in unionpay.sandbox.transactions.values() if t.get("qrNo") == CODE
    ]
    assert len(called) == 1 and len(consumes) == 1  # one consume, on one account
    assert status == 503 and body["error"]["code"] == "channel_unavailable"
    payment_id = body["error"]["details"][0]["payment_id"]
    assert world.d.payments.get(payment_id).status.value == "PENDING"  # the queries settle it
