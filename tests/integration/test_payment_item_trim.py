"""A payment item holds only what differs from the defaults its reader restores, also after its
transitions: a transition sets only the attributes it changes (a direct-mode payment's empty
sub-merchant fields are never written, though every paid transition names its route)."""

from __future__ import annotations

from tests.integration.conftest import World


def test_a_paid_direct_payment_item_keeps_no_empty_sub_merchant_fields(world: World):
    _, created = world.create()
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    assert world.sandbox.wait_for_callbacks(timeout=10)

    key = {"PK": {"S": f"PAY#{created['id']}"}, "SK": {"S": "PAY"}}
    item = world.d.dynamodb.get_item(TableName=world.d.settings.table, Key=key, ConsistentRead=True)["Item"]
    assert {"binding_id", "sub_mchid", "sub_appid"} & set(item) == set()
    assert item["status"] == {"S": "SUCCESS"} and item["channel_trade_no"]["S"]
    payment = world.d.payments.get(created["id"])
    assert payment is not None and (payment.binding_id, payment.sub_mchid, payment.sub_appid) == ("", "", "")
