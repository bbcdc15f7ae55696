"""The sharded keys and the new item layouts on the moto table built from template.yaml (its
projections included): a busy account's day spreads over shards and reconciliation still reads
every payment of it, exceptions spread over shards and list newest first with none lost or
repeated, and items written in the layout before (commit 44ef121) still read the same."""

from __future__ import annotations

import json
import zlib
from dataclasses import replace
from typing import Any

from paymux.domain.ids import attempt_out_trade_no, new_payment_id
from paymux.domain.payment import Payment
from paymux.domain.states import PaymentStatus
from paymux.services.exceptions import list_exceptions
from paymux.store.dynamo import to_item
from paymux.store.exceptions import record_exception
from paymux.store.payment_keys import paid_day
from paymux.store.payments import Outcome
from tests.integration.conftest import World

ACCOUNT = "wx-busy"


def _payment(world: World, n: int) -> Payment:
    now = world.clock()
    payment_id = new_payment_id(now)
    return Payment(
        payment_id=payment_id,
        merchant_id="mch_busy",
        app_id="app_busy",
        merchant_order_no=f"ORD-{n}",
        amount=100 + n,
        currency="CNY",
        method="wechat.native",
        subject="coffee",
        notify_url="https://merchant.example.com/notify",
        request_hash=f"{n:064d}",
        created_at=now,
        updated_at=now,
        expires_at=now + 7200,
        provider="wechat",
        account_id=ACCOUNT,
        out_trade_no=attempt_out_trade_no(payment_id, 1),
        attempt_count=1,
    )


def _paid(world: World, payment: Payment, paid_at: float) -> Payment:
    attempt = {"out_trade_no": payment.out_trade_no, "payment_id": payment.payment_id, "account_id": ACCOUNT}
    world.d.payments.create(payment, attempt, world.clock() + 60)
    changes = {"paid_at": paid_at, "channel_trade_no": f"42{payment.amount}", "updated_at": world.clock()}
    return world.d.payments.transition(
        payment, PaymentStatus.SUCCESS, changes, Outcome("payment.succeeded", "t", {})
    )


def _scan(world: World, **kwargs: Any) -> list[dict[str, Any]]:
    return world.d.dynamodb.scan(TableName=world.d.settings.table, ConsistentRead=True, **kwargs)["Items"]


def test_a_busy_accounts_day_lands_on_many_keys_and_reconciliation_reads_them_all(world: World) -> None:
    paid_at = world.clock()
    paid = [_paid(world, _payment(world, n), paid_at + n) for n in range(48)]
    keys = {i["GSI3PK"]["S"] for i in _scan(world, FilterExpression="attribute_exists(GSI3PK)")}
    assert len(keys) >= 10  # 48 payments over 16 shards of one account and day
    day = paid_day(paid_at)
    found = world.d.payments.paid_on(ACCOUNT, day)
    assert sorted(p.payment_id for p in found) == sorted(p.payment_id for p in paid)
    assert {p.payment_id: p.amount for p in found} == {p.payment_id: p.amount for p in paid}


def test_exceptions_spread_over_shards_and_list_newest_first(world: World) -> None:
    recorded = []
    for n in range(40):
        world.clock.now += 1
        record_exception(world.d, "unknown_order", f"trade-{n}", {"n": n})
        recorded.append(f"trade-{n}")
    keys = {
        i["GSI2PK"]["S"]
        for i in _scan(
            world, FilterExpression="begins_with(PK, :p)", ExpressionAttributeValues={":p": {"S": "EXC#"}}
        )
    }
    assert len(keys) >= 4 and all(k.startswith("EXCEPTIONS#") for k in keys)
    newest = list(reversed(recorded))
    for limit in (1, 7, 39, 40, 100):
        listed = list_exceptions(world.d, limit=limit)
        assert [e["subject"] for e in listed] == newest[:limit]
        assert listed[0]["detail"] == {"n": 39} and listed[0]["kind"] == "unknown_order"
    assert [e["subject"] for e in list_exceptions(world.d, limit=5, kind="other")] == []


def _old_payment_item(payment: Payment, paid_at: float) -> dict[str, Any]:
    """A paid payment as 44ef121 wrote it: every attribute, MERCHANT# and the unsharded PAID# key."""
    values = {**payment.to_dict(), "status": "SUCCESS", "paid_at": paid_at, "version": 2}
    return to_item(
        {
            "PK": f"PAY#{payment.payment_id}",
            "SK": "PAY",
            **values,
            "GSI2PK": f"MERCHANT#{payment.merchant_id}",
            "GSI2SK": f"2026-11-28T00:00:00Z#{payment.payment_id}",
            "GSI3PK": f"PAID#{ACCOUNT}#{paid_day(paid_at).isoformat()}",
            "GSI3SK": payment.payment_id,
        }
    )


def test_items_in_the_old_layout_read_the_same(world: World) -> None:
    table, put = world.d.settings.table, world.d.dynamodb.put_item
    payment = replace(_payment(world, 1), metadata={"k": "v"})
    paid_at = world.clock()
    put(TableName=table, Item=_old_payment_item(payment, paid_at))
    attempt = {"out_trade_no": payment.out_trade_no, "payment_id": payment.payment_id, "account_id": ACCOUNT}
    put(TableName=table, Item=to_item({"PK": f"ATTEMPT#{payment.out_trade_no}", "SK": "ATTEMPT", **attempt}))
    record = {
        "PK": "EXC#old",
        "SK": "EXC",
        "kind": "trade_mismatch",
        "subject": "s",
        "detail": "{}",
        "at": paid_at,
    }
    put(
        TableName=table,
        Item=to_item({**record, "GSI2PK": "EXCEPTIONS", "GSI2SK": "2026-11-28T00:00:00Z#x#s"}),
    )
    ntf = f"evt_{payment.payment_id.removeprefix('pay_')}"
    body = json.dumps({"id": ntf, "type": "payment.succeeded"})
    notification = {
        "PK": f"PAY#{payment.payment_id}",
        "SK": f"NTF#{ntf}",
        "notification_id": ntf,
        "payment_id": payment.payment_id,
        "merchant_id": payment.merchant_id,
        "app_id": payment.app_id,
        "type": "payment.succeeded",
        "notify_url": payment.notify_url,
        "payload": body,
        "created_at": paid_at,
        "status": "delivered",
        "attempts": 1,
        "GSI2PK": f"NTF#{ntf}",
        "GSI2SK": payment.payment_id,
    }
    put(TableName=table, Item=to_item(notification))
    attempt_item = {
        "PK": notification["PK"],
        "SK": f"NTF#{ntf}#ATT#01",
        "attempt": 1,
        "at": paid_at,
        "status_code": 200,
    }
    put(TableName=table, Item=to_item(attempt_item))

    stored = world.d.payments.get(payment.payment_id)
    assert stored == replace(payment, status=PaymentStatus.SUCCESS, paid_at=paid_at, version=2)
    assert [p.payment_id for p in world.d.payments.paid_on(ACCOUNT, paid_day(paid_at))] == [
        payment.payment_id
    ]
    assert world.d.payments.get_attempt(payment.out_trade_no) == {
        "PK": f"ATTEMPT#{payment.out_trade_no}",
        "SK": "ATTEMPT",
        **attempt,
    }
    assert [e["kind"] for e in list_exceptions(world.d)] == ["trade_mismatch"]
    (listed,) = world.d.notifications.for_payment(payment.payment_id)
    assert listed["payload"] == body and [a["status_code"] for a in listed["attempt_log"]] == [200]
    found = world.d.notifications.find(ntf)
    assert found is not None and found["payload"] == body


def test_a_new_notification_is_compressed_and_keeps_its_attempts_inline(world: World) -> None:
    status, created = world.create()
    assert status == 201
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    assert world.sandbox.wait_for_callbacks(timeout=10)
    (stored,) = _scan(
        world,
        FilterExpression="PK = :pk AND begins_with(SK, :n)",
        ExpressionAttributeValues={":pk": {"S": f"PAY#{created['id']}"}, ":n": {"S": "NTF#"}},
    )
    assert "payload" not in stored
    assert json.loads(zlib.decompress(stored["payload_z"]["B"]))["data"]["object"]["id"] == created["id"]
    notification = world.d.notifications.for_payment(created["id"])[0]
    world.d.notifications.record_attempt(
        notification, 1, {"at": world.clock(), "status_code": 200}, "delivered"
    )
    (after,) = world.d.notifications.for_payment(created["id"])
    assert after["status"] == "delivered" and [a["attempt"] for a in after["attempt_log"]] == [1]
    assert not [i for i in _scan(world) if "#ATT#" in i["SK"]["S"]]
    assert world.d.notifications.find(notification["notification_id"])["payment_id"] == created["id"]
