"""A UnionPay gateway or WAP order the payer has not submitted yet is unknown to UnionPay (34),
yet the signed form stays payable until its payTimeout (the payment's expires_at): closing it
before then must not mark it CLOSED (the payer could still pay it), neither through the close
service nor when the payer switches to another method at checkout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paymux.checkout.choose import PayerContext, choose, open_session
from paymux.checkout.sessions import sessions
from paymux.domain.states import PaymentStatus
from paymux.errors import OutcomeNotKnown
from paymux.services.payments import close_open_payment
from tests.integration.conftest import World
from tests.integration.test_checkout_sessions import create, session_body
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside

DESKTOP = PayerContext(device="desktop", wallet="", client_ip="203.0.113.10")


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


@pytest.mark.parametrize("method", ["unionpay.gateway", "unionpay.wap"])
def test_closing_an_unsubmitted_front_order_before_its_expiry_changes_nothing(
    unionpay: UnionPayWorld, method: str
) -> None:
    status, body = unionpay.create(method, expires_in=1800)
    assert status == 201 and body["action"]["type"] == "form_post", body
    payment = unionpay.world.d.payments.get(body["id"])
    assert payment is not None

    with pytest.raises(OutcomeNotKnown) as raised:
        close_open_payment(unionpay.world.d, payment, actor="merchant")

    assert (raised.value.status, raised.value.code) == (409, "payment_outcome_unknown")
    after = unionpay.world.d.payments.get(body["id"])
    assert after is not None and after.status == payment.status and after.version == payment.version
    # the payer may still post the form and pay the same order
    assert unionpay.submit_form(body["action"]) == 200
    unionpay.sandbox.pay(unionpay.order_id(body["id"]))
    unionpay.deliver()
    _, paid = unionpay.world.get(body["id"])
    assert paid["status"] == "SUCCESS", paid


def test_an_unsubmitted_front_order_closes_once_its_expiry_passed(unionpay: UnionPayWorld) -> None:
    status, body = unionpay.create("unionpay.gateway", expires_in=1800)
    assert status == 201, body
    payment = unionpay.world.d.payments.get(body["id"])
    assert payment is not None
    unionpay.world.clock.advance(1801)

    closed = close_open_payment(unionpay.world.d, payment, actor="merchant")

    assert closed.status == PaymentStatus.CLOSED


def test_switching_away_from_an_unsubmitted_gateway_order_is_refused_and_keeps_it(
    unionpay: UnionPayWorld,
) -> None:
    world = unionpay.world
    _, created = create(world, session_body(methods=["unionpay.gateway", "wechat.native"]))
    first = choose(world.d, open_session(world.d, created["id"]), "unionpay.gateway", DESKTOP, "")
    assert first.action["type"] == "form_post"

    with pytest.raises(OutcomeNotKnown):
        choose(world.d, open_session(world.d, created["id"]), "wechat.native", DESKTOP, "")

    kept = world.d.payments.get(first.payment_id)
    assert kept is not None and kept.status == first.status
    stored = sessions(world.d).get(created["id"])
    assert stored is not None and (stored.attempt, stored.payment_id) == (1, first.payment_id)
    assert not world.sandbox.orders  # no WeChat order was made
