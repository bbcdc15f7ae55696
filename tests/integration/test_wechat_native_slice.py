"""The first vertical slice: a signed create for WeChat Pay Native, the sandbox pays it and
calls back, the order becomes SUCCESS and the merchant is notified."""

import hashlib
import hmac

from tests.integration.conftest import World, notification_bodies


def pay_and_wait(world: World, payment_id: str) -> None:
    world.sandbox.pay(world.mchid, world.out_trade_no(payment_id))
    assert world.sandbox.wait_for_callbacks(timeout=10)


def test_native_payment_end_to_end(world: World):
    status, created = world.create(amount=1999, metadata={"cart": "42"})
    assert status == 201, created
    assert created["status"] == "PROCESSING"
    assert created["action"]["type"] == "qr_code"
    assert created["action"]["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    order = world.sandbox.orders[world.out_trade_no(created["id"])]
    assert order["amount"]["total"] == 1999
    assert order["trade_state"] == "NOTPAY"
    assert order["notify_url"] == f"{world.catcher.base_url}/v1/callbacks/wechat/{world.account_id}"

    pay_and_wait(world, created["id"])
    status, paid = world.get(created["id"])
    assert status == 200
    assert paid["status"] == "SUCCESS"
    assert paid["paid_at"] and paid["channel"]["trade_no"]
    assert paid["version"] == created["version"] + 1

    delivery = world.run_notifier()
    assert delivery == {"batchItemFailures": [], "count": 1}
    (request,) = world.merchant_endpoint.received
    assert request["url"] == world.notify_url
    header = request["headers"]["Paymux-Signature"]
    timestamp = header.split(",")[0].removeprefix("t=")
    expected = hmac.new(
        world.secret.encode(), f"{timestamp}.".encode() + request["body"], hashlib.sha256
    ).hexdigest()
    assert f"v1={expected}" in header
    (body,) = notification_bodies(world.merchant_endpoint)
    assert body["type"] == "payment.succeeded"
    assert body["data"]["object"]["id"] == created["id"]
    assert body["data"]["object"]["status"] == "SUCCESS"
    assert body["data"]["object"]["metadata"] == {"cart": "42"}

    (notification,) = world.d.notifications.for_payment(created["id"])
    assert notification["status"] == "delivered"
    assert [a["status_code"] for a in notification["attempt_log"]] == [200]
    events = [e["type"] for e in world.d.payments.events(created["id"])]
    assert events == ["payment.created", "payment.submitted", "payment.succeeded"]


def test_duplicate_callbacks_change_nothing_twice(world: World):
    _, created = world.create()
    world.catcher.forward = True
    pay_and_wait(world, created["id"])
    first = world.catcher.received[-1]
    from tests.integration.conftest import callback_event
    from tests.support import invoke

    for _ in range(3):
        response = invoke(
            "channel_callback", callback_event(first["account"], first["headers"], first["body"])
        )
        assert response["statusCode"] in (200, 204)
    payment = world.d.payments.get(created["id"])
    assert payment.status == "SUCCESS" and payment.version == created["version"] + 1
    assert world.run_notifier()["count"] == 1
    assert len(world.merchant_endpoint.received) == 1


def test_get_by_merchant_order_no_and_isolation(world: World):
    _, created = world.create(merchant_order_no="ORD-LOOKUP-1")
    status, found = world.call(
        "get_payment_by_merchant_order_no.json", query="merchant_order_no=ORD-LOOKUP-1"
    )
    assert status == 200 and found["id"] == created["id"]


def test_repeated_create_returns_same_payment_and_different_params_conflict(world: World):
    status1, first = world.create(merchant_order_no="ORD-IDEM-1", amount=500)
    status2, again = world.create(merchant_order_no="ORD-IDEM-1", amount=500)
    assert (status1, status2) == (201, 200)
    assert again["id"] == first["id"] and again["action"] == first["action"]
    status3, conflict = world.create(merchant_order_no="ORD-IDEM-1", amount=501)
    assert status3 == 409
    assert conflict["error"]["code"] == "duplicate_merchant_order_no"
    assert len([o for o in world.sandbox.orders.values()]) == 1


def test_close_then_channel_is_closed(world: World):
    _, created = world.create()
    status, closed = world.close(created["id"])
    assert status == 200 and closed["status"] == "CLOSED"
    assert world.sandbox.orders[world.out_trade_no(created["id"])]["trade_state"] == "CLOSED"
    assert world.run_notifier()["count"] == 1
    assert notification_bodies(world.merchant_endpoint)[0]["type"] == "payment.closed"
