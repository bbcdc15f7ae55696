"""Two tabs choosing at once: a tab that read the session before the other recorded its new
payment must not close that payment (which the other tab is showing) and then lose."""

from __future__ import annotations

import pytest

import paymux.checkout.choose as choose_module
from paymux.checkout.choose import PayerContext, choose, open_session
from paymux.checkout.sessions import sessions
from paymux.domain.payment import Payment
from paymux.domain.states import PaymentStatus
from paymux.errors import Conflict
from paymux.store.checkout_sessions import CheckoutSession
from tests.integration.conftest import Alipay, World
from tests.integration.test_checkout_sessions import create, session_body

DESKTOP = PayerContext(device="desktop", wallet="", client_ip="203.0.113.10")


def test_a_tab_that_read_the_session_mid_choice_closes_nothing_the_other_tab_shows(
    world: World, alipay: Alipay, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, created = create(world, session_body())
    session_id = created["id"]
    first = choose(world.d, open_session(world.d, session_id), "wechat.native", DESKTOP, "")
    real_create = choose_module._create
    stale: list[CheckoutSession] = []

    def create_then_tab_b_reads(*args: object, **kwargs: object) -> Payment:
        made = real_create(*args, **kwargs)  # type: ignore[arg-type]
        stale.append(open_session(world.d, session_id))  # tab B reads before A records it
        return made

    monkeypatch.setattr(choose_module, "_create", create_then_tab_b_reads)
    shown = choose(world.d, open_session(world.d, session_id), "alipay.qr", DESKTOP, "")  # tab A
    monkeypatch.setattr(choose_module, "_create", real_create)
    assert shown.payment_id != first.payment_id

    with pytest.raises(Conflict) as raised:  # tab B, from what it read
        choose(world.d, stale[0], "wechat.native", DESKTOP, "")

    assert raised.value.code == "checkout_session_busy"
    still = world.d.payments.get(shown.payment_id)
    assert still is not None and still.status == shown.status != PaymentStatus.CLOSED
    stored = sessions(world.d).get(session_id)
    assert stored is not None and (stored.attempt, stored.payment_id) == (2, shown.payment_id)


def test_a_tab_whose_new_payment_was_closed_meanwhile_does_not_show_it(
    world: World, alipay: Alipay, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, created = create(world, session_body())
    session_id = created["id"]
    choose(world.d, open_session(world.d, session_id), "wechat.native", DESKTOP, "")
    real_create = choose_module._create
    made: list[Payment] = []

    def create_then_tab_b_chooses(*args: object, **kwargs: object) -> Payment:
        made.append(real_create(*args, **kwargs))  # type: ignore[arg-type]
        monkeypatch.setattr(choose_module, "_create", real_create)
        made.append(choose(world.d, open_session(world.d, session_id), "wechat.native", DESKTOP, ""))
        return made[0]

    monkeypatch.setattr(choose_module, "_create", create_then_tab_b_chooses)
    with pytest.raises(Conflict) as raised:  # tab A: its payment was closed by tab B meanwhile
        choose(world.d, open_session(world.d, session_id), "alipay.qr", DESKTOP, "")

    assert raised.value.code == "checkout_session_busy"
    a_payment, b_payment = made
    closed = world.d.payments.get(a_payment.payment_id)
    assert closed is not None and closed.status == PaymentStatus.CLOSED
    stored = sessions(world.d).get(session_id)
    assert stored is not None and (stored.attempt, stored.payment_id) == (3, b_payment.payment_id)
