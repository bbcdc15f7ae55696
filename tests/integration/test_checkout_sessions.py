"""Checkout sessions: the signed API (create, idempotent, typed 4xx, read), the state machine
open → completed | expired with its events through the outbox, and one payment per session at a
time when the payer switches methods."""

from __future__ import annotations

import copy
import json
import secrets
from typing import Any

import pytest

from paymux.checkout.choose import PayerContext, choose, open_session
from paymux.checkout.sessions import sessions
from paymux.domain.states import PaymentStatus
from paymux.errors import Gone, ValidationFailed
from tests.integration.conftest import Alipay, World, notification_bodies
from tests.support import api_event, invoke, load_event, response_json, run_sweeper, wait_until

DESKTOP = PayerContext(device="desktop", wallet="", client_ip="203.0.113.10")


def session_body(**overrides: Any) -> dict[str, Any]:
    return {
        "amount": 2500,
        "currency": "CNY",
        "subject": "Tea 250g",
        "merchant_order_no": "ORD-" + secrets.token_hex(6),
        "notify_url": "https://merchant.example.com/paymux/notify",
        "return_url": "https://merchant.example.com/orders/done",
        "methods": ["wechat.native", "alipay.qr"],
        "expires_in": 1800,
        **overrides,
    }


def create(world: World, body: Any, **signing: Any) -> tuple[int, Any]:
    keys = {"app_id": world.app_id, "secret": world.secret, "now": world.clock(), **signing}
    event = api_event("create_checkout_session.json", body=body, **keys)
    return response_json(invoke("checkout_sessions", event))


def get(world: World, session_id: str, **signing: Any) -> tuple[int, Any]:
    keys = {"app_id": world.app_id, "secret": world.secret, "now": world.clock(), **signing}
    event = api_event(
        "get_checkout_session.json",
        path=f"/v1/checkout/sessions/{session_id}",
        path_params={"session_id": session_id},
        **keys,
    )
    return response_json(invoke("checkout_sessions", event))


def test_create_returns_a_url_on_paymux_domain_and_stores_an_open_session(world: World) -> None:
    status, created = create(world, session_body())
    assert status == 201
    assert created["object"] == "checkout_session" and created["status"] == "open"
    assert created["url"] == f"{world.catcher.base_url}/checkout/{created['id']}"
    stored = sessions(world.d).get(created["id"])
    assert stored is not None and stored.status == "open" and stored.version == 1
    item = world.d.dynamodb.get_item(
        TableName=world.d.settings.table,
        Key={"PK": {"S": f"CHECKOUT#{created['id']}"}, "SK": {"S": "CHECKOUT"}},
    )["Item"]
    assert item["GSI1PK"]["S"].startswith("DUE#CHECKOUT#")  # the sweeper expires it
    assert item["GSI1SK"]["S"].startswith(created["expires_at"])
    assert get(world, created["id"]) == (200, created)


def test_a_repeated_create_is_the_same_session_and_a_changed_one_is_a_conflict(world: World) -> None:
    body = session_body()
    first = create(world, body)
    assert first[0] == 201
    assert create(world, body) == (200, first[1])
    status, error = create(world, {**body, "amount": 1})
    assert status == 409 and error["error"]["code"] == "duplicate_merchant_order_no"
    assert error["error"]["details"] == [{"session_id": first[1]["id"]}]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"expires_in": 1799}, "expires_in"),
        ({"expires_in": 86401}, "expires_in"),
        ({"methods": ["unionpay.barcode"]}, "methods"),
        ({"methods": []}, "methods"),
        ({"methods": ["alipay.qr", "alipay.qr"]}, "methods"),
        ({"currency": "USD"}, "currency"),
        ({"return_url": "javascript:alert(1)"}, "return_url"),
        ({"amount": "25"}, "amount"),
    ],
)
def test_bad_input_is_a_typed_422_and_writes_nothing(
    world: World, override: dict[str, Any], field: str
) -> None:
    body = session_body(**override)
    status, error = create(world, body)
    assert status == 422 and error["error"]["code"] == "validation_failed"
    assert field in {d["field"] for d in error["error"]["details"]}
    claim = world.d.dynamodb.get_item(
        TableName=world.d.settings.table,
        Key={
            "PK": {
                "S": f"MCHECKOUT#{world.d.merchants.app(world.app_id).merchant_id}#{body['merchant_order_no']}"
            },
            "SK": {"S": "MCHECKOUT"},
        },  # type: ignore[union-attr]
    )
    assert "Item" not in claim


def test_unsigned_and_foreign_requests_are_refused(world: World) -> None:
    status, error = create(world, session_body(), secret="sk_wrong")
    assert status == 401 and error["error"]["code"] == "invalid_signature"
    _, created = create(world, session_body())
    other = "app_" + secrets.token_hex(4)
    from paymux.store.merchants import MerchantApp

    world.d.merchants.put_app(MerchantApp(app_id=other, merchant_id="mch_other"), "sk_other")
    assert get(world, created["id"], app_id=other, secret="sk_other")[0] == 404
    assert get(world, "cs_notanid")[0] == 404
    event = copy.deepcopy(load_event("get_checkout_session.json"))
    event["headers"].pop("authorization")
    assert response_json(invoke("checkout_sessions", event))[0] == 401


def test_switching_methods_closes_the_previous_payment_first(world: World, alipay: Alipay) -> None:
    _, created = create(world, session_body())
    session = open_session(world.d, created["id"])
    first = choose(world.d, session, "wechat.native", DESKTOP, "")
    assert first.action["type"] == "qr_code" and first.metadata["checkout_session"] == created["id"]
    again = choose(world.d, open_session(world.d, created["id"]), "wechat.native", DESKTOP, "")
    assert again.payment_id == first.payment_id  # a reload is the same payment, not a second one
    second = choose(world.d, open_session(world.d, created["id"]), "alipay.qr", DESKTOP, "")
    assert second.payment_id != first.payment_id and second.method == "alipay.qr"
    closed = world.d.payments.get(first.payment_id)
    assert closed is not None and closed.status == PaymentStatus.CLOSED
    assert world.sandbox.orders[closed.out_trade_no]["trade_state"] == "CLOSED"
    stored = sessions(world.d).get(created["id"])
    assert stored is not None and (stored.attempt, stored.payment_id) == (2, second.payment_id)


def test_a_method_the_session_does_not_allow_is_refused(world: World) -> None:
    _, created = create(world, session_body(methods=["alipay.qr"]))
    with pytest.raises(ValidationFailed):
        choose(world.d, open_session(world.d, created["id"]), "wechat.native", DESKTOP, "")
    assert sessions(world.d).get(created["id"]).attempt == 0  # type: ignore[union-attr]


def test_paying_completes_the_session_and_tells_the_merchant_once(world: World) -> None:
    _, created = create(world, session_body())
    payment = choose(world.d, open_session(world.d, created["id"]), "wechat.native", DESKTOP, "")
    world.sandbox.pay(world.mchid, payment.out_trade_no)
    world.sandbox.wait_for_callbacks(timeout=10)
    assert wait_until(lambda: sessions(world.d).get(created["id"]).status == "completed")  # type: ignore[union-attr]
    world.run_notifier()
    types = [b["type"] for b in notification_bodies(world.merchant_endpoint)]
    assert sorted(types) == ["checkout.session.completed", "payment.succeeded"]
    event = next(b for b in notification_bodies(world.merchant_endpoint) if b["type"].startswith("checkout"))
    assert event["data"]["object"]["payment_id"] == payment.payment_id
    assert event["data"]["object"]["status"] == "completed"
    assert get(world, created["id"])[1]["status"] == "completed"
    with pytest.raises(Gone):
        open_session(world.d, created["id"])
    run_sweeper()  # off the due index: nothing more
    world.run_notifier()
    assert len(world.merchant_endpoint.received) == 2


def test_the_sweeper_expires_the_session_and_closes_its_payment(world: World) -> None:
    _, created = create(world, session_body())
    payment = choose(world.d, open_session(world.d, created["id"]), "wechat.native", DESKTOP, "")
    world.clock.advance(1801)
    report = run_sweeper()
    assert report["expired_closed"] >= 1
    stored = sessions(world.d).get(created["id"])
    assert stored is not None and stored.status == "expired"
    closed = world.d.payments.get(payment.payment_id)
    assert closed is not None and closed.status == PaymentStatus.CLOSED
    world.run_notifier()
    types = sorted(b["type"] for b in notification_bodies(world.merchant_endpoint))
    assert types == ["checkout.session.expired", "payment.closed"]
    with pytest.raises(Gone) as gone:
        open_session(world.d, created["id"])
    assert gone.value.status == 410 and gone.value.code == "checkout_session_expired"
    assert json.loads(json.dumps(get(world, created["id"])[1]))["status"] == "expired"


def test_a_session_that_cannot_be_completed_now_never_holds_back_the_payments_notification(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The payment's SUCCESS is committed before its session is completed: a DynamoDB error
    while completing the session (throttling, say) leaves the session to its next read or the
    sweeper, and the merchant still hears of the payment at once (found by review)."""
    from botocore.exceptions import ClientError

    import paymux.checkout.sessions as checkout_sessions

    _, created = create(world, session_body())
    payment = choose(world.d, open_session(world.d, created["id"]), "wechat.native", DESKTOP, "")

    class Throttled:
        def get(self, session_id: str) -> None:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "GetItem")

    monkeypatch.setattr(checkout_sessions, "sessions", lambda d: Throttled())
    world.sandbox.pay(world.mchid, payment.out_trade_no)
    assert world.sandbox.wait_for_callbacks(timeout=10)
    paid = world.d.payments.get(payment.payment_id)
    assert paid is not None and paid.status == PaymentStatus.SUCCESS
    world.run_notifier()
    assert [b["type"] for b in notification_bodies(world.merchant_endpoint)] == ["payment.succeeded"]
    monkeypatch.undo()  # DynamoDB is back: the next read completes the session, once
    assert get(world, created["id"])[1]["status"] == "completed"
    world.run_notifier()
    assert sorted(b["type"] for b in notification_bodies(world.merchant_endpoint)) == [
        "checkout.session.completed",
        "payment.succeeded",
    ]
