"""`python -m ops --local refunds index-days`: the migration that indexes refunds which succeeded
before the refunds-by-account-and-day index existed (services/refund_day_backfill.py), run as an
operator runs it, against the local stack (moto). A refund is made "pre-index" by removing its
entry, as such a refund's item has none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.state import write_state
from paymux.domain.refund import automatic_refund_id
from paymux.services import refund_day_backfill
from paymux.services.refund_day_backfill import backfill_refund_days
from paymux.store.refunds import refund_key
from tests.integration.conftest import World
from tests.integration.reconcile_bills import BillRow, serve_wechat_bills, wechat_bill
from tests.integration.test_automatic_refunds import double_charge
from tests.integration.test_ops_cli import ops
from tests.integration.test_reconcile import (
    NO_CLASSES,
    alone,
    away_from_midnight,
    discrepancies,
    reconcile,
    today,
)
from tests.integration.test_refunds import get_refund, paid_payment, refund, wait_until


def _item(world: World, refund_id: str) -> dict[str, Any]:
    return world.d.dynamodb.get_item(
        TableName=world.d.settings.table, Key=refund_key(refund_id), ConsistentRead=True
    )["Item"]


def _entry(world: World, refund_id: str) -> tuple[str, str] | None:
    item = _item(world, refund_id)
    return (item["GSI3PK"]["S"], item["GSI3SK"]["S"]) if "GSI3PK" in item else None


def _unindex(world: World, refund_id: str) -> tuple[str, str]:
    """Removes the refund's entry (as a refund that succeeded before the index has none);
    returns the entry its success wrote."""
    entry = _entry(world, refund_id)
    assert entry is not None
    world.d.dynamodb.update_item(
        TableName=world.d.settings.table, Key=refund_key(refund_id), UpdateExpression="REMOVE GSI3PK, GSI3SK"
    )
    return entry


def _succeeded_refund(world: World, payment_id: str, amount: int) -> dict[str, Any]:
    code, made = refund(world, payment_id, amount)
    assert code == 201, made
    wait_until(lambda: get_refund(world, made["id"])[1]["status"] == "SUCCESS")
    return made


def _index_days(state: Path, *argv: str) -> dict[str, Any]:
    ran = ops(state, "refunds", "index-days", *argv)
    assert ran.returncode == 0, ran.stderr
    return dict(json.loads(ran.stdout))


def test_a_pre_index_refund_is_local_only_after_the_migration_and_not_before(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    alone(world)
    away_from_midnight(world)
    day = today(world)
    payment = paid_payment(world, 1000)
    made = _succeeded_refund(world, payment["id"], 300)
    live = _unindex(world, made["id"])
    bill = [BillRow(world.out_trade_no(payment["id"]), 1000, world.clock())]  # the refund's row missing
    serve_wechat_bills(monkeypatch, {day: wechat_bill(world, bill)})

    before = reconcile(world, day)
    assert before["counts"]["refund"] == NO_CLASSES  # not in the index: never local_only

    state = tmp_path / "stack.json"
    write_state(state, world.stack.state())
    first = _index_days(state, "--segments", "3")
    assert first["segments"] == 3 and first["written"] >= 1 and first["scanned"] >= first["missing"] >= 1
    assert _entry(world, made["id"]) == live  # the entry its success would have written
    version = _item(world, made["id"])["version"]

    second = _index_days(state, "--segments", "3")
    assert second["written"] == 0 and second["missing"] == second["unresolved"]
    assert _entry(world, made["id"]) == live and _item(world, made["id"])["version"] == version

    after = reconcile(world, day)  # the day again
    assert after["counts"]["refund"] == NO_CLASSES | {"local_only": 1}
    (row,) = discrepancies(world, day)
    assert (row["class"], row["out_refund_no"], row["payment_id"], row["local_amount"]) == (
        "local_only",
        made["id"].removeprefix("re_"),
        payment["id"],
        "300",
    )


def test_an_automatic_refund_is_indexed_under_its_own_attempt(world: World) -> None:
    alone(world)
    away_from_midnight(world)
    created, extra = double_charge(world)
    refund_id = automatic_refund_id(extra)
    live = _unindex(world, refund_id)
    assert live[1].split("#")[2] == extra != world.d.payments.get(created["id"]).out_trade_no

    counts = backfill_refund_days(world.d, segments=2)

    assert counts["written"] >= 1 and _entry(world, refund_id) == live


def test_dry_run_writes_nothing_and_an_open_refund_is_never_indexed(world: World) -> None:
    alone(world)
    payment = paid_payment(world, 1000)
    made = _succeeded_refund(world, payment["id"], 100)
    _unindex(world, made["id"])

    dry = backfill_refund_days(world.d, segments=1, dry_run=True)
    assert dry["dry_run"] is True and dry["written"] >= 1 and _entry(world, made["id"]) is None

    world.d.dynamodb.update_item(  # a refund not (or no longer) succeeded gets no entry
        TableName=world.d.settings.table,
        Key=refund_key(made["id"]),
        UpdateExpression="SET #s = :p",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":p": {"S": "PROCESSING"}},
    )
    backfill_refund_days(world.d, segments=1)
    assert _entry(world, made["id"]) is None


def test_a_refund_changed_since_it_was_read_is_left_alone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The conditional write: live traffic that moved the refund on (a newer version, or its
    entry written meanwhile) wins; the migration counts it `raced` and overwrites nothing."""
    alone(world)
    payment = paid_payment(world, 1000)
    made = _succeeded_refund(world, payment["id"], 200)
    _unindex(world, made["id"])
    real_entries = refund_day_backfill._entries

    def meanwhile(d: Any, refunds: list[Any], counts: Any) -> Any:
        newer = ("REFUNDED#elsewhere#2001-01-01#0", "written-by-live-traffic")
        d.dynamodb.update_item(
            TableName=d.settings.table,
            Key=refund_key(made["id"]),
            UpdateExpression="SET GSI3PK = :pk, GSI3SK = :sk, version = version + :one",
            ExpressionAttributeValues={":pk": {"S": newer[0]}, ":sk": {"S": newer[1]}, ":one": {"N": "1"}},
        )
        return real_entries(d, refunds, counts)

    monkeypatch.setattr(refund_day_backfill, "_entries", meanwhile)
    counts = backfill_refund_days(world.d, segments=1)

    assert counts["raced"] >= 1
    assert _entry(world, made["id"]) == ("REFUNDED#elsewhere#2001-01-01#0", "written-by-live-traffic")


def test_a_segment_count_out_of_range_is_refused(tmp_path: Path, world: World) -> None:
    state = tmp_path / "stack.json"
    write_state(state, world.stack.state())
    ran = ops(state, "refunds", "index-days", "--segments", "0")
    assert ran.returncode == 2 and "segments must be 1 to 64" in ran.stderr and ran.stdout == ""
