"""One sweep reaches every due payment of a shard, however many: the due index is paged to
its end (it once read the first 100 per shard and left the rest for later runs)."""

from __future__ import annotations

from typing import Any

import pytest

from paymux.clock import iso
from tests.integration import sweep_fakes
from tests.integration.conftest import World
from tests.support import run_sweeper


@pytest.fixture
def fakes(world: World, monkeypatch: pytest.MonkeyPatch) -> sweep_fakes.Recorder:
    return sweep_fakes.register(monkeypatch)


def merchant_id(world: World) -> str:
    app = world.d.merchants.app(world.app_id)
    assert app is not None
    return app.merchant_id


def add_account(world: World, name: str) -> Any:
    account = sweep_fakes.fake_account(merchant_id(world), "fake", name)
    world.d.channel_config.put_account(account, {})
    return account


def due_entry(world: World, payment_id: str) -> tuple[str, str] | None:
    item = world.d.dynamodb.get_item(
        TableName=world.d.settings.table,
        Key={"PK": {"S": f"PAY#{payment_id}"}, "SK": {"S": "PAY"}},
        ConsistentRead=True,
    )["Item"]
    return (item["GSI1PK"]["S"], item["GSI1SK"]["S"]) if "GSI1PK" in item else None


def test_one_run_checks_every_due_payment_of_a_shard_not_only_the_first_100(world: World, fakes):
    account = add_account(world, "many")
    now = world.clock()
    payments = [
        sweep_fakes.open_payment(account, merchant_id(world), world.app_id, now - 120, shard=3)
        for _ in range(250)
    ]
    for payment in payments:
        sweep_fakes.write_open_payment(world.d, payment, due_at=now - 60)

    report = run_sweeper()

    assert report["queried"] == 250
    assert sorted(fakes.asked(account.account_id)) == sorted(p.out_trade_no for p in payments)
    for payment in payments:  # each asked once, and next in a minute (the first tier)
        entry = due_entry(world, payment.payment_id)
        assert entry is not None and entry[1].startswith(iso(world.clock() + 60)[:15])
    assert run_sweeper()["queried"] == 0  # nothing due again yet
