"""A create answer that already says the outcome (CreateResult.trade: a payer's code is paid or
refused synchronously) is applied like a query answer: PAID ends the payment SUCCESS with the
merchant notified once, FAILED fails it, and one that disagrees with the order changes nothing
but is recorded for operators."""

from __future__ import annotations

import pytest

from paymux.channels.base import CreateRequest, CreateResult, TradeResult, TradeState
from paymux.channels.wechat.client import WeChatPayChannel
from tests.integration.conftest import World


def _answering(
    monkeypatch: pytest.MonkeyPatch, world: World, state: TradeState, amount_delta: int = 0
) -> None:
    original = WeChatPayChannel.create

    def create(self: WeChatPayChannel, request: CreateRequest) -> CreateResult:
        made = original(self, request)
        trade = TradeResult(
            out_trade_no=request.out_trade_no,
            state=state,
            amount=request.amount + amount_delta,
            currency="CNY",
            channel_trade_no="4200000000SYNC" if state == TradeState.PAID else "",
            paid_at=world.clock() if state == TradeState.PAID else None,
            mchid=world.mchid,
            appid=world.appid,
            raw_state="SYNC",
        )
        return CreateResult(made.action, trade=trade)

    monkeypatch.setattr(WeChatPayChannel, "create", create)


def _notified(world: World, payment_id: str) -> list[str]:
    """The types of the payment's outbox notifications (what the merchant is told)."""
    items = world.d.dynamodb.query(
        TableName=world.d.settings.table,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :ntf)",
        ExpressionAttributeValues={":pk": {"S": f"PAY#{payment_id}"}, ":ntf": {"S": "NTF#"}},
    )["Items"]
    return [item["type"]["S"] for item in items]


def test_paid_at_create_ends_success_and_notifies_once(world: World, monkeypatch: pytest.MonkeyPatch):
    _answering(monkeypatch, world, TradeState.PAID)

    status, body = world.create()

    assert status == 201, body
    assert body["status"] == "SUCCESS"
    payment = world.d.payments.get(body["id"])
    assert payment is not None and payment.channel_trade_no == "4200000000SYNC"
    events = [e["type"] for e in world.d.payments.events(body["id"])]
    assert events == ["payment.created", "payment.submitted", "payment.succeeded"]
    assert _notified(world, body["id"]) == ["payment.succeeded"]


def test_failed_at_create_fails_the_payment(world: World, monkeypatch: pytest.MonkeyPatch):
    _answering(monkeypatch, world, TradeState.FAILED)

    status, body = world.create()

    assert body["status"] == "FAILED", (status, body)
    assert _notified(world, body["id"]) == ["payment.failed"]


def test_paid_at_create_with_another_amount_changes_nothing(world: World, monkeypatch: pytest.MonkeyPatch):
    _answering(monkeypatch, world, TradeState.PAID, amount_delta=1)

    status, body = world.create()

    assert status == 201 and body["status"] == "PROCESSING", body
    assert _notified(world, body["id"]) == []
    exceptions = world.d.dynamodb.scan(
        TableName=world.d.settings.table,
        FilterExpression="begins_with(PK, :p)",
        ExpressionAttributeValues={":p": {"S": "EXC#"}},
    )["Items"]
    assert [e["kind"]["S"] for e in exceptions] == ["trade_mismatch"]
