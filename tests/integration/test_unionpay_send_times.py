"""UnionPay against sandbox/unionpay, which refuses a txnTime more than 15 minutes from its
clock (as UnionPay refuses a stale one) and finds a transaction by orderId + its original
txnTime: every request is sent at the time stored with its attempt or refund, and a query names
it. A charge paid long after its order was closed is refunded automatically at once; a create
sent again long after its first answer was lost is accepted; a front order's failure is "not
paid yet" until its payTimeout; a payer's code whose outcome is unknown is never closed blind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paymux.channels.unionpay import transform
from paymux.channels.unionpay.client import UnionPayChannel
from paymux.domain.refund import automatic_refund_id
from paymux.errors import ChannelUnavailable
from paymux.services.payments import close_open_payment
from tests.integration.conftest import World
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside

HOUR = 3600.0


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


def test_a_charge_paid_an_hour_after_close_is_refunded_at_once(unionpay: UnionPayWorld) -> None:
    status, body = unionpay.create("unionpay.qr", amount=1500)
    assert status == 201, body
    status, closed = unionpay.world.close(body["id"])  # nobody scanned it yet: 34, closed
    assert status == 200 and closed["status"] == "CLOSED", closed
    order_id = unionpay.order_id(body["id"])
    unionpay.world.clock.advance(HOUR)  # the attempt's number is an hour old now

    unionpay.sandbox.pay(order_id)
    unionpay.deliver()

    refund = unionpay.world.d.refunds.get(automatic_refund_id(order_id))
    assert refund is not None and refund.sent_at is not None
    sent = unionpay.sandbox.transaction(refund.out_refund_no)  # the sandbox took the refund
    assert sent["txnType"] == "04" and sent["txnAmt"] == 1500
    assert sent["txnTime"] == transform.txn_time(refund.sent_at)
    assert refund.sent_at >= transform.issued_at(order_id) + HOUR
    unionpay.sandbox.complete_refunds()
    unionpay.deliver()
    settled = unionpay.world.d.refunds.get(refund.refund_id)  # its notify matched its send time
    assert settled is not None and settled.status == "SUCCESS"
    assert settled.channel_refund_no == sent["queryId"]


def test_a_create_sent_again_an_hour_after_its_lost_answer_is_taken_and_queried(
    unionpay: UnionPayWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = UnionPayChannel.create
    calls: list[str] = []

    def lost_once(self: UnionPayChannel, request):  # type: ignore[no-untyped-def]
        calls.append(request.out_trade_no)
        if len(calls) == 1:
            raise ChannelUnavailable("POST failed: ReadTimeout")  # never reached UnionPay
        return original(self, request)

    monkeypatch.setattr(UnionPayChannel, "create", lost_once)
    request = {"merchant_order_no": "ORDER-RESENT-1", "amount": 1200}
    status, lost = unionpay.create("unionpay.qr", **request)
    assert status == 503, lost
    unionpay.world.clock.advance(HOUR)

    status, body = unionpay.create("unionpay.qr", **request)  # the merchant asks again

    assert status == 200 and body["status"] == "PROCESSING" and body["action"]["type"] == "qr_code", body
    payment = unionpay.world.d.payments.get(body["id"])
    assert payment is not None and payment.sent_at is not None
    order_id = unionpay.order_id(body["id"])
    assert unionpay.sandbox.transaction(order_id)["txnTime"] == transform.txn_time(payment.sent_at)
    unionpay.sandbox.pay(order_id)
    _, queried = unionpay.world.get(body["id"], query="sync=true")  # by orderId + that txnTime
    assert queried["status"] == "SUCCESS"


@pytest.mark.parametrize("method", ["unionpay.gateway", "unionpay.wap"])
def test_a_front_failure_is_not_paid_yet_before_pay_timeout_and_final_after(
    unionpay: UnionPayWorld, method: str
) -> None:
    status, body = unionpay.create(method, expires_in=1800)
    assert status == 201, body
    assert unionpay.submit_form(body["action"]) == 200
    unionpay.sandbox.fail(unionpay.order_id(body["id"]), code="61")  # a wrong card number, say

    _, before = unionpay.world.get(body["id"], query="sync=true")
    assert before["status"] == "PROCESSING"  # the payer may try again until payTimeout
    events = [e["type"] for e in unionpay.world.d.payments.events(body["id"])]
    assert "payment.failed" not in events

    unionpay.world.clock.advance(1801)
    payment = unionpay.world.d.payments.get(body["id"])
    assert payment is not None
    assert close_open_payment(unionpay.world.d, payment, actor="expiry").status == "FAILED"


def test_closing_a_payer_code_whose_outcome_is_unknown_is_a_409_and_changes_nothing(
    unionpay: UnionPayWorld,
) -> None:
    unionpay.sandbox.script_payer_code("134567890123456799", "05")
    status, body = unionpay.create("unionpay.barcode", payer={"auth_code": "134567890123456799"})
    assert status == 201 and body["status"] == "PROCESSING", body
    before = unionpay.world.d.payments.get(body["id"])

    status, closed = unionpay.world.close(body["id"])

    assert status == 409, closed
    assert closed["error"]["code"] == "payment_outcome_unknown"
    assert closed["error"]["details"] == [{"payment_id": body["id"], "status": "PROCESSING"}]
    after = unionpay.world.d.payments.get(body["id"])
    assert after is not None and before is not None and after.version == before.version
    assert after.status == "PROCESSING"
