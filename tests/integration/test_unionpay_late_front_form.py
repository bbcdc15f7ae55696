"""paymux's gateway and WAP forms stay good until the payment's expiry: the payer's browser may
post the form long after paymux signed it (its txnTime is the attempt's creation), and what
bounds a front consume at UnionPay is the form's payTimeout, which paymux sets to the payment's
expires_at (sandbox/unionpay/validation.check_front_window has the sources)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.conftest import World
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


@pytest.mark.parametrize("method", ["unionpay.gateway", "unionpay.wap"])
def test_a_form_posted_twenty_minutes_later_is_paid_and_notified(
    unionpay: UnionPayWorld, method: str
) -> None:
    status, body = unionpay.create(method, amount=1500, expires_in=7200)
    assert status == 201 and body["action"]["type"] == "form_post", body
    order_id = unionpay.order_id(body["id"])
    unionpay.world.clock.advance(20 * 60)  # the payer opens the merchant's page 20 minutes later

    assert unionpay.submit_form(body["action"]) == 200

    view = unionpay.sandbox.transaction(order_id)  # taken: the cashier awaits the payer
    assert view["txnTime"] == body["action"]["fields"]["txnTime"]
    unionpay.sandbox.pay(order_id)
    unionpay.deliver()
    _, paid = unionpay.world.get(body["id"])
    assert paid["status"] == "SUCCESS", paid
    delivered = [a.status for a in unionpay.sandbox.notify_log if a.form.get("orderId") == order_id]
    assert delivered == [200]


def test_a_form_posted_after_the_expiry_is_refused_and_nothing_is_paid(unionpay: UnionPayWorld) -> None:
    status, body = unionpay.create("unionpay.gateway", amount=1500, expires_in=1800)
    assert status == 201, body
    unionpay.world.clock.advance(1801)

    assert unionpay.submit_form(body["action"]) == 200  # UnionPay's page says the order timed out

    assert unionpay.sandbox.transactions == {}
    _, after = unionpay.world.get(body["id"])
    assert after["status"] == "PROCESSING"
