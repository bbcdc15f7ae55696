"""alipay.barcode against the Alipay sandbox, through the real handlers: the payer's code is
charged by alipay.trade.pay (scene bar_code, RSA2, the answer verified), a 10003 answer goes to
the query ladder (every 5 s, the sweep queue's delayed messages), a payer who never confirms is
cancelled by alipay.trade.cancel at the ladder's end, a paid code is notified, refunded and
billed; forged or tampered answers and notifies change nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from paymux.channels.alipay.client import AlipayChannel
from paymux.channels.http import HttpResponse, RequestsHttpClient
from tests.integration.barcode_world import (
    ALIPAY_CODE,
    channel_of,
    china_day,
    event_types,
    hold_sweep_messages,
    run_ladder,
    statement_rows,
    sweep_at,
)
from tests.integration.conftest import Alipay, World, callback_event
from tests.integration.test_alipay import _forged, _no_sign, _tampered
from tests.integration.test_refunds import get_refund, refund, wait_until
from tests.support import invoke


@pytest.fixture
def held(world: World, alipay: Alipay) -> Any:
    return hold_sweep_messages(world)


def _pay_code(world: World, code: str, method: str = "barcode") -> tuple[int, Any]:
    return world.create(method=method, payer={"auth_code": code}, amount=2500)


def _trade(world: World, alipay: Alipay, payment_id: str) -> dict[str, Any]:
    return alipay.sandbox.trades[world.out_trade_no(payment_id)]


def test_a_code_paid_at_once_is_success_notified_refunded_and_billed(world: World, alipay: Alipay) -> None:
    status, body = _pay_code(world, ALIPAY_CODE + "1000")

    assert status == 201, body
    assert (body["status"], body["method"], body["action"]["type"]) == (
        "SUCCESS",
        "alipay.barcode",
        "payer_code",
    )
    trade = _trade(world, alipay, body["id"])
    assert (trade["method"], trade["trade_status"], trade["total_amount"]) == (
        "alipay.trade.pay",
        "TRADE_SUCCESS",
        "25.00",
    )
    assert alipay.sandbox.wait_for_notifications()  # the TRADE_SUCCESS notify, acknowledged
    assert [a.body for a in alipay.sandbox.notify_log if a.form.get("out_trade_no") == trade["out_trade_no"]][
        -1:
    ] == ["success"]

    status, made = refund(world, body["id"], 700)
    assert status == 201, made
    wait_until(lambda: get_refund(world, made["id"])[1]["status"] == "SUCCESS")

    payment = world.d.payments.get(body["id"])
    assert payment is not None
    world.clock.advance(86400)
    rows = statement_rows(channel_of(world, body["id"]), china_day(payment.created_at))
    mine = {(r.kind, r.amount) for r in rows if r.out_trade_no == payment.out_trade_no}
    assert mine == {("payment", 2500), ("refund", 700)}


def test_a_10003_goes_up_the_ladder_to_success(world: World, alipay: Alipay, held: Any) -> None:
    status, body = _pay_code(world, ALIPAY_CODE + "1001", method="alipay.barcode")
    assert status == 201 and body["status"] == "PROCESSING", body
    payment = world.d.payments.get(body["id"])
    assert payment is not None

    swept = run_ladder(
        world, held, payment.created_at, 60, lambda: world.d.payments.get(body["id"]).status == "SUCCESS"
    )

    assert swept == [5.0, 10.0, 15.0] and held.delays[:3] == [5, 5, 5]
    assert _trade(world, alipay, body["id"])["trade_status"] == "TRADE_SUCCESS"


def test_a_payer_who_never_confirms_is_cancelled_with_nothing_charged(
    world: World, alipay: Alipay, held: Any
) -> None:
    _status, body = _pay_code(world, ALIPAY_CODE + "1002")
    assert body["status"] == "PROCESSING"
    payment = world.d.payments.get(body["id"])
    assert payment is not None

    run_ladder(world, held, payment.created_at, 60, lambda: False)

    assert world.d.payments.get(body["id"]).status == "CLOSED"
    trade = _trade(world, alipay, body["id"])
    assert trade["trade_status"] == "TRADE_CLOSED" and "send_pay_date" not in trade  # never paid
    assert "payment.reversed" in event_types(world, body["id"])


def test_a_code_paid_just_before_the_ladder_ends_is_success_never_cancelled(
    world: World, alipay: Alipay, held: Any
) -> None:
    code = ALIPAY_CODE + "1077"
    alipay.sandbox.script_payer_code(code, "userpaying_then_paid", queries=12)  # the 60 s query
    _status, body = _pay_code(world, code)
    payment = world.d.payments.get(body["id"])
    assert payment is not None

    run_ladder(world, held, payment.created_at, 60, lambda: False)

    assert world.d.payments.get(body["id"]).status == "SUCCESS"
    assert "payment.reversed" not in event_types(world, body["id"])
    assert _trade(world, alipay, body["id"])["trade_status"] == "TRADE_SUCCESS"


def test_a_cancel_that_meets_a_payment_gives_it_back_and_closes(
    world: World, alipay: Alipay, held: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _status, body = _pay_code(world, ALIPAY_CODE + "1002")
    payment = world.d.payments.get(body["id"])
    assert payment is not None
    original = AlipayChannel.reverse

    def paid_meanwhile(self: AlipayChannel, out_trade_no: str, **kwargs: Any) -> str:
        alipay.sandbox.pay(alipay.app_id, out_trade_no)  # the payer confirms as the cancel leaves
        return original(self, out_trade_no, **kwargs)

    monkeypatch.setattr(AlipayChannel, "reverse", paid_meanwhile)
    world.catcher.forward = False  # the payment's notify is not raced here (see docs/channels.md)

    run_ladder(world, held, payment.created_at, 60, lambda: False)

    # Alipay's cancel refunded the charge (action=refund): the order is closed, the payer whole
    assert world.d.payments.get(body["id"]).status == "CLOSED"
    trade = _trade(world, alipay, body["id"])
    assert trade["trade_status"] == "TRADE_CLOSED"
    refunds = [r for (number, _), r in alipay.sandbox.refunds.items() if number == trade["out_trade_no"]]
    assert [r["refund_amount"] for r in refunds] == ["25.00"]
    events = world.d.payments.events(body["id"])
    reversed_detail = [e["detail"] for e in events if e["type"] == "payment.reversed"]
    assert len(reversed_detail) == 1 and '"refunded"' in reversed_detail[0]


def test_a_cancel_answered_retry_flag_is_sent_again(world: World, alipay: Alipay, held: Any) -> None:
    _status, body = _pay_code(world, ALIPAY_CODE + "1002")
    payment = world.d.payments.get(body["id"])
    assert payment is not None
    alipay.sandbox.retry_next_cancels(1)

    run_ladder(world, held, payment.created_at, 60, lambda: False)

    assert world.d.payments.get(body["id"]).status == "PROCESSING"
    assert _trade(world, alipay, body["id"])["trade_status"] == "WAIT_BUYER_PAY"
    sweep_at(world, held, 60 + 121, payment.created_at)
    assert world.d.payments.get(body["id"]).status == "CLOSED"


@pytest.mark.parametrize("digits", ["1003", "1004"])
def test_a_refused_code_fails_at_once(world: World, alipay: Alipay, digits: str) -> None:
    status, body = _pay_code(world, ALIPAY_CODE + digits)

    assert status == 201 and body["status"] == "FAILED", body
    assert world.out_trade_no(body["id"]) not in alipay.sandbox.trades


def test_a_20000_answer_is_queried_and_found_paid(world: World, alipay: Alipay, held: Any) -> None:
    status, body = _pay_code(world, ALIPAY_CODE + "1005")
    assert status == 201 and body["status"] == "PROCESSING", body
    payment = world.d.payments.get(body["id"])
    assert payment is not None

    run_ladder(world, held, payment.created_at, 10, lambda: False)

    assert world.d.payments.get(body["id"]).status == "SUCCESS"


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b.replace(b'"code":"40004"', b'"code":"10000"'),  # a refusal turned into a payment
        lambda b: b[: b.index(b'"sign"')] + b'"x":1}',  # the signature removed
    ],
)
def test_a_forged_or_tampered_answer_is_never_believed(
    world: World, alipay: Alipay, monkeypatch: pytest.MonkeyPatch, change: Any
) -> None:
    original = RequestsHttpClient.request

    def tampered(self: Any, method: str, url: str, **kwargs: Any) -> HttpResponse:
        response = original(self, method, url, **kwargs)
        if b"alipay.trade.pay" in kwargs.get("body", b""):
            return HttpResponse(response.status, change(response.body), response.headers)
        return response

    monkeypatch.setattr(RequestsHttpClient, "request", tampered)

    status, body = _pay_code(world, ALIPAY_CODE + "1003")

    assert status == 503 and body["error"]["code"] == "channel_unavailable", body
    payment_id = body["error"]["details"][0]["payment_id"]
    assert world.d.payments.get(payment_id).status.value == "PENDING"
    assert event_types(world, payment_id) == ["payment.created"]


@pytest.mark.parametrize("spoil", [_forged, _tampered, _no_sign])
def test_forged_or_tampered_notifies_of_a_waiting_code_change_nothing(
    world: World, alipay: Alipay, spoil: Any
) -> None:
    _status, body = _pay_code(world, ALIPAY_CODE + "1002")  # 10003: the payer is confirming
    assert body["status"] == "PROCESSING"
    world.catcher.forward = False  # capture Alipay's notify without applying it
    alipay.sandbox.pay(alipay.app_id, world.out_trade_no(body["id"]))  # the payer confirms
    wait_until(lambda: world.catcher.received)
    genuine = dict(parse_qsl(world.catcher.received[0]["body"].decode(), keep_blank_values=True))
    before = world.d.payments.get(body["id"])
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}

    spoiled = urlencode(spoil(genuine, alipay, world)).encode()
    reply = invoke("channel_callback", callback_event(alipay.account_id, headers, spoiled, "alipay"))

    assert (reply["statusCode"], reply["body"]) == (401, "fail")
    after = world.d.payments.get(body["id"])
    assert (after.status, after.version) == (before.status, before.version)
    reply = invoke(
        "channel_callback", callback_event(alipay.account_id, headers, urlencode(genuine).encode(), "alipay")
    )
    assert reply["body"] == "success" and world.d.payments.get(body["id"]).status.value == "SUCCESS"
