"""The sweeper at volume: every due item of a shard in one run, the planner's lease, old
unsharded due keys, per-account bounds in the worker, and channel query ladders."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from paymux.clock import iso
from paymux.services.query_pool import QueryPool
from paymux.services.sweep_worker import work
from paymux.services.sweeper import LEASE, LEASE_SECONDS
from paymux.store.due import due_pk
from paymux.store.lease import LeaseStore
from paymux.store.sweep_queue import SweepMessage
from tests.integration import sweep_fakes
from tests.integration.conftest import World
from tests.support import invoke, run_sweeper


@pytest.fixture
def fakes(world: World, monkeypatch: pytest.MonkeyPatch) -> sweep_fakes.Recorder:
    return sweep_fakes.register(monkeypatch)


def merchant_id(world: World) -> str:
    app = world.d.merchants.app(world.app_id)
    assert app is not None
    return app.merchant_id


def add_account(world: World, name: str, provider: str = "fake") -> Any:
    account = sweep_fakes.fake_account(merchant_id(world), provider, name)
    world.d.channel_config.put_account(account, {})
    return account


def due_entry(world: World, payment_id: str) -> tuple[str, str] | None:
    item = world.d.dynamodb.get_item(
        TableName=world.d.settings.table,
        Key={"PK": {"S": f"PAY#{payment_id}"}, "SK": {"S": "PAY"}},
        ConsistentRead=True,
    )["Item"]
    return (item["GSI1PK"]["S"], item["GSI1SK"]["S"]) if "GSI1PK" in item else None


def test_a_second_planner_run_while_the_first_holds_the_lease_does_nothing(world: World, fakes):
    account = add_account(world, "lease")
    now = world.clock()
    payment = sweep_fakes.open_payment(account, merchant_id(world), world.app_id, now - 120)
    sweep_fakes.write_open_payment(world.d, payment, due_at=now - 60)
    leases = LeaseStore(world.d.dynamodb, world.d.settings.table)
    assert leases.acquire(LEASE, "the-first-run", now, LEASE_SECONDS)

    report = run_sweeper()

    assert report["leased"] is False and report["queried"] == 0
    assert fakes.asked() == []
    assert due_entry(world, payment.payment_id) == (
        due_pk("payment", payment.payment_id),
        f"{iso(now - 60)}#{payment.payment_id}",
    )
    assert leases.holder(LEASE) == {"owner": "the-first-run", "expires_at": now + LEASE_SECONDS}


def test_an_expired_lease_is_taken_over_and_released_at_the_end(world: World, fakes):
    account = add_account(world, "expired")
    now = world.clock()
    payment = sweep_fakes.open_payment(account, merchant_id(world), world.app_id, now - 120)
    sweep_fakes.write_open_payment(world.d, payment, due_at=now - 60)
    leases = LeaseStore(world.d.dynamodb, world.d.settings.table)
    assert leases.acquire(LEASE, "a-crashed-run", now - LEASE_SECONDS - 1, LEASE_SECONDS)

    report = run_sweeper()

    assert report["leased"] is True and report["queried"] == 1
    assert leases.holder(LEASE) is None  # released by the run that took it over


def wait_until(probe: Any) -> None:
    for _ in range(400):
        if probe():
            return
        threading.Event().wait(0.025)
    raise AssertionError("the sandbox's callback never came")


def test_old_unsharded_refund_and_outbox_entries_are_swept_and_move_to_their_shard(world: World):
    status, created = world.create()
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    wait_until(lambda: world.d.payments.get(created["id"]).status == "SUCCESS")
    world.catcher.forward = False  # the refund's callback is lost: it stays PROCESSING
    status, refund = world.call(
        "refund_payment.json",
        path=f"/v1/payments/{created['id']}/refunds",
        path_params={"payment_id": created["id"]},
        body={"amount": 100, "merchant_refund_no": "RF-legacy"},
    )
    assert (status, refund["status"]) == (201, "PROCESSING")
    table = world.d.settings.table
    refund_key = {"PK": {"S": f"REFUND#{refund['id']}"}, "SK": {"S": "REFUND"}}
    stored = world.d.dynamodb.get_item(TableName=table, Key=refund_key, ConsistentRead=True)["Item"]
    assert stored["GSI1PK"]["S"] == due_pk("refund", refund["id"])  # new writes go to a shard
    (notification,) = world.d.notifications.for_payment(created["id"])
    # As the code before the shards wrote them: one key for every refund, one for the outbox.
    world.d.dynamodb.update_item(
        TableName=table,
        Key=refund_key,
        UpdateExpression="SET GSI1PK = :old, GSI1SK = :due",
        ExpressionAttributeValues={
            ":old": {"S": "DUE#REFUND"},
            ":due": {"S": f"{iso(world.clock() - 3600)}#{refund['id']}"},
        },
    )
    world.d.dynamodb.update_item(
        TableName=table,
        Key={"PK": {"S": f"PAY#{created['id']}"}, "SK": {"S": notification["SK"]}},
        UpdateExpression="SET GSI1PK = :old, GSI1SK = :due",
        ExpressionAttributeValues={
            ":old": {"S": "DUE#OUTBOX"},
            ":due": {"S": f"{iso(world.clock() - 3600)}#{notification['notification_id']}"},
        },
    )
    world.clock.advance(61)

    report = run_sweeper()

    assert report["refunds_queried"] == 1 and report["outbox_resent"] == 1
    stored = world.d.dynamodb.get_item(TableName=table, Key=refund_key, ConsistentRead=True)["Item"]
    assert stored.get("GSI1PK", {}).get("S") in {None, due_pk("refund", refund["id"])}  # settled, or moved
    moved = world.d.notifications.get(created["id"], notification["notification_id"])
    assert moved is not None and moved["GSI1PK"] == due_pk("outbox", notification["notification_id"])
    assert moved["GSI1SK"] > iso(world.clock())  # handed to SQS again: due only if that is lost


def planned_messages(world: World) -> list[tuple[str, SweepMessage]]:
    """The planner's handler, then every message it sent, as the worker receives them."""
    assert invoke("sweeper", {})["leased"] is True
    url, found = world.d.settings.sweep_queue_url, []
    while page := world.d.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in page:
            world.d.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            found.append((m["MessageId"], SweepMessage.parse(m["Body"])))
    return found


def test_the_worker_keeps_each_account_within_its_bound_and_a_slow_one_never_holds_another(
    world: World, fakes
):
    slow, quick = add_account(world, "slow"), add_account(world, "quick")
    now = world.clock()
    mid = merchant_id(world)
    for account in (slow, quick):
        for _ in range(12):
            payment = sweep_fakes.open_payment(account, mid, world.app_id, now - 120)
            sweep_fakes.write_open_payment(world.d, payment, due_at=now - 60)
    quick_done, slow_full = threading.Event(), threading.Event()
    slow_saw_quick_done: list[bool] = []
    bound = sweep_fakes.FakeChannel.query_concurrency

    def during(account: str, out_trade_no: str) -> None:
        if account == slow.account_id:  # held until every check of the quick account is done
            with fakes.lock:
                if fakes.in_flight[account] >= bound:
                    slow_full.set()
            slow_saw_quick_done.append(quick_done.wait(sweep_fakes.WAIT))
            return
        # the quick account's checks go on while the slow one holds all its lanes (a check
        # that writes nothing after its query could otherwise finish before the slow lanes start)
        slow_full.wait(sweep_fakes.WAIT)
        with fakes.lock:  # the quick account's calls wait for each other up to the bound
            in_flight = fakes.in_flight[account]
        if len(fakes.asked(quick.account_id)) == 12:
            quick_done.set()
        assert in_flight <= bound

    fakes.during = during
    messages = planned_messages(world)
    assert len(messages) == 24

    report = work(world.d, messages, QueryPool(), workers=1)

    assert report.queried == 24 and report.errors == 0
    assert slow_saw_quick_done and all(slow_saw_quick_done)  # the quick account finished first
    assert fakes.most[slow.account_id] == bound  # slow calls were in flight up to the bound, not more
    assert fakes.most[quick.account_id] <= bound


def test_a_message_whose_claim_was_taken_over_is_not_acted_on(world: World, fakes):
    account = add_account(world, "stale")
    now = world.clock()
    payment = sweep_fakes.open_payment(account, merchant_id(world), world.app_id, now - 120)
    sweep_fakes.write_open_payment(world.d, payment, due_at=now - 60)
    (first,) = planned_messages(world)
    world.clock.advance(901)  # the claim expired unprocessed: the next run claims it again
    (second,) = planned_messages(world)

    late = work(world.d, [first], QueryPool())
    report = work(world.d, [second], QueryPool())

    assert (late.stale, late.queried) == (1, 0)
    assert (report.stale, report.queried) == (0, 1)
    assert fakes.asked() == [payment.out_trade_no]


def test_a_message_delivered_twice_is_checked_once(world: World, fakes):
    account = add_account(world, "twice")
    now = world.clock()
    payment = sweep_fakes.open_payment(account, merchant_id(world), world.app_id, now - 120)
    sweep_fakes.write_open_payment(world.d, payment, due_at=now - 60)
    ((message_id, message),) = planned_messages(world)

    report = work(world.d, [(message_id, message), (message_id, message)], QueryPool())
    again = work(world.d, [(message_id, message)], QueryPool())  # and once more, later

    assert (report.queried, report.stale) == (1, 1)
    assert (again.queried, again.stale) == (0, 1)
    assert fakes.asked() == [payment.out_trade_no]


def test_a_channel_ladder_fires_its_steps_by_delayed_messages_then_the_tiers_apply(world: World, fakes):
    world.d.channel_config.put_account(
        sweep_fakes.reassign_owner(world.d.channel_config.account(world.account_id), "nobody"), None
    )
    account = add_account(world, "steps", provider="ladder")
    sqs = sweep_fakes.DelaysRecorded(world.d.sqs, world.d.settings.sweep_queue_url, world.clock)
    world.d.__dict__["sqs"] = sqs

    status, created = world.create()
    assert status == 201
    payment = world.d.payments.get(created["id"])
    assert payment is not None and payment.account_id == account.account_id
    assert sqs.delays == [1]  # the first step, one second after creation
    entry = due_entry(world, payment.payment_id)
    assert entry is not None and entry[1] > iso(payment.created_at + 60)  # the planner waits

    asked_at = []
    for step, (at, delay_after) in enumerate([(1, 1), (2, 2), (4, None)]):
        world.clock.now = payment.created_at + at + 0.5
        sqs.flush()
        report = run_sweeper()  # the planner finds nothing due; the delayed message fires the step
        assert report["queried"] == 1, step
        asked_at.append(int(fakes.queries[-1][2] - payment.created_at))
        if delay_after is not None:
            assert sqs.delays[-1] == delay_after
    assert asked_at == [1, 2, 4]
    assert sqs.delays == [1, 1, 2]  # no message after the last step
    entry = due_entry(world, payment.payment_id)
    assert entry is not None and entry[1].startswith(iso(payment.created_at + 4 + 60)[:16])  # tiers
    world.clock.now = payment.created_at + 30
    assert run_sweeper()["queried"] == 0
    world.clock.now = payment.created_at + 65
    assert run_sweeper()["queried"] == 1
