"""UnionPay through an acquirer (provider mode, accessType 1): the merchant is the acquirer's
sub-merchant (its own merId); orders, notifies, queries and refunds name it, and a notify of
the acquirer about another of its sub-merchants is refused for this order, changing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from paymux.channels.unionpay import transform
from tests.integration.conftest import World, callback_event
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside
from tests.support import invoke

SUB_MER_ID = "898110000000001"


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


def test_a_sub_merchant_pays_and_refunds_through_the_acquirer(unionpay: UnionPayWorld) -> None:
    binding = unionpay.acquirer(SUB_MER_ID)

    status, body = unionpay.create("unionpay.qr", amount=900)
    assert status == 201, body
    payment = unionpay.world.d.payments.get(body["id"])
    assert payment is not None and payment.binding_id == binding["binding_id"]
    order_id = payment.out_trade_no
    view = unionpay.sandbox.transaction(order_id, mer_id=SUB_MER_ID)
    assert view["merId"] == SUB_MER_ID

    unionpay.sandbox.pay(order_id, mer_id=SUB_MER_ID)
    unionpay.deliver()

    _, paid = unionpay.world.get(body["id"], query="sync=true")
    assert paid["status"] == "SUCCESS", paid
    notified = [a for a in unionpay.sandbox.notify_log if a.form.get("orderId") == order_id]
    assert [(a.form["merId"], a.status) for a in notified] == [(SUB_MER_ID, 200)]
    status, refund = unionpay.refund(body["id"], 400)
    assert status == 201, refund
    unionpay.deliver()
    assert unionpay.get_refund(refund["id"])["status"] == "SUCCESS"
    assert unionpay.sandbox.transaction(order_id, mer_id=SUB_MER_ID)["refunded"] == 400


def test_a_notify_for_another_sub_merchant_is_refused(unionpay: UnionPayWorld) -> None:
    binding = unionpay.acquirer(SUB_MER_ID)
    unionpay.sandbox.add_sub_merchant(_acq(unionpay, binding), "898110000000002")
    status, body = unionpay.create("unionpay.qr", amount=900)
    assert status == 201, body
    order_id = unionpay.order_id(body["id"])
    sent = transform.txn_time(transform.issued_at(order_id))
    fields = {
        "accessType": "1",
        "acqInsCode": _acq(unionpay, binding),
        "bizType": "000000",
        "currencyCode": "156",
        "encoding": "UTF-8",
        "merId": "898110000000002",  # the acquirer's other sub-merchant
        "orderId": order_id,
        "queryId": "7822" + sent[2:] + "000002",
        "respCode": "00",
        "respMsg": "成功[0000000]",
        "settleDate": sent[4:8],
        "txnAmt": "900",
        "txnSubType": "07",
        "txnTime": sent,
        "txnType": "01",
        "version": "5.1.0",
    }
    event = callback_event(
        binding["account_id"],
        {"Content-Type": "application/x-www-form-urlencoded"},
        urlencode(unionpay.sandbox.sign(fields)).encode(),
        provider="unionpay",
    )

    assert invoke("channel_callback", event)["statusCode"] != 200

    payment = unionpay.world.d.payments.get(body["id"])
    assert payment is not None and payment.status == "PROCESSING" and payment.version == 2
    recorded = unionpay.world.d.dynamodb.scan(
        TableName=unionpay.world.d.settings.table,
        FilterExpression="begins_with(PK, :p)",
        ExpressionAttributeValues={":p": {"S": "EXC#"}},
    )["Items"]
    assert [(e["kind"]["S"], "sub-merchant id 898110000000002" in e["detail"]["S"]) for e in recorded] == [
        ("trade_mismatch", True)
    ]


def _acq(unionpay: UnionPayWorld, binding: dict[str, object]) -> str:
    account = unionpay.world.d.channel_config.account(str(binding["account_id"]))
    assert account is not None
    return account.mchid
