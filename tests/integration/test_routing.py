"""Routing through the real handlers: fallback to the next account when the preferred one is
down, the circuit breaker keeping traffic away from it, and its recovery."""

from dataclasses import replace

from paymux.channels.base import ChannelAccount
from tests.integration.conftest import World

DOWN = "http://127.0.0.1:9"  # nothing listens: connection refused, the request never left


def add_down_account(world: World, priority: int = 1) -> ChannelAccount:
    current = world.d.channel_config.account(world.account_id)
    credentials = dict(world.d.channel_config.credentials(world.account_id))
    down = ChannelAccount(
        "wx-down",
        "wechat",
        current.products,
        current.mchid,
        current.appid,
        DOWN,
        priority=priority,
        owner=current.owner,
    )
    world.d.channel_config.put_account(down, credentials)
    return down


def test_a_provider_that_is_down_falls_back_to_the_next_account(world: World):
    add_down_account(world)
    status, created = world.create()
    assert status == 201 and created["status"] == "PROCESSING" and created["action"]["code_url"]
    payment = world.d.payments.get(created["id"])
    assert (payment.account_id, payment.attempt_count) == (world.account_id, 2)
    first = world.d.payments.get_attempt(payment.out_trade_no[:-2] + "01")
    second = world.d.payments.get_attempt(payment.out_trade_no)
    assert first["account_id"] == "wx-down" and first["routing"]["ranked"] == [
        "wx-down:wechat.native",
        f"{world.account_id}:wechat.native",
    ]
    assert second["routing"] == {"fallback_from": "wx-down", "cause": "channel_unavailable"}
    assert [e["type"] for e in world.d.payments.events(created["id"])] == [
        "payment.created",
        "payment.attempt_added",
        "payment.submitted",
    ]
    world.sandbox.pay(world.mchid, payment.out_trade_no)
    world.sandbox.wait_for_callbacks(timeout=10)
    assert world.get(created["id"])[1]["status"] == "SUCCESS"


def test_the_breaker_stops_traffic_to_a_failing_account_and_lets_it_back(world: World):
    add_down_account(world)
    attempts = [world.d.payments.get(world.create()[1]["id"]).attempt_count for _ in range(7)]
    assert attempts == [2, 2, 2, 2, 2, 1, 1]  # opened after 5 failures in the window
    world.clock.advance(31)  # cooldown over: one probe goes to the preferred account again
    assert world.d.payments.get(world.create()[1]["id"]).attempt_count == 2
    # It recovers: the preferred account works again and gets the traffic back.
    world.d.channel_config.put_account(
        replace(world.d.channel_config.account("wx-down"), base_url=world.sandbox.base_url),
        dict(world.d.channel_config.credentials(world.account_id)),
    )
    world.clock.advance(31)
    results = [world.d.payments.get(world.create()[1]["id"]) for _ in range(3)]
    assert [(p.account_id, p.attempt_count) for p in results] == [("wx-down", 1)] * 3
