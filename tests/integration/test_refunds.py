"""Refunds: partial, multiple, exact under concurrency, isolated, idempotent."""

import secrets
import threading
import time

import pytest

from paymux.store.merchants import MerchantApp
from tests.integration.conftest import World, notification_bodies


def wait_until(check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def paid_payment(world: World, amount: int) -> dict:
    status, created = world.create(amount=amount)
    assert status == 201
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    wait_until(lambda: world.d.payments.get(created["id"]).status == "SUCCESS")
    return created


def refund(world: World, payment_id: str, amount: int, merchant_refund_no: str | None = None, **kw):
    body = {"amount": amount, "merchant_refund_no": merchant_refund_no or "RF-" + secrets.token_hex(5), **kw}
    return world.call(
        "refund_payment.json",
        path=f"/v1/payments/{payment_id}/refunds",
        path_params={"payment_id": payment_id},
        body=body,
    )


def get_refund(world: World, refund_id: str):
    return world.call(
        "get_refund.json", path=f"/v1/refunds/{refund_id}", path_params={"refund_id": refund_id}
    )


def test_partial_then_full_refund(world: World):
    created = paid_payment(world, 1000)
    world.clock.advance(60)
    status, first = refund(world, created["id"], 300, reason="one item returned")
    assert status == 201 and first["amount"] == 300 and first["status"] in ("PROCESSING", "SUCCESS")
    wait_until(lambda: get_refund(world, first["id"])[1]["status"] == "SUCCESS")
    _, payment = world.get(created["id"])
    assert (payment["status"], payment["amount_refunded"], payment["amount_refundable"]) == (
        "SUCCESS",
        300,
        700,
    )

    world.clock.advance(60)
    status, second = refund(world, created["id"], 700)
    assert status == 201
    wait_until(lambda: world.get(created["id"])[1]["status"] == "REFUNDED")
    _, payment = world.get(created["id"])
    assert payment["amount_refunded"] == 1000 and payment["amount_refundable"] == 0
    assert get_refund(world, second["id"])[1]["channel_refund_no"]
    assert sum(r["amount"]["refund"] for r in world.sandbox.refunds.values()) == 1000

    world.run_notifier()
    types = sorted(b["type"] for b in notification_bodies(world.merchant_endpoint))
    assert types == ["payment.refunded", "payment.succeeded", "refund.succeeded", "refund.succeeded"]
    status, events = world.call(
        "list_payment_events.json",
        path=f"/v1/payments/{created['id']}/events",
        path_params={"payment_id": created["id"]},
    )
    assert status == 200
    kinds = [e["type"] for e in events["data"]]
    assert kinds[:3] == ["payment.created", "payment.submitted", "payment.succeeded"]
    # one event per change: each refund's success once, the payment's SUCCESS → REFUNDED once
    assert (
        sorted(kinds[3:])
        == ["payment.refunded", "refund.created", "refund.created"] + ["refund.succeeded"] * 2
    )
    (refunded,) = [e for e in events["data"] if e["type"] == "payment.refunded"]
    assert (refunded["from_status"], refunded["to_status"], refunded["refund_id"]) == (
        "SUCCESS",
        "REFUNDED",
        None,
    )
    assert refunded["detail"] == {"amount": 700, "amount_refunded": 1000, "refund_id": second["id"]}


def test_over_refund_and_unpaid_refund_are_refused(world: World):
    created = paid_payment(world, 500)
    status, error = refund(world, created["id"], 501)
    assert status == 422 and error["error"]["details"][0]["field"] == "amount"
    _, unpaid = world.create(amount=500)
    status, error = refund(world, unpaid["id"], 100)
    assert status == 409 and error["error"]["code"] == "payment_not_refundable"
    assert world.d.payments.get(created["id"]).amount_refund_reserved == 0


def test_merchant_refund_no_is_idempotent(world: World):
    created = paid_payment(world, 800)
    s1, r1 = refund(world, created["id"], 100, "RF-SAME")
    s2, r2 = refund(world, created["id"], 100, "RF-SAME")
    s3, r3 = refund(world, created["id"], 200, "RF-SAME")
    assert (s1, s2, s3) == (201, 200, 409)
    assert r1["id"] == r2["id"] and r3["error"]["code"] == "duplicate_merchant_refund_no"
    assert world.d.payments.get(created["id"]).amount_refund_reserved == 100


def test_twenty_concurrent_ten_percent_refunds(world: World):
    created = paid_payment(world, 10_000)
    results: list[tuple[int, dict]] = []
    barrier = threading.Barrier(20)

    def one():
        barrier.wait()
        results.append(refund(world, created["id"], 1_000))

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(s for s, _ in results)
    assert statuses == [201] * 10 + [422] * 10
    wait_until(lambda: world.d.payments.get(created["id"]).status == "REFUNDED", timeout=30)
    payment = world.d.payments.get(created["id"])
    assert payment.amount_refunded == payment.amount == payment.amount_refund_reserved == 10_000
    refunds = world.d.refunds.for_payment(created["id"])
    assert len(refunds) == 10 and {r.status for r in refunds} == {"SUCCESS"}
    assert sum(r["amount"]["refund"] for r in world.sandbox.refunds.values()) == 10_000


def test_another_merchant_sees_nothing(world: World):
    created = paid_payment(world, 600)
    _, mine = refund(world, created["id"], 100)
    other_secret = "sk_" + secrets.token_hex(16)
    world.d.merchants.put_app(MerchantApp(app_id="app_intruder", merchant_id="mch_intruder"), other_secret)
    intruder = World(**{**world.__dict__, "app_id": "app_intruder", "secret": other_secret})
    pid = created["id"]
    answers = [
        intruder.get(pid),
        intruder.close(pid),
        refund(intruder, pid, 100),
        get_refund(intruder, mine["id"]),
        intruder.call(
            "list_payment_events.json", path=f"/v1/payments/{pid}/events", path_params={"payment_id": pid}
        ),
        intruder.call(
            "get_payment_by_merchant_order_no.json", query=f"merchant_order_no={created['merchant_order_no']}"
        ),
    ]
    missing = intruder.get("pay_01KB0000000000000000000000")
    for status, body in answers:
        assert (
            (status, body["error"]["code"]) == (missing[0], missing[1]["error"]["code"]) == (404, "not_found")
        )
    assert world.d.payments.get(pid).amount_refund_reserved == 100


@pytest.mark.parametrize("amount", [0, -1, 1.5, "100"])
def test_refund_amount_validation(world: World, amount):
    created = paid_payment(world, 100)
    status, error = refund(world, created["id"], amount)
    assert status == 422 and error["error"]["details"][0]["field"] == "amount"
