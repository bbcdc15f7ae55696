"""The order lifecycle's guarantees through the real handlers: idempotency under concurrency,
replay protection, validation, illegal transitions, expiry and active query."""

import secrets
import threading

import pytest

from paymux.domain.states import PaymentStatus
from paymux.errors import IllegalTransition
from paymux.store.payments import Outcome
from tests.integration.conftest import World, notification_bodies
from tests.support import api_event, invoke, response_json, run_sweeper


def test_fifty_concurrent_identical_creates_make_one_payment(world: World):
    body = {
        "amount": 4200,
        "currency": "CNY",
        "method": "wechat.native",
        "subject": "Race",
        "merchant_order_no": "ORD-RACE-1",
        "notify_url": world.notify_url,
    }
    results = []
    barrier = threading.Barrier(50)

    def one():
        barrier.wait()
        results.append(world.call("create_payment.json", body=body))

    threads = [threading.Thread(target=one) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 49 + [201], statuses
    assert len({payload["id"] for _, payload in results}) == 1
    assert {payload["status"] for _, payload in results} <= {"PENDING", "PROCESSING"}
    payment = world.d.payments.get(results[0][1]["id"])
    assert payment.status == "PROCESSING" and payment.action["code_url"]
    assert len(world.sandbox.orders) == 1  # one order at the channel too


def test_idempotency_key_replays_the_first_response(world: World):
    body = {
        "amount": 100,
        "currency": "CNY",
        "method": "wechat.native",
        "subject": "Idem",
        "merchant_order_no": "ORD-KEY-1",
        "notify_url": world.notify_url,
    }
    key = {"idempotency-key": "key-" + secrets.token_hex(8)}
    first = world.raw("create_payment.json", body=body, headers=key)
    again = world.raw("create_payment.json", body=body, headers=key)
    assert first["statusCode"] == again["statusCode"] == 201  # without the key a repeat answers 200
    assert first["body"] == again["body"]
    assert again["headers"].get("Idempotent-Replayed") == "true"
    other = world.raw("create_payment.json", body={**body, "amount": 101}, headers=key)
    assert response_json(other)[0] == 409
    assert response_json(other)[1]["error"]["code"] == "idempotency_key_reused"


def test_idempotency_key_replays_errors_too(world: World):
    key = {"idempotency-key": "key-" + secrets.token_hex(8)}
    body = {
        "amount": 0,
        "currency": "CNY",
        "method": "wechat.native",
        "subject": "x",
        "merchant_order_no": "ORD-E",
        "notify_url": world.notify_url,
    }
    responses = [world.raw("create_payment.json", body=body, headers=key) for _ in range(2)]
    assert [r["statusCode"] for r in responses] == [422, 422]
    assert responses[1]["headers"].get("Idempotent-Replayed") == "true"


def test_replayed_forged_and_stale_requests_are_rejected(world: World):
    missing = {"path": "/v1/payments/pay_x", "path_params": {"payment_id": "pay_x"}}
    event = api_event(
        "get_payment.json",
        app_id=world.app_id,
        secret=world.secret,
        now=world.clock(),
        nonce="fixed-nonce-0000001",
        **missing,
    )
    assert response_json(invoke("get_payment", event))[0] == 404  # authenticated, no such payment
    replay = response_json(invoke("get_payment", event))
    assert (replay[0], replay[1]["error"]["code"]) == (401, "replayed_request")
    forged = world.raw("get_payment.json", secret="sk_wrong", **missing)
    assert response_json(forged)[1]["error"]["code"] == "invalid_signature"
    stale = world.raw("get_payment.json", now=world.clock() - 301, **missing)
    assert response_json(stale)[1]["error"]["code"] == "stale_request"


@pytest.mark.parametrize(
    ("override", "field", "text"),
    [
        ({"currency": "USD"}, "currency", "unsupported currency 'USD'"),
        ({"method": "paypal"}, "method", "unsupported method 'paypal'"),
        ({"amount": 0}, "amount", "greater than 0"),
        ({"amount": "100"}, "amount", "integer"),
        ({"amount": 5_000_001}, "amount", "must be ≤ 5000000"),
        ({"merchant_order_no": "has space"}, "merchant_order_no", "pattern"),
        ({"expires_in": 10}, "expires_in", "greater than or equal to 60"),
        ({"surprise": 1}, "surprise", "Extra inputs"),
    ],
)
def test_validation_errors_name_the_field(world: World, override, field, text):
    status, error = world.create(**override)
    assert status == 422
    (detail,) = [d for d in error["error"]["details"] if d["field"] == field]
    assert text in detail["message"]


def test_illegal_transitions_leave_the_payment_unchanged(world: World):
    _, created = world.create()
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    world.sandbox.wait_for_callbacks(timeout=10)
    paid = world.d.payments.get(created["id"])
    assert paid.status == "SUCCESS"
    status, error = world.close(created["id"])
    assert (status, error["error"]["code"]) == (409, "payment_not_closable")
    for target in (
        PaymentStatus.CLOSED,
        PaymentStatus.FAILED,
        PaymentStatus.PENDING,
        PaymentStatus.PROCESSING,
    ):
        with pytest.raises(IllegalTransition):
            world.d.payments.transition(paid, target, {}, Outcome("test", "test", {}))
    stale = world.d.payments.get(created["id"])
    stale.version -= 1  # a writer holding an old read loses
    with pytest.raises(IllegalTransition):
        world.d.payments.transition(stale, PaymentStatus.REFUNDED, {}, Outcome("test", "test", {}))
    after = world.d.payments.get(created["id"])
    assert (after.status, after.version) == (paid.status, paid.version)
    _, unpaid = world.create()
    world.close(unpaid["id"])
    status, error = world.call(
        "refund_payment.json",
        path=f"/v1/payments/{unpaid['id']}/refunds",
        path_params={"payment_id": unpaid["id"]},
        body={"amount": 1, "merchant_refund_no": "R1"},
    )
    assert (status, error["error"]["code"]) == (409, "payment_not_refundable")


def sweep(world: World) -> dict:
    return run_sweeper()


def test_expired_payment_is_closed_at_the_channel_then_locally(world: World):
    _, created = world.create(expires_in=60)
    world.clock.advance(61)
    report = sweep(world)
    assert report["expired_closed"] == 1
    assert world.d.payments.get(created["id"]).status == "CLOSED"
    assert world.sandbox.orders[world.out_trade_no(created["id"])]["trade_state"] == "CLOSED"
    world.run_notifier()
    assert notification_bodies(world.merchant_endpoint)[0]["type"] == "payment.closed"


def test_expiry_racing_a_late_payment_ends_success(world: World):
    _, created = world.create(expires_in=60)
    world.catcher.forward = False  # the payment callback is lost
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    world.sandbox.wait_for_callbacks(timeout=5)
    assert world.d.payments.get(created["id"]).status == "PROCESSING"
    world.clock.advance(61)
    report = sweep(world)
    payment = world.d.payments.get(created["id"])
    assert payment.status == "SUCCESS" and report["expired_closed"] == 0
    assert world.sandbox.orders[world.out_trade_no(created["id"])]["trade_state"] == "SUCCESS"
    world.run_notifier()
    assert [b["type"] for b in notification_bodies(world.merchant_endpoint)] == ["payment.succeeded"]


def test_lost_callback_is_recovered_by_active_query(world: World):
    _, created = world.create()
    world.catcher.forward = False
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    world.sandbox.wait_for_callbacks(timeout=5)
    assert sweep(world)["queried"] == 0  # not due yet: first check after 60 s
    world.clock.advance(61)
    assert sweep(world)["queried"] == 1
    assert world.d.payments.get(created["id"]).status == "SUCCESS"
    events = [e["actor"] for e in world.d.payments.events(created["id"]) if e["type"] == "payment.succeeded"]
    assert events == ["active_query"]


def test_sync_query_asks_the_channel(world: World):
    _, created = world.create()
    world.catcher.forward = False
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    world.sandbox.wait_for_callbacks(timeout=5)
    assert world.get(created["id"])[1]["status"] == "PROCESSING"
    assert world.get(created["id"], query="sync=true")[1]["status"] == "SUCCESS"
