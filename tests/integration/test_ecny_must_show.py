"""Issue 15's e-CNY must-show list beside test_ecny_lifecycle: forged and tampered notifies
rejected with nothing changed (then the genuine one pays, once however often it comes); a
payment arriving after its order expired refunded automatically; the sub-merchant mode, where
the money is the sub-merchant's own at Huifu."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from paymux.domain.refund import automatic_refund_id
from sandbox.huifu.keys import new_key, sign_text
from sandbox.huifu.orders import beijing
from tests.integration.conftest import World
from tests.integration.huifu_world import HuifuWorld, huifu_beside
from tests.support import run_sweeper


@pytest.fixture
def huifu(world: World) -> Iterator[HuifuWorld]:
    yield from huifu_beside(world)


def _unpaid(huifu: HuifuWorld, amount: int = 1234) -> tuple[str, str]:
    status, body = huifu.create("ecny.qr", amount=amount)
    assert status == 201 and body["status"] == "PROCESSING", body
    return str(body["id"]), huifu.req_seq_id(body["id"])


def _paid_data(huifu: HuifuWorld, number: str, **changes: Any) -> dict[str, Any]:
    """resp_data of a paid notify of `number`, as Huifu writes it."""
    order = huifu.sandbox.order(number)
    now = huifu.world.clock()
    data = {
        "resp_code": "00000000", "resp_desc": "处理成功", "huifu_id": order.huifu_id,
        "req_seq_id": number, "req_date": order.req_date, "trans_type": "D_NATIVE",
        "hf_seq_id": order.hf_seq_id, "trans_amt": "12.34", "trans_stat": "S",
        "end_time": beijing(now), "acct_date": order.req_date, "is_div": "0", "is_delay_acct": "0",
    }  # fmt: skip
    return {**data, **changes}


def _variants(huifu: HuifuWorld, number: str) -> dict[str, Callable[[dict[str, str]], dict[str, str]]]:
    other_key = new_key()
    signed = huifu.sandbox.notice_form

    def genuine(**changes: Any) -> Callable[[dict[str, str]], dict[str, str]]:
        return lambda _form: signed(_paid_data(huifu, number, **changes))

    return {
        "forged: signed with another key": lambda f: f | {"sign": sign_text(other_key, f["resp_data"])},
        "tampered: amount raised after signing": lambda f: f
        | {"resp_data": f["resp_data"].replace('"trans_amt":"12.34"', '"trans_amt":"99.99"')},
        "tampered: one space added": lambda f: f | {"resp_data": f["resp_data"].replace(",", ", ", 1)},
        "unsigned": lambda f: {k: v for k, v in f.items() if k != "sign"},
        "signature of another notify": lambda f: f | {"sign": signed(_paid_data(huifu, number, trans_amt="0.01"))["sign"]},
        "sign not base64": lambda f: f | {"sign": "%%%"},
        "another merchant's, genuinely signed": genuine(huifu_id="6666000199999999"),
        "another amount, genuinely signed": genuine(trans_amt="12.35"),
        "another req_date, genuinely signed": genuine(req_date="20200101"),
        "another wallet's trans_type": genuine(trans_type="T_NATIVE"),
        "a number paymux never issued": genuine(req_seq_id="20240514163256046l9da4"),
        "a refund of another pay_channel, genuinely signed": genuine(trans_type="TRANS_REFUND", pay_channel="T"),
        "a refund notify with an error code, genuinely signed": genuine(
            trans_type="TRANS_REFUND", resp_code="99999999"
        ),
        "resp_data not JSON": lambda f: signed({}) | {"resp_data": "not json", "sign": sign_text(huifu.sandbox._key, "not json")},
    }  # fmt: skip


def _state(huifu: HuifuWorld, payment_id: str) -> tuple[str, int]:
    payment = huifu.world.d.payments.get(payment_id)
    assert payment is not None
    return payment.status.value, len(huifu.world.d.payments.events(payment_id))


def test_no_notify_that_is_not_genuine_changes_anything_then_the_genuine_one_pays_once(
    huifu: HuifuWorld,
) -> None:
    payment_id, number = _unpaid(huifu)
    form = huifu.sandbox.notice_form(_paid_data(huifu, number))
    before = _state(huifu, payment_id)

    replies = {name: huifu.post_notify(variant(form)) for name, variant in _variants(huifu, number).items()}

    assert {n: r["statusCode"] for n, r in replies.items() if r["statusCode"] == 200} == {}
    assert all("RECV_ORD_ID_" not in r["body"] for r in replies.values())
    assert _state(huifu, payment_id) == before and before[0] == "PROCESSING"
    first, again = huifu.post_notify(form), huifu.post_notify(form)  # Huifu may send it twice
    assert (first["statusCode"], first["body"]) == (200, "RECV_ORD_ID_" + number)
    assert (again["statusCode"], again["body"]) == (200, "RECV_ORD_ID_" + number)
    events = [e["type"] for e in huifu.world.d.payments.events(payment_id)]
    assert _state(huifu, payment_id)[0] == "SUCCESS" and events.count("payment.succeeded") == 1


def test_an_unanswered_notify_is_sent_again_at_most_three_times(huifu: HuifuWorld) -> None:
    payment_id, number = _unpaid(huifu)
    huifu.world.catcher.forward = False  # the merchant end answers 500
    huifu.sandbox.pay(number)
    for _ in range(4):
        huifu.world.clock.advance(400)  # past every resend's (scaled) delay
        if huifu.sandbox.wait_for_notifies(timeout=2):
            break
    sends = [a.send for a in huifu.sandbox.notify_log if a.req_seq_id == number]
    assert sends == [1, 2, 3, 4]
    _, queried = huifu.world.get(payment_id, query="sync=true")  # the query carries it
    assert queried["status"] == "SUCCESS"


def test_a_payment_arriving_after_its_order_expired_is_refunded_automatically(huifu: HuifuWorld) -> None:
    status, body = huifu.create("ecny.qr", amount=4321, expires_in=600)
    assert status == 201, body
    number = huifu.req_seq_id(body["id"])
    huifu.world.clock.advance(601)
    run_sweeper()  # expiry: nothing to close at Huifu; its query says the order timed out
    assert _state(huifu, body["id"])[0] == "CLOSED"

    huifu.sandbox.pay_late(number)  # the wallet's payment lands after the expiry
    huifu.deliver()

    refund = huifu.world.d.refunds.get(automatic_refund_id(number))
    assert refund is not None and refund.kind == "automatic"
    assert (refund.status, refund.amount) == ("SUCCESS", 4321)
    (placed,) = huifu.sandbox.order(number).refunds
    assert (placed.req_seq_id, placed.amount, placed.stat) == (refund.out_refund_no, 4321, "S")
    _, payment = huifu.world.get(body["id"])
    assert payment["status"] == "CLOSED" and payment["amount_refunded"] == 0
    events = [e["type"] for e in huifu.world.d.payments.events(body["id"])]
    assert "payment.paid_after_close" in events


def test_a_sub_merchants_payment_is_its_own_at_huifu_and_a_notify_of_another_changes_nothing(
    huifu: HuifuWorld,
) -> None:
    binding = huifu.provider("6666000100000001")
    payment_id, number = _unpaid(huifu, 1234)
    order = huifu.sandbox.order(number)
    assert order.huifu_id == "6666000100000001"  # signed by the provider's sys_id, for the sub-merchant
    other = huifu.sandbox.notice_form(_paid_data(huifu, number, huifu_id="6666000100000002"))
    account_id = str(binding["account_id"])

    refused = huifu.post_notify(other, account_id)

    assert refused["statusCode"] != 200 and _state(huifu, payment_id)[0] == "PROCESSING"
    genuine = huifu.post_notify(huifu.sandbox.notice_form(_paid_data(huifu, number)), account_id)
    assert (genuine["statusCode"], genuine["body"]) == (200, "RECV_ORD_ID_" + number)
    assert _state(huifu, payment_id)[0] == "SUCCESS"


def test_a_late_payment_whose_notifies_are_all_lost_is_found_by_the_watch_and_refunded(
    huifu: HuifuWorld,
) -> None:
    status, body = huifu.create("ecny.qr", amount=1500, expires_in=600)
    assert status == 201, body
    number = huifu.req_seq_id(body["id"])
    huifu.world.clock.advance(601)
    run_sweeper()
    closed = huifu.world.d.payments.get(body["id"])
    assert closed is not None and closed.status.value == "CLOSED"
    assert closed.watch_until > huifu.world.clock()  # Huifu cannot close it: it is still asked
    huifu.world.catcher.forward = False  # every notify of the late payment goes unanswered
    huifu.sandbox.pay_late(number)

    huifu.world.clock.advance(3600)
    run_sweeper()  # the watch's query finds the charge: refunded automatically

    refund = huifu.world.d.refunds.get(automatic_refund_id(number))
    assert refund is not None and refund.amount == 1500
    (placed,) = huifu.sandbox.order(number).refunds
    assert (placed.req_seq_id, placed.amount) == (refund.out_refund_no, 1500)
    assert huifu.world.d.payments.get(body["id"]).status.value == "CLOSED"
