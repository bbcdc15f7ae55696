"""The payer-code reversal (services/reversal) against the sandboxes, where it meets a payer or a
pay call: a payer who confirms while the reverse is on its way, a PAID applied before the
reversal claims the payment, and a pay call whose answer was lost and whose trade appears after
"order does not exist". The races are driven deterministically by wrapping the channel's own
calls; nothing sleeps."""

from __future__ import annotations

from typing import Any

import pytest

from paymux.channels.alipay.client import AlipayChannel
from paymux.channels.http import HttpResponse, RequestsHttpClient
from paymux.channels.wechat.client import WeChatPayChannel
from paymux.errors import ChannelUnavailable
from paymux.services.payments import refresh_from_channel
from tests.integration.barcode_world import (
    ALIPAY_CODE,
    WECHAT_CODE,
    event_types,
    hold_sweep_messages,
    run_ladder,
    sweep_at,
)
from tests.integration.conftest import Alipay, World, callback_event
from tests.integration.test_refunds import wait_until
from tests.support import invoke


@pytest.fixture
def held(world: World) -> Any:
    return hold_sweep_messages(world)


def _waiting_code(world: World, code: str) -> Any:
    status, body = world.create(method="barcode", payer={"auth_code": code}, amount=1999)
    assert status == 201 and body["status"] == "PROCESSING", body
    payment = world.d.payments.get(body["id"])
    assert payment is not None
    return payment


def _order(world: World, payment_id: str) -> dict[str, Any]:
    return world.sandbox.orders[world.out_trade_no(payment_id)]


def _payer_confirms_and_the_ladder_applies_it(world: World, payment_id: str) -> None:
    order = _order(world, payment_id)
    world.sandbox.confirm_payer_code(order["mchid"], order["out_trade_no"])
    fresh = world.d.payments.get(payment_id)
    assert fresh is not None
    refresh_from_channel(world.d, fresh, actor="active_query")  # the ladder's query, concurrently


def test_a_payer_who_confirms_as_the_reverse_leaves_is_closed_never_success(
    world: World, held: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = _waiting_code(world, WECHAT_CODE + "102")  # USERPAYING until confirmed
    original = WeChatPayChannel.reverse

    def paid_meanwhile(self: WeChatPayChannel, out_trade_no: str, **kwargs: Any) -> str:
        _payer_confirms_and_the_ladder_applies_it(world, payment.payment_id)
        return original(self, out_trade_no, **kwargs)

    monkeypatch.setattr(WeChatPayChannel, "reverse", paid_meanwhile)

    run_ladder(world, held, payment.created_at, 60, lambda: False)

    # WeChat Pay reversed the paid micropay (the payer has the money back): the order is closed
    assert _order(world, payment.payment_id)["trade_state"] == "REVOKED"
    stored = world.d.payments.get(payment.payment_id)
    assert stored is not None and stored.status == "CLOSED" and stored.reversal_started_at is not None
    types = event_types(world, payment.payment_id)
    assert "payment.succeeded" not in types  # the merchant was never told it was paid
    assert types[-3:] == ["payment.reversal_started", "payment.reversed", "payment.closed"]
    assert stored.watch_until > world.clock.now  # a closed payer code is watched


def test_a_code_paid_before_the_reversal_claims_it_is_success_and_never_reversed(
    world: World, held: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = _waiting_code(world, WECHAT_CODE + "102")
    run_ladder(world, held, payment.created_at, 55, lambda: False)
    original = WeChatPayChannel.query
    armed = [True]

    def paid_after_the_first_look(self: WeChatPayChannel, out_trade_no: str, **kwargs: Any) -> Any:
        answer = original(self, out_trade_no, **kwargs)
        if armed.pop() if armed else False:  # the reversal's first look reads USERPAYING
            _payer_confirms_and_the_ladder_applies_it(world, payment.payment_id)
        return answer

    monkeypatch.setattr(WeChatPayChannel, "query", paid_after_the_first_look)

    sweep_at(world, held, 60.5, payment.created_at)  # the ladder's end: the reversal

    stored = world.d.payments.get(payment.payment_id)
    assert stored is not None and stored.status == "SUCCESS"
    assert _order(world, payment.payment_id)["trade_state"] == "SUCCESS"  # no reverse was sent
    assert "payment.reversed" not in event_types(world, payment.payment_id)


def test_a_lost_pay_answer_is_not_closed_at_once_and_a_late_charge_is_refunded(
    world: World, held: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = RequestsHttpClient.request
    lost: list[tuple[Any, str, str, dict[str, Any]]] = []

    def answer_lost(self: Any, method: str, url: str, **kwargs: Any) -> HttpResponse:
        if url.endswith("/pay/micropay") and not lost:
            lost.append((self, method, url, kwargs))  # still running at WeChat Pay
            raise ChannelUnavailable(f"{method} {url} failed: ReadTimeout")
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(RequestsHttpClient, "request", answer_lost)
    status, answer = world.create(method="barcode", payer={"auth_code": WECHAT_CODE + "100"}, amount=1999)
    assert (status, answer["error"]["code"]) == (503, "channel_unavailable"), answer
    body = {"id": answer["error"]["details"][0]["payment_id"]}
    assert world.d.payments.get(body["id"]).status == "PENDING"  # outcome unknown: kept open
    assert world.out_trade_no(body["id"]) not in world.sandbox.orders  # no order (yet)

    status, closed = world.close(body["id"])  # the cashier cancels at once
    assert status == 409 and closed["error"]["code"] == "payment_outcome_unknown", closed
    assert world.d.payments.get(body["id"]).status in ("PENDING", "PROCESSING")

    world.clock.advance(31)
    status, closed = world.close(body["id"])  # past the pay call's time: no order, closed
    assert (status, closed["status"]) == (200, "CLOSED"), closed
    stored = world.d.payments.get(body["id"])
    assert stored is not None and stored.watch_until > world.clock.now

    self_, method, url, kwargs = lost[0]
    original(self_, method, url, **kwargs)  # WeChat Pay's running micropay charges the payer
    assert _order(world, body["id"])["trade_state"] == "SUCCESS"
    sweep_at(world, held, world.clock.now - stored.created_at + 61, stored.created_at)

    watched = world.d.payments.get(body["id"])
    assert watched is not None and watched.status == "CLOSED"
    assert [r["amount"] for r in watched.automatic_refunds.values()] == [1999]  # given back


def test_alipays_paid_notify_before_the_cancels_answer_is_not_success(
    world: World, alipay: Alipay, held: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, body = world.create(method="barcode", payer={"auth_code": ALIPAY_CODE + "1002"}, amount=2500)
    assert status == 201 and body["status"] == "PROCESSING", body
    payment = world.d.payments.get(body["id"])
    assert payment is not None
    original = AlipayChannel.reverse

    def paid_meanwhile(self: AlipayChannel, out_trade_no: str, **kwargs: Any) -> str:
        world.catcher.forward = False  # captured, then handed to paymux here, before the cancel
        alipay.sandbox.pay(alipay.app_id, out_trade_no)
        wait_until(lambda: world.catcher.received)
        notify = world.catcher.received[0]
        event = callback_event(alipay.account_id, notify["headers"], notify["body"], "alipay")
        assert invoke("channel_callback", event)["body"] == "success"  # taken, changes nothing
        return original(self, out_trade_no, **kwargs)

    monkeypatch.setattr(AlipayChannel, "reverse", paid_meanwhile)

    run_ladder(world, held, payment.created_at, 60, lambda: False)

    stored = world.d.payments.get(body["id"])
    assert stored is not None and stored.status == "CLOSED"
    trade = alipay.sandbox.trades[world.out_trade_no(body["id"])]
    assert trade["trade_status"] == "TRADE_CLOSED"
    assert "payment.succeeded" not in event_types(world, body["id"])
    # the cancel's own refund gave the charge back; nothing was refunded a second time
    refunds = [r for (number, _), r in alipay.sandbox.refunds.items() if number == trade["out_trade_no"]]
    assert [r["refund_amount"] for r in refunds] == ["25.00"] and stored.automatic_refunds == {}
