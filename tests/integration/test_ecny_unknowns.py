"""e-CNY answers whose meaning is not a definitive outcome (issue 15's review): a micropay
answered with a code Huifu documents no meaning of may have charged the payer's code, so it
is left to the payer-code ladder, never failed; a QR code's failure notified after its expiry
is a time-out (CLOSED, watched), exactly as the same F in a query's answer is."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from paymux.domain.refund import automatic_refund_id
from paymux.services.sweep_schedule import LADDER_GUARD
from tests.integration.conftest import World
from tests.integration.huifu_world import HuifuWorld, huifu_beside
from tests.support import run_sweeper

UNDOCUMENTED = "30000009"  # neither accepted, nor 90000000, nor a code that made nothing


@pytest.fixture
def huifu(world: World) -> Iterator[HuifuWorld]:
    yield from huifu_beside(world)


def _events(huifu: HuifuWorld, payment_id: str) -> list[str]:
    return [e["type"] for e in huifu.world.d.payments.events(payment_id)]


def test_an_undocumented_micropay_code_is_asked_by_the_ladder_and_found_paid(huifu: HuifuWorld) -> None:
    code = "0" + "".join(secrets.choice("0123456789") for _ in range(17))
    huifu.sandbox.script_payer_code(code, UNDOCUMENTED)
    huifu.world.catcher.forward = False  # no notify is applied: only the ladder's queries

    status, body = huifu.create("ecny.barcode", amount=730, payer={"auth_code": code})

    assert status == 201 and body["status"] == "PROCESSING", body  # not FAILED: it may be charged
    number = huifu.req_seq_id(body["id"])
    huifu.sandbox.pay(number)  # the code was charged after all
    payment = huifu.world.d.payments.get(body["id"])
    assert payment is not None
    huifu.world.clock.advance(5.0 + LADDER_GUARD + 1)  # the payer-code ladder's first rung
    run_sweeper()
    after = huifu.world.d.payments.get(body["id"])
    assert after is not None and after.status.value == "SUCCESS"
    assert after.channel_trade_no == huifu.sandbox.order(number).hf_seq_id
    assert "payment.failed" not in _events(huifu, body["id"])


def test_a_timed_out_qr_codes_failure_notify_closes_it_and_a_late_payment_is_refunded(
    huifu: HuifuWorld,
) -> None:
    status, body = huifu.create("ecny.qr", amount=1700, expires_in=600)
    assert status == 201 and body["status"] == "PROCESSING", body
    number = huifu.req_seq_id(body["id"])
    huifu.world.clock.advance(601)
    huifu.sandbox.fail(number)  # Huifu notifies the time-out (F) before any sweep asks
    huifu.deliver()

    closed = huifu.world.d.payments.get(body["id"])
    assert closed is not None and closed.status.value == "CLOSED"
    assert closed.watch_until > huifu.world.clock()  # still asked: Huifu cannot close it
    events = _events(huifu, body["id"])
    assert "payment.closed" in events and "payment.failed" not in events
    huifu.world.catcher.forward = False  # every notify of the late payment goes unanswered
    huifu.sandbox.pay_late(number)

    huifu.world.clock.advance(3600)
    run_sweeper()  # the watch's query finds the charge: refunded automatically

    refund = huifu.world.d.refunds.get(automatic_refund_id(number))
    assert refund is not None and (refund.kind, refund.amount) == ("automatic", 1700)
    (placed,) = huifu.sandbox.order(number).refunds
    assert (placed.req_seq_id, placed.amount) == (refund.out_refund_no, 1700)
    assert huifu.world.d.payments.get(body["id"]).status.value == "CLOSED"


def test_a_qr_codes_failure_notified_before_its_expiry_is_a_failure(huifu: HuifuWorld) -> None:
    status, body = huifu.create("ecny.qr", amount=1800, expires_in=600)
    assert status == 201, body
    huifu.sandbox.fail(huifu.req_seq_id(body["id"]))
    huifu.deliver()

    failed = huifu.world.d.payments.get(body["id"])
    assert failed is not None and failed.status.value == "FAILED"
