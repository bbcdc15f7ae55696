"""UnionPay end to end against sandbox/unionpay, in direct mode: per product create → pay →
notify accepted → query → refund (partial, repeated) → undo (the full amount on the payment's
clearing day); the payer-code consume's synchronous outcomes and its back ladder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paymux.channels.unionpay import transform
from paymux.clock import iso
from paymux.services.payments import close_open_payment, refresh_from_channel
from paymux.services.sweep_schedule import LADDER_GUARD
from tests.integration.conftest import World
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside

FRONT_LIKE = ("unionpay.qr", "unionpay.gateway", "unionpay.wap")


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


@pytest.mark.parametrize("method", FRONT_LIKE)
def test_create_pay_notify_query_refund_twice(unionpay: UnionPayWorld, method: str) -> None:
    status, body = unionpay.create(method, amount=1000)
    assert status == 201 and body["status"] == "PROCESSING", body
    order_id = unionpay.order_id(body["id"])
    action = body["action"]
    if method == "unionpay.qr":
        assert action["type"] == "qr_code"
        assert unionpay.sandbox.transaction(order_id)["qrCode"] == action["code_url"]
    else:
        assert action["type"] == "form_post" and action["url"].endswith(transform.FRONT_PATH)
        fields = action["fields"]
        assert fields["orderId"] == order_id and fields["txnAmt"] == "1000"
        assert fields["channelType"] == ("07" if method == "unionpay.gateway" else "08")
        assert fields["frontUrl"] == "https://merchant.example.com/paid" and fields["payTimeout"]
        assert unionpay.submit_form(action) == 200
    _, unpaid = unionpay.world.get(body["id"], query="sync=true")  # UnionPay: no such order yet
    assert unpaid["status"] == "PROCESSING"

    unionpay.sandbox.pay(order_id)
    unionpay.deliver()

    delivered = [a for a in unionpay.sandbox.notify_log if a.form.get("orderId") == order_id]
    assert [a.status for a in delivered] == [200]  # accepted at the first send
    payment = unionpay.world.d.payments.get(body["id"])
    assert payment is not None and payment.status == "SUCCESS"
    view = unionpay.sandbox.transaction(order_id)
    assert payment.channel_trade_no == view["queryId"]
    assert payment.settle_date == view["settleDate"]
    _, queried = unionpay.world.get(body["id"], query="sync=true")
    assert queried["status"] == "SUCCESS"

    refunds = []
    for amount in (300, 200):  # partial, then again: 04 refunds, each a new orderId
        status, refund = unionpay.refund(body["id"], amount)
        assert status == 201, refund
        unionpay.deliver()
        refunds.append(unionpay.get_refund(refund["id"]))
    assert [(r["amount"], r["status"]) for r in refunds] == [(300, "SUCCESS"), (200, "SUCCESS")]
    _, after = unionpay.world.get(body["id"])
    assert (after["status"], after["amount_refunded"], after["amount_refundable"]) == ("SUCCESS", 500, 500)
    assert unionpay.sandbox.transaction(order_id)["refunded"] == 500
    sent = [v for v in unionpay.sandbox.transactions.values() if v.get("origQryId") == view["queryId"]]
    assert sorted((v["txnType"], v["txnAmt"]) for v in sent) == [("04", 200), ("04", 300)]


@pytest.mark.parametrize("method", FRONT_LIKE)
def test_a_full_refund_on_the_clearing_day_is_an_undo(unionpay: UnionPayWorld, method: str) -> None:
    paid = unionpay.paid(method, amount=800)
    order_id = unionpay.order_id(paid["id"])

    status, refund = unionpay.refund(paid["id"], 800)
    assert status == 201, refund
    unionpay.deliver()

    assert unionpay.get_refund(refund["id"])["status"] == "SUCCESS"
    _, after = unionpay.world.get(paid["id"])
    assert (after["status"], after["amount_refunded"]) == ("REFUNDED", 800)
    view = unionpay.sandbox.transaction(order_id)
    assert view["undone"]
    undo = [v for v in unionpay.sandbox.transactions.values() if v.get("origQryId") == view["queryId"]]
    assert [(v["txnType"], v["txnAmt"]) for v in undo] == [("31", 800)]


def test_a_full_refund_on_a_later_clearing_day_is_a_refund(unionpay: UnionPayWorld) -> None:
    paid = unionpay.paid("unionpay.qr", amount=700)
    view = unionpay.sandbox.transaction(unionpay.order_id(paid["id"]))
    unionpay.world.clock.advance(86400)

    status, refund = unionpay.refund(paid["id"], 700)
    assert status == 201, refund
    unionpay.deliver()

    assert unionpay.get_refund(refund["id"])["status"] == "SUCCESS"
    sent = [v for v in unionpay.sandbox.transactions.values() if v.get("origQryId") == view["queryId"]]
    assert [(v["txnType"], v["txnAmt"]) for v in sent] == [("04", 700)]


def _barcode(unionpay: UnionPayWorld, code: str, answer: str) -> tuple[int, dict]:
    unionpay.sandbox.script_payer_code(code, answer)
    status, body = unionpay.create("unionpay.barcode", payer={"auth_code": code})
    return status, dict(body)


def test_a_payer_code_paid_at_once_is_success_at_create(unionpay: UnionPayWorld) -> None:
    status, body = _barcode(unionpay, "134567890123456789", "00")

    assert status == 201 and body["status"] == "SUCCESS", body
    assert body["action"] == {"type": "payer_code"}
    payment = unionpay.world.d.payments.get(body["id"])
    view = unionpay.sandbox.transaction(unionpay.order_id(body["id"]))
    assert payment is not None and payment.channel_trade_no == view["queryId"]
    events = [e["type"] for e in unionpay.world.d.payments.events(body["id"])]
    assert events == ["payment.created", "payment.submitted", "payment.succeeded"]


def test_a_payer_code_refused_fails_at_create(unionpay: UnionPayWorld) -> None:
    status, body = _barcode(unionpay, "134567890123456790", "30")

    assert body["status"] == "FAILED", (status, body)


@pytest.mark.parametrize(("outcome", "final"), [("pay", "SUCCESS"), ("fail", "FAILED")])
def test_a_payer_code_unknown_at_create_is_settled_by_query(
    unionpay: UnionPayWorld, outcome: str, final: str
) -> None:
    status, body = _barcode(unionpay, "134567890123456791", "04")
    assert status == 201 and body["status"] == "PROCESSING", body
    payment = unionpay.world.d.payments.get(body["id"])
    assert payment is not None
    assert refresh_from_channel(unionpay.world.d, payment, "active_query").status == "PROCESSING"

    getattr(unionpay.sandbox, outcome)(unionpay.order_id(body["id"]))
    unionpay.world.clock.advance(1)

    assert refresh_from_channel(unionpay.world.d, payment, "active_query").status == final


def test_a_payer_code_is_required(unionpay: UnionPayWorld) -> None:
    status, body = unionpay.create("unionpay.barcode")

    assert status == 422, body
    assert body["error"]["details"] == [
        {"field": "payer.auth_code", "message": "required by unionpay.barcode"}
    ]


@pytest.mark.parametrize(("method", "first_step"), [("unionpay.barcode", 1.0), ("unionpay.qr", 300.0)])
def test_the_first_check_is_the_products_first_ladder_step(
    unionpay: UnionPayWorld, method: str, first_step: float
) -> None:
    inputs = {"payer": {"auth_code": "134567890123456792"}} if method == "unionpay.barcode" else {}
    if method == "unionpay.barcode":
        unionpay.sandbox.script_payer_code("134567890123456792", "05")
    status, body = unionpay.create(method, **inputs)
    assert status == 201 and body["status"] == "PROCESSING", body
    payment = unionpay.world.d.payments.get(body["id"])
    assert payment is not None

    item = unionpay.world.d.dynamodb.get_item(
        TableName=unionpay.world.d.settings.table, Key={"PK": {"S": f"PAY#{body['id']}"}, "SK": {"S": "PAY"}}
    )["Item"]

    assert item["GSI1SK"]["S"].startswith(iso(payment.created_at + first_step + LADDER_GUARD))


def test_an_unpaid_qr_code_closes_at_its_expiry(unionpay: UnionPayWorld) -> None:
    status, body = unionpay.create("unionpay.qr", expires_in=600)
    assert status == 201, body
    payment = unionpay.world.d.payments.get(body["id"])
    assert payment is not None
    unionpay.world.clock.advance(601)

    closed = close_open_payment(unionpay.world.d, payment, actor="expiry")

    assert closed.status == "CLOSED"
    assert unionpay.sandbox.transaction(unionpay.order_id(body["id"])).get("origRespCode") != "00"


def test_a_refund_after_eleven_months_is_refused_before_anything_is_written(unionpay: UnionPayWorld) -> None:
    paid = unionpay.paid("unionpay.qr", amount=600)
    unionpay.world.clock.advance(331 * 86400)

    status, body = unionpay.refund(paid["id"], 100)

    assert status == 422 and body["error"]["code"] == "validation_failed", body
    _, after = unionpay.world.get(paid["id"])
    assert (after["amount_refunded"], after["amount_refundable"]) == (0, 600)
    assert unionpay.world.d.refunds.for_payment(paid["id"]) == []
