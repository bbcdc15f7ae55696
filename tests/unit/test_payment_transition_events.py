"""A payment transition writes its own audit event unless the change is another's (a refund's
settlement: Outcome without an event type), whose event rides in the same transaction: one
change, one event item."""

from __future__ import annotations

from typing import Any

from paymux.domain.payment import Payment
from paymux.domain.states import PaymentStatus
from paymux.store.payments import Outcome, PaymentStore

NOW = 1_796_000_000.0
REFUND_EVENT = {
    "Put": {
        "TableName": "t",
        "Item": {"PK": {"S": "PAY#pay_1"}, "SK": {"S": "EVT#REFUND#re_1#002"}},
        "ConditionExpression": "attribute_not_exists(PK)",
    }
}


class _Capture:
    """Keeps every write it is asked for (transactions and single updates succeed)."""

    def __init__(self) -> None:
        self.writes: list[list[dict[str, Any]]] = []

    def transact_write_items(self, TransactItems: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        self.writes.append(TransactItems)
        return {}

    def update_item(self, **update: Any) -> dict[str, Any]:
        self.writes.append([{"Update": update}])
        return {}


def _paid(amount_refunded: int = 0) -> Payment:
    return Payment(
        payment_id="pay_1",
        merchant_id="mch_1",
        app_id="app_1",
        merchant_order_no="SO-1",
        amount=1999,
        currency="CNY",
        method="wechat.native",
        subject="Coffee",
        description="",
        notify_url="https://shop.example.com/paymux/notify",
        request_hash="c" * 64,
        created_at=NOW,
        updated_at=NOW,
        expires_at=NOW + 7200,
        status=PaymentStatus.SUCCESS,
        version=3,
        amount_refunded=amount_refunded,
    )


def _event_keys(items: list[dict[str, Any]]) -> list[str]:
    return [
        i["Put"]["Item"]["SK"]["S"]
        for i in items
        if "Put" in i and i["Put"]["Item"]["SK"]["S"].startswith("EVT#")
    ]


def test_a_refunds_settlement_that_keeps_the_status_writes_only_the_refunds_event() -> None:
    client = _Capture()
    changes = {"amount_refunded": 500, "updated_at": NOW + 1}
    updated = PaymentStore(client, "t").transition(
        _paid(), PaymentStatus.SUCCESS, changes, Outcome(None, "channel", {}), extra_items=[REFUND_EVENT]
    )
    (items,) = client.writes
    assert _event_keys(items) == ["EVT#REFUND#re_1#002"]  # no EVT#000004 of the payment's
    update = items[0]["Update"]
    assert update["ConditionExpression"] == "#status = :expected_status AND #version = :expected_version"
    assert update["ExpressionAttributeValues"][":expected_version"] == {"N": "3"}
    assert (updated.version, updated.amount_refunded, updated.status) == (4, 500, PaymentStatus.SUCCESS)


def test_the_payments_own_status_change_with_a_refund_writes_its_event_once() -> None:
    client = _Capture()
    changes = {"amount_refunded": 1999, "updated_at": NOW + 1}
    outcome = Outcome("payment.refunded", "channel", {"refund_id": "re_1"})
    PaymentStore(client, "t").transition(
        _paid(), PaymentStatus.REFUNDED, changes, outcome, extra_items=[REFUND_EVENT]
    )
    (items,) = client.writes
    assert _event_keys(items) == ["EVT#000004", "EVT#REFUND#re_1#002"]
    (event,) = [i["Put"]["Item"] for i in items if "Put" in i and i["Put"]["Item"]["SK"]["S"] == "EVT#000004"]
    assert (event["type"], event["from_status"], event["to_status"]) == (
        {"S": "payment.refunded"},
        {"S": "SUCCESS"},
        {"S": "REFUNDED"},
    )
