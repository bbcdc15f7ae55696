"""wechat.barcode against the WeChat Pay sandbox, through the real handlers: the payer's code is
charged by API v2's micropay (HMAC-SHA256, checked by the sandbox), queried through v3 on the
query ladder (every 5 s, driven by the sweep queue's delayed messages), reversed through v2's
reverse when the payer never confirms, refunded through v3 and billed in the v3 trade bill.
WeChat Pay sends no notification for a payer code: the answer and the queries tell."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from paymux.channels.http import HttpResponse, RequestsHttpClient
from tests.integration.barcode_world import (
    WECHAT_CODE,
    channel_of,
    china_day,
    event_types,
    hold_sweep_messages,
    run_ladder,
    statement_rows,
    sweep_at,
)
from tests.integration.conftest import World, callback_event
from tests.integration.test_refunds import get_refund, refund, wait_until
from tests.support import invoke
from tests.wechat_notices import notice, transaction


@pytest.fixture
def held(world: World) -> Any:
    return hold_sweep_messages(world)


def _pay_code(world: World, code: str, method: str = "barcode", **extra: Any) -> tuple[int, Any]:
    return world.create(method=method, payer={"auth_code": code}, amount=1999, **extra)


def _order(world: World, payment_id: str) -> dict[str, Any]:
    return world.sandbox.orders[world.out_trade_no(payment_id)]


def test_a_code_paid_at_once_is_success_in_the_answer_then_refunded_and_billed(world: World) -> None:
    status, body = _pay_code(world, WECHAT_CODE + "100")

    assert status == 201, body
    assert (body["status"], body["method"], body["action"]["type"]) == (
        "SUCCESS",
        "wechat.barcode",
        "payer_code",
    )
    payment = world.d.payments.get(body["id"])
    assert payment is not None and payment.method == "wechat.barcode"  # the detected product
    order = _order(world, body["id"])
    assert (order["trade_type"], order["trade_state"], order["amount"]["total"]) == (
        "MICROPAY",
        "SUCCESS",
        1999,
    )

    status, made = refund(world, body["id"], 500)  # through v3, by out_trade_no
    assert status == 201, made
    wait_until(lambda: get_refund(world, made["id"])[1]["status"] == "SUCCESS")
    assert world.sandbox.refunds[made["id"].removeprefix("re_")]["amount"]["refund"] == 500

    world.clock.advance(86400)
    rows = statement_rows(channel_of(world, body["id"]), china_day(payment.created_at))
    mine = [r for r in rows if r.out_trade_no == payment.out_trade_no]
    assert {(r.kind, r.amount) for r in mine} == {("payment", 1999), ("refund", 500)}


def test_userpaying_goes_up_the_ladder_to_success(world: World, held: Any) -> None:
    code = WECHAT_CODE + "101"  # USERPAYING, then paid once queried 3 times
    status, body = _pay_code(world, code, method="wechat.barcode")
    assert status == 201 and body["status"] == "PROCESSING", body
    payment = world.d.payments.get(body["id"])
    assert payment is not None

    swept = run_ladder(
        world, held, payment.created_at, 60, lambda: world.d.payments.get(body["id"]).status == "SUCCESS"
    )

    assert swept == [5.0, 10.0, 15.0]  # each step on time, the third query finds it paid
    assert held.delays[:3] == [5, 5, 5]  # sweep-queue DelaySeconds: never a sleep in a Lambda
    assert world.get(body["id"])[1]["status"] == "SUCCESS"
    assert _order(world, body["id"])["trade_state"] == "SUCCESS"
    assert "payment.reversed" not in event_types(world, body["id"])


def test_a_payer_who_never_confirms_is_reversed_at_the_ladder_end_with_nothing_charged(
    world: World, held: Any
) -> None:
    status, body = _pay_code(world, WECHAT_CODE + "102")  # USERPAYING forever
    assert status == 201 and body["status"] == "PROCESSING"
    payment = world.d.payments.get(body["id"])
    assert payment is not None

    swept = run_ladder(world, held, payment.created_at, 60, lambda: False)

    assert swept[-1] == 60.0
    assert world.d.payments.get(body["id"]).status == "CLOSED"
    order = _order(world, body["id"])
    assert order["trade_state"] == "REVOKED" and "transaction_id" not in order  # nothing charged
    assert event_types(world, body["id"])[-2:] == ["payment.reversed", "payment.closed"]
    world.clock.advance(86400)
    rows = statement_rows(channel_of(world, body["id"]), china_day(payment.created_at))
    assert [r for r in rows if r.out_trade_no == payment.out_trade_no] == []


def test_a_reverse_answered_recall_is_sent_again_never_guessed(world: World, held: Any) -> None:
    _status, body = _pay_code(world, WECHAT_CODE + "102")
    payment = world.d.payments.get(body["id"])
    assert payment is not None
    world.sandbox.recall_next_reverses(1)

    run_ladder(world, held, payment.created_at, 60, lambda: False)

    assert world.d.payments.get(body["id"]).status == "PROCESSING"  # recall=Y: not known yet
    assert _order(world, body["id"])["trade_state"] == "USERPAYING"
    sweep_at(world, held, 60 + 121, payment.created_at)  # the sweeper asks it again
    assert world.d.payments.get(body["id"]).status == "CLOSED"
    assert _order(world, body["id"])["trade_state"] == "REVOKED"


@pytest.mark.parametrize(("digits", "code"), [("103", "AUTHCODEEXPIRE"), ("104", "NOTENOUGH")])
def test_a_refused_code_fails_at_once(world: World, digits: str, code: str) -> None:
    status, body = _pay_code(world, WECHAT_CODE + digits)

    assert status == 201 and body["status"] == "FAILED", body
    assert world.out_trade_no(body["id"]) not in world.sandbox.orders  # nothing was made


def test_a_lost_answer_is_queried_and_found_paid(world: World, held: Any) -> None:
    status, body = _pay_code(world, WECHAT_CODE + "105")  # SYSTEMERROR, yet charged
    assert status == 201 and body["status"] == "PROCESSING"
    payment = world.d.payments.get(body["id"])
    assert payment is not None

    run_ladder(
        world, held, payment.created_at, 60, lambda: world.d.payments.get(body["id"]).status == "SUCCESS"
    )

    assert world.d.payments.get(body["id"]).status == "SUCCESS"


def _tampering(monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    original = RequestsHttpClient.request

    def tampered(self: Any, method: str, url: str, **kwargs: Any) -> HttpResponse:
        response = original(self, method, url, **kwargs)
        if url.endswith("/pay/micropay"):
            return HttpResponse(response.status, change(response.body), response.headers)
        return response

    monkeypatch.setattr(RequestsHttpClient, "request", tampered)


@pytest.mark.parametrize(
    "change",
    [
        # a refusal turned into a success, its signature kept
        lambda b: b.replace(b"<result_code><![CDATA[FAIL]]>", b"<result_code><![CDATA[SUCCESS]]>"),
        # the signature replaced by another answer's
        lambda b: b.replace(b"<sign><![CDATA[", b"<sign><![CDATA[0"),
        # an entity bomb
        lambda b: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><a>&a;</a></xml>',
    ],
)
def test_a_forged_or_tampered_answer_is_never_believed(
    world: World, monkeypatch: pytest.MonkeyPatch, change: Any
) -> None:
    _tampering(monkeypatch, change)

    status, body = _pay_code(world, WECHAT_CODE + "103")  # the sandbox refuses it (AUTHCODEEXPIRE)

    assert status == 503 and body["error"]["code"] == "channel_unavailable", body
    payment = world.d.payments.get(body["error"]["details"][0]["payment_id"])
    assert payment is not None and payment.status.value == "PENDING"  # left to the ladder
    assert event_types(world, payment.payment_id) == ["payment.created"]


def test_a_wrong_v2_key_is_refused_by_the_sandbox_and_never_charges(world: World) -> None:
    credentials = dict(world.d.channel_config.credentials(world.account_id))
    credentials["apiv2_key"] = "A" * 32
    world.d.channel_config.put_account(world.d.channel_config.account(world.account_id), credentials)

    status, body = _pay_code(world, WECHAT_CODE + "100")

    assert status == 503, body  # return_code FAIL (签名错误): unsigned, says nothing about a trade
    assert world.sandbox.orders == {}


def test_a_forged_success_notice_for_a_waiting_code_changes_nothing(world: World) -> None:
    """WeChat Pay sends no notice for a payer code; one that claims a waiting code was paid,
    signed with a key that is not WeChat's, is refused and the payment stays as it was."""
    _status, body = _pay_code(world, WECHAT_CODE + "102")
    assert body["status"] == "PROCESSING"
    before = world.d.payments.get(body["id"])
    assert before is not None
    paid = transaction(
        appid=world.appid, mchid=world.mchid, out_trade_no=before.out_trade_no, total=1999, now=world.clock()
    ) | {"trade_type": "MICROPAY"}
    apiv3_key = world.d.channel_config.credentials(world.account_id)["apiv3_key"]
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers, notice_body = notice(
        paid,
        signing_key=forger,
        serial=world.sandbox.public_key_id,
        apiv3_key=apiv3_key,
        timestamp=world.clock(),
    )

    reply = invoke("channel_callback", callback_event(world.account_id, headers, notice_body))

    assert reply["statusCode"] == 401
    after = world.d.payments.get(body["id"])
    assert after is not None and (after.status, after.version) == (before.status, before.version)
    assert _order(world, body["id"])["trade_state"] == "USERPAYING"
