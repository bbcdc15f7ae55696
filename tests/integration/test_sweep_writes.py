"""What a sweep check writes: a payment the channel finds as it was costs the worker one
conditional write (the take, straight to its next check); anything else still ends where the
check puts it."""

from __future__ import annotations

from typing import Any

from paymux.clock import parse_iso
from paymux.services.query_pool import QueryPool
from paymux.services.sweep_worker import work
from paymux.store.due import due_pk
from tests.integration import sweep_fakes
from tests.integration.conftest import World
from tests.integration.test_sweep_scale import add_account, due_entry, fakes, merchant_id, planned_messages

__all__ = ["fakes"]  # fixture
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


def _writes_of(world: World) -> list[str]:
    writes: list[str] = []

    def record(model: Any, **_: Any) -> None:
        if model.name in WRITES:
            writes.append(model.name)

    world.d.dynamodb.meta.events.register("before-call.dynamodb", record, unique_id="sweep-writes")
    return writes


def _due_in(world: World, payment_id: str, now: float) -> float:
    entry = due_entry(world, payment_id)
    assert entry is not None
    assert entry[0] == due_pk("payment", payment_id)
    return parse_iso(entry[1].split("#", 1)[0]) - now


def test_a_payment_found_unchanged_costs_the_worker_one_write_and_is_due_at_its_next_tier(
    world: World, fakes: sweep_fakes.Recorder
) -> None:
    account = add_account(world, "unchanged")
    now = world.clock()
    payment = sweep_fakes.open_payment(account, merchant_id(world), world.app_id, now - 120)
    sweep_fakes.write_open_payment(world.d, payment, due_at=now - 60)
    messages = planned_messages(world)
    writes = _writes_of(world)

    report = work(world.d, messages, QueryPool())

    assert (report.queried, report.stale, report.errors) == (1, 0, 0)
    assert fakes.asked() == [payment.out_trade_no]
    assert writes == ["UpdateItem"]  # the take; the check found nothing to change
    assert 59 < _due_in(world, payment.payment_id, now) < 61  # the first tier: every minute


def test_a_payment_near_its_expiry_is_taken_to_the_claim_s_end_and_then_moved_to_its_expiry(
    world: World, fakes: sweep_fakes.Recorder
) -> None:
    account = add_account(world, "near-expiry")
    now = world.clock()
    payment = sweep_fakes.open_payment(account, merchant_id(world), world.app_id, now - 7170)
    sweep_fakes.write_open_payment(world.d, payment, due_at=now - 60)  # expires in 30 s
    messages = planned_messages(world)
    writes = _writes_of(world)

    report = work(world.d, messages, QueryPool())

    assert report.queried == 1
    assert writes == ["UpdateItem", "UpdateItem"]  # its next check is within a check's time
    assert 29 < _due_in(world, payment.payment_id, now) < 31  # asked again at its expiry
