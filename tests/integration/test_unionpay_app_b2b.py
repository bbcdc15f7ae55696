"""unionpay.app (手机控件支付) and unionpay.b2b (企业网银) end to end against sandbox/unionpay:
what goes on the wire (endpoint, txnType/txnSubType, bizType, channelType, bizScene), the tn
the merchant's app gets, pay → notify → query → refunds, B2B refunds always 退货 (04), and
every notify that is not genuine refused with nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from paymux.channels.unionpay import transform
from paymux.services.routes import attempt_route, route_channel
from tests import unionpay_keys as keys
from tests.integration.conftest import World
from tests.integration.test_unionpay_notifies import REJECTED, _post, _state
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside

# (bizType, channelType) each product's consume carries, as UnionPay's demos send them
WIRE = {"unionpay.app": ("000201", "08"), "unionpay.b2b": ("000202", "07")}


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


def _sent_against(unionpay: UnionPayWorld, query_id: str) -> list[tuple[str, int]]:
    views = unionpay.sandbox.transactions.values()
    return sorted((v["txnType"], v["txnAmt"]) for v in views if v.get("origQryId") == query_id)


def test_an_app_consume_is_sent_to_app_trans_req_and_its_tn_is_the_action(unionpay: UnionPayWorld) -> None:
    status, body = unionpay.create("unionpay.app", amount=1500)
    assert status == 201 and body["status"] == "PROCESSING", body
    order_id = unionpay.order_id(body["id"])
    view = unionpay.sandbox.transaction(order_id)  # the sandbox's appTransReq.do stored it
    assert body["action"] == {"type": "unionpay_app", "tn": view["tn"]} and len(view["tn"]) == 21
    assert (view["txnType"], view["txnSubType"], view["bizType"], view["channelType"]) == (
        "01", "01", "000201", "08",
    )  # fmt: skip
    assert view["txnAmt"] == 1500 and view["payTimeout"] and view["frontUrl"] == ""
    _, unpaid = unionpay.world.get(body["id"], query="sync=true")
    assert unpaid["status"] == "PROCESSING"

    unionpay.sandbox.pay(order_id)  # the payer pays in UnionPay's app SDK
    unionpay.deliver()

    payment = unionpay.world.d.payments.get(body["id"])
    assert payment is not None and payment.status == "SUCCESS"
    assert payment.channel_trade_no == unionpay.sandbox.transaction(order_id)["queryId"]
    assert unionpay.world.get(body["id"], query="sync=true")[1]["status"] == "SUCCESS"
    for amount in (400, 1100):  # partial, then the rest: 04 refunds; the full one is no undo
        status, refund = unionpay.refund(body["id"], amount)
        assert status == 201, refund
        unionpay.deliver()
        assert unionpay.get_refund(refund["id"])["status"] == "SUCCESS"
    assert _sent_against(unionpay, payment.channel_trade_no) == [("04", 400), ("04", 1100)]
    assert unionpay.world.get(body["id"])[1]["status"] == "REFUNDED"


def test_a_full_app_refund_on_its_clearing_day_is_an_undo(unionpay: UnionPayWorld) -> None:
    paid = unionpay.paid("unionpay.app", amount=900)
    view = unionpay.sandbox.transaction(unionpay.order_id(paid["id"]))

    status, refund = unionpay.refund(paid["id"], 900)
    assert status == 201, refund
    unionpay.deliver()

    assert unionpay.get_refund(refund["id"])["status"] == "SUCCESS"
    assert _sent_against(unionpay, view["queryId"]) == [("31", 900)]


def test_a_b2b_consume_is_the_gateway_form_with_bizType_000202(unionpay: UnionPayWorld) -> None:
    status, body = unionpay.create("unionpay.b2b", amount=250000)
    assert status == 201 and body["status"] == "PROCESSING", body
    action = body["action"]
    assert action["type"] == "form_post" and action["url"].endswith(transform.FRONT_PATH)
    fields = action["fields"]
    assert (fields["txnType"], fields["txnSubType"], fields["bizType"], fields["channelType"]) == (
        "01", "01", "000202", "07",
    )  # fmt: skip
    assert fields["bizScene"] == "110001" and fields["payTimeout"] and fields["signature"]
    assert fields["frontUrl"] == "https://merchant.example.com/paid"
    assert unionpay.submit_form(action) == 200
    order_id = unionpay.order_id(body["id"])
    assert unionpay.sandbox.transaction(order_id)["bizType"] == "000202"

    unionpay.sandbox.pay(order_id)
    unionpay.deliver()

    assert unionpay.world.get(body["id"], query="sync=true")[1]["status"] == "SUCCESS"


def test_a_full_b2b_refund_on_its_clearing_day_is_a_refund_not_an_undo(unionpay: UnionPayWorld) -> None:
    paid = unionpay.paid("unionpay.b2b", amount=5000)
    view = unionpay.sandbox.transaction(unionpay.order_id(paid["id"]))

    status, refund = unionpay.refund(paid["id"], 5000)
    assert status == 201, refund
    unionpay.deliver()

    assert unionpay.get_refund(refund["id"])["status"] == "SUCCESS"
    assert _sent_against(unionpay, view["queryId"]) == [("04", 5000)]
    _, after = unionpay.world.get(paid["id"])
    assert (after["status"], after["amount_refunded"]) == ("REFUNDED", 5000)


def test_the_days_file_lists_app_and_b2b_payments_and_the_b2b_refund(unionpay: UnionPayWorld) -> None:
    paid = [unionpay.paid("unionpay.app", amount=3100), unionpay.paid("unionpay.b2b", amount=420000)]
    status, refund = unionpay.refund(paid[1]["id"], 420000)
    assert status == 201, refund
    unionpay.deliver()
    first = unionpay.world.d.payments.get(paid[0]["id"])
    assert first is not None
    day = date.fromisoformat(first.settle_date)
    channel = route_channel(unionpay.world.d, attempt_route(unionpay.world.d, first))
    unionpay.sandbox.set_file_ready(day, True)

    bill = channel.fetch_statement(day)

    assert bill is not None
    orders = [unionpay.order_id(p["id"]) for p in paid]
    rows = {(r.kind, r.out_trade_no, r.out_refund_no, r.amount) for r in bill.rows}
    assert rows == {
        ("payment", orders[0], "", 3100),
        ("payment", orders[1], "", 420000),
        ("refund", orders[1], refund["id"].removeprefix("re_"), 420000),
    }
    kinds = {(v["orderId"], v["txnType"]) for v in unionpay.sandbox.statement_rows(unionpay.mer_id, day)}
    assert {t for _, t in kinds} == {"01", "04"}  # the B2B refund is a 退货, not an undo


def _paid_notify(unionpay: UnionPayWorld, method: str, payment_id: str) -> dict[str, str]:
    """An unsigned paid notify of `payment_id`; the account then trusts the test CA."""
    d = unionpay.world.d
    credentials = dict(d.channel_config.credentials(unionpay.account.account_id))
    chain = keys.unionpay_chain()
    d.channel_config.put_account(
        unionpay.account, credentials | {"root_cert": chain.root_pem, "middle_cert": chain.middle_pem}
    )
    order_id = unionpay.order_id(payment_id)
    sent = transform.txn_time(transform.issued_at(order_id))
    return {
        "accessType": "0", "bizType": WIRE[method][0], "currencyCode": "156", "encoding": "UTF-8",
        "merId": unionpay.mer_id, "orderId": order_id, "queryId": "7822" + sent[2:] + "000001",
        "respCode": "00", "respMsg": "成功[0000000]", "settleAmt": "1234", "settleCurrencyCode": "156",
        "settleDate": sent[4:8], "signMethod": "01", "traceNo": "067402", "traceTime": sent[4:],
        "txnAmt": "1234", "txnSubType": "01", "txnTime": sent, "txnType": "01", "version": "5.1.0",
    }  # fmt: skip


@pytest.mark.parametrize("method", list(WIRE))
def test_every_notify_that_is_not_genuine_changes_nothing_then_the_genuine_one_pays(
    unionpay: UnionPayWorld, method: str
) -> None:
    status, body = unionpay.create(method, amount=1234)
    assert status == 201 and body["status"] == "PROCESSING", body
    if body["action"]["type"] == "form_post":
        assert unionpay.submit_form(body["action"]) == 200
    fields = _paid_notify(unionpay, method, body["id"])
    before = _state(unionpay, body["id"])

    refused = {name: _post(unionpay, variant(fields)) for name, variant in REJECTED.items()}

    assert [name for name, status in refused.items() if status == 200] == []
    assert _state(unionpay, body["id"]) == before and before[0] == "PROCESSING"
    assert _post(unionpay, keys.sign_as_unionpay(fields)) == 200
    assert _state(unionpay, body["id"])[0] == "SUCCESS"
