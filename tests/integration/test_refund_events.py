"""One change, one event: a refund's success is recorded once in the payment's audit trail and
told to the merchant once, whichever of the paths that can reach it (the synchronous answer,
the callback, an active query, reconciliation) gets there first and however many follow; a
payment's success likewise. The payment writes an event of its own for a refund only when
its status changes (SUCCESS → REFUNDED: payment.refunded)."""

from __future__ import annotations

from typing import Any

from paymux.channels.base import RefundResult, RefundState
from paymux.services.payments import refresh_from_channel
from paymux.services.refund_outcomes import apply_refund_result
from paymux.services.refunds import place_refund, refresh_refund
from tests.integration.conftest import World, notification_bodies
from tests.integration.test_refunds import paid_payment, refund, wait_until


def listed_events(world: World, payment_id: str) -> list[dict[str, Any]]:
    status, events = world.call(
        "list_payment_events.json",
        path=f"/v1/payments/{payment_id}/events",
        path_params={"payment_id": payment_id},
    )
    assert status == 200
    data: list[dict[str, Any]] = events["data"]
    return data


def outbox_types(world: World, payment_id: str) -> list[str]:
    return sorted(str(n["type"]) for n in world.d.notifications.for_payment(payment_id))


def test_a_refund_settled_by_callback_query_resend_and_reconciliation_is_one_event(world: World):
    created = paid_payment(world, 1999)
    world.sandbox.auto_complete_refunds = False
    status, body = refund(world, created["id"], 500)
    assert status == 201 and body["status"] == "PROCESSING"  # the synchronous answer
    stale = world.d.refunds.get(body["id"])  # as a sweeper or a resend read it, before the callback
    assert stale is not None and stale.status == "PROCESSING"

    world.sandbox.complete_refunds(world.mchid)  # REFUND.SUCCESS, by callback
    assert world.sandbox.wait_for_callbacks(timeout=10)
    wait_until(lambda: world.d.refunds.get(body["id"]).status == "SUCCESS")
    # every other path reaches SUCCESS again, from the stale read
    assert refresh_refund(world.d, stale).status == "SUCCESS"  # the sweeper's query
    payment = world.d.payments.get(created["id"])
    assert place_refund(world.d, stale, payment).status == "SUCCESS"  # sent again: answered SUCCESS
    repaired = RefundResult(stale.out_refund_no, RefundState.SUCCESS, raw_status="SUCCESS", amount=500)
    assert apply_refund_result(world.d, stale, repaired, actor="reconciliation").status == "SUCCESS"

    events = listed_events(world, created["id"])
    assert [e["type"] for e in events] == [
        "payment.created",
        "payment.submitted",
        "payment.succeeded",
        "refund.created",
        "refund.succeeded",
    ]
    succeeded = events[-1]
    assert (succeeded["refund_id"], succeeded["to_status"], succeeded["actor"]) == (
        body["id"],
        "SUCCESS",
        "channel_callback",
    )
    assert {"amount": 500, "amount_refunded": 500}.items() <= succeeded["detail"].items()
    stored = world.d.payments.get(created["id"])
    assert (stored.status, stored.amount_refunded, stored.amount_refund_reserved) == ("SUCCESS", 500, 500)
    assert sum(r["amount"]["refund"] for r in world.sandbox.refunds.values()) == 500
    assert outbox_types(world, created["id"]) == ["payment.succeeded", "refund.succeeded"]
    world.run_notifier()
    sent = [(b["type"], b["data"]["object"]["id"]) for b in notification_bodies(world.merchant_endpoint)]
    assert sent.count(("refund.succeeded", body["id"])) == 1, sent


def test_a_refund_of_what_is_left_is_its_success_and_the_payments_refunded_once_each(world: World):
    created = paid_payment(world, 1999)
    status, body = refund(world, created["id"], 1999)  # answered PROCESSING, settled by callback
    assert status == 201
    wait_until(lambda: world.d.payments.get(created["id"]).status == "REFUNDED")
    stale = world.d.refunds.get(body["id"])
    assert stale is not None
    late = RefundResult(stale.out_refund_no, RefundState.SUCCESS, raw_status="SUCCESS")
    apply_refund_result(world.d, stale, late, actor="active_query")  # already settled: nothing

    events = listed_events(world, created["id"])
    kinds = [e["type"] for e in events]
    assert sorted(kinds[3:]) == ["payment.refunded", "refund.created", "refund.succeeded"], kinds
    (refunded,) = [e for e in events if e["type"] == "payment.refunded"]
    assert (refunded["from_status"], refunded["to_status"], refunded["refund_id"]) == (
        "SUCCESS",
        "REFUNDED",
        None,
    )
    assert refunded["detail"] == {"amount": 1999, "amount_refunded": 1999, "refund_id": body["id"]}
    assert outbox_types(world, created["id"]) == ["payment.refunded", "payment.succeeded", "refund.succeeded"]


def test_a_payment_paid_by_callback_then_queried_from_a_stale_read_succeeds_once(world: World):
    _, created = world.create(amount=1999)
    stale = world.d.payments.get(created["id"])  # as the sweeper read it, before the payer paid
    assert stale is not None and stale.status == "PROCESSING"
    world.sandbox.pay(world.mchid, stale.out_trade_no)
    assert world.sandbox.wait_for_callbacks(timeout=10)
    wait_until(lambda: world.d.payments.get(created["id"]).status == "SUCCESS")
    assert refresh_from_channel(world.d, stale, actor="sweeper").status == "SUCCESS"
    assert world.get(created["id"], query="sync=true")[1]["status"] == "SUCCESS"

    kinds = [e["type"] for e in listed_events(world, created["id"])]
    assert kinds == ["payment.created", "payment.submitted", "payment.succeeded"]
    assert outbox_types(world, created["id"]) == ["payment.succeeded"]
