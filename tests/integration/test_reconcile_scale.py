"""Reconciliation at volume, through the real handler against the WeChat Pay sandbox and moto:
the day's local side is GSI3's sort keys (no payment is read for a row that matches), older
index entries still reconcile, the statement is archived by a streamed (multipart) upload, and
the day runs as units (plan, one route, aggregate) that the state machine drives and the
handler without a step runs in order."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from paymux.channels.base import StatementFile, StatementRow, StatementSummary
from paymux.channels.statement import StatementInvalid, StatementNotReady
from paymux.channels.wechat import statement as wechat_statement
from paymux.channels.wechat.client import WeChatPayChannel
from paymux.clock import iso
from paymux.services import reconciliation
from paymux.store import payment_keys, refund_days, reports
from paymux.store.payments import PaymentStore
from tests.integration.conftest import World
from tests.integration.test_reconcile import alone, reconcile, s3_object, today
from tests.integration.test_refunds import paid_payment
from tests.support import invoke, load_event


@pytest.fixture
def reads(world: World) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every GetItem, BatchGetItem and Query the table is asked, with its parameters."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.name, params))

    events = world.d.dynamodb.meta.events
    for name in ("GetItem", "BatchGetItem", "Query"):
        events.register(f"provide-client-params.dynamodb.{name}", record, unique_id=f"recon-{name}")
    yield seen
    for name in ("GetItem", "BatchGetItem", "Query"):
        events.unregister(f"provide-client-params.dynamodb.{name}", unique_id=f"recon-{name}")


def _payment_keys_read(seen: list[tuple[str, dict[str, Any]]]) -> list[str]:
    keys = []
    for name, params in seen:
        if name == "GetItem":
            keys.append(params["Key"]["PK"]["S"] + "|" + params["Key"]["SK"]["S"])
        elif name == "BatchGetItem":
            for table in params["RequestItems"].values():
                keys += [k["PK"]["S"] + "|" + k["SK"]["S"] for k in table["Keys"]]
    return [k for k in keys if k.startswith("PAY#") and k.endswith("|PAY")]


def reconcile_as_the_state_machine(world: World, day: date) -> dict[str, Any]:
    """Plan, every route's unit, then the aggregate (ReconcileStateMachine's matching steps);
    the day's summary as written."""
    plan = invoke("reconcile", {"step": "plan", "date": day.isoformat()})
    results = [
        invoke("reconcile", {"step": "route", "date": plan["date"], "route": r}) for r in plan["routes"]
    ]
    invoke("reconcile", {"step": "aggregate", "date": plan["date"], "results": results})
    key = reports.report_key(day, "summary.json")
    summary: dict[str, Any] = json.loads(s3_object(world, key)["Body"].read())
    return summary


def test_the_paid_index_carries_what_matching_uses(world: World) -> None:
    alone(world)
    paid = paid_payment(world, 1234)
    payment = world.d.payments.get(paid["id"])
    item = world.d.dynamodb.get_item(
        TableName=world.d.settings.table, Key=payment_keys.payment_key(paid["id"])
    )["Item"]
    assert item["GSI3SK"]["S"] == f"{paid['id']}#{payment.out_trade_no}#1234#CNY#"
    assert payment_keys.paid_entry(item["GSI3SK"]["S"]) == (paid["id"], payment.out_trade_no, 1234, "CNY", "")


def test_matched_rows_read_no_payment(world: World, reads: list[tuple[str, dict[str, Any]]]) -> None:
    alone(world)
    day = today(world)
    for amount in (100, 250, 999):
        paid_payment(world, amount)
    reads.clear()

    summary = reconcile_as_the_state_machine(world, day)  # analytics, a step of its own, reads payments

    assert summary["counts"]["payment"]["matched"] == 3 and summary["discrepancies"] == 0
    assert _payment_keys_read(reads) == []  # the index's sort keys were the local side
    index_reads = [p for n, p in reads if n == "Query" and p.get("IndexName") == "GSI3"]
    paid_reads = [p for p in index_reads if p["ExpressionAttributeValues"][":pk"]["S"].startswith("PAID#")]
    assert len(paid_reads) == payment_keys.PAID_SHARDS + 1
    refund_reads = [
        p for p in index_reads if p["ExpressionAttributeValues"][":pk"]["S"].startswith("REFUNDED#")
    ]
    assert len(refund_reads) == refund_days.REFUND_SHARDS  # the day's refunds, beside its payments
    assert {p["ProjectionExpression"] for p in index_reads} == {"GSI3SK"}


def test_a_row_that_matches_is_never_built(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The WeChat reader offers each paid row to the match first (RouteMatch.quick): a row that
    matches is counted from its fields, and no StatementRow is made for it."""
    built: list[str] = []

    def counted(**fields: Any) -> StatementRow:
        built.append(fields["out_trade_no"])
        return StatementRow(**fields)

    monkeypatch.setattr(wechat_statement, "StatementRow", counted)
    alone(world)
    day = today(world)
    for amount in (100, 250, 999):
        paid_payment(world, amount)
    summary = reconcile(world, day)
    assert summary["counts"]["payment"]["matched"] == 3 and summary["discrepancies"] == 0
    assert summary["totals"]["channel_payments"] == 1349
    assert built == []


def test_the_paid_index_is_read_while_the_statement_downloads(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The day's local side is read in a thread of its own while the statement is fetched: the
    index read finds the fetch already under way (read one after the other, it waits in vain)."""
    fetching, found_fetching = threading.Event(), []
    real_fetch, real_keys = WeChatPayChannel.fetch_statement, PaymentStore.paid_sort_keys

    def fetch(channel: WeChatPayChannel, day: date) -> StatementFile | None:
        fetching.set()
        return real_fetch(channel, day)

    def sort_keys(store: PaymentStore, account_id: str, day: date) -> list[str]:
        found_fetching.append(fetching.wait(5))
        return real_keys(store, account_id, day)

    monkeypatch.setattr(WeChatPayChannel, "fetch_statement", fetch)
    monkeypatch.setattr(PaymentStore, "paid_sort_keys", sort_keys)
    alone(world)
    day = today(world)
    paid_payment(world, 100)
    summary = reconcile(world, day)
    assert summary["counts"]["payment"]["matched"] == 1 and summary["discrepancies"] == 0
    assert found_fetching == [True]


def test_an_index_entry_from_before_the_sort_key_carried_the_fields_still_matches(world: World) -> None:
    alone(world)
    day = today(world)
    paid = paid_payment(world, 700)
    world.d.dynamodb.update_item(  # as a payment paid before this release is indexed
        TableName=world.d.settings.table,
        Key=payment_keys.payment_key(paid["id"]),
        UpdateExpression="SET GSI3SK = :id",
        ExpressionAttributeValues={":id": {"S": paid["id"]}},
    )
    summary = reconcile(world, day)
    assert summary["counts"]["payment"]["matched"] == 1
    assert summary["counts"]["payment"]["local_only"] == 0 and summary["totals"]["local_paid"] == 700


def test_the_statement_is_archived_by_a_streamed_multipart_upload(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(reports, "MULTIPART_BYTES", 5 * 1024 * 1024)  # S3's smallest part
    store = reports.ReportStore(world.d.s3, world.d.settings.bucket)
    body = b"x" * (11 * 1024 * 1024)
    (tmp_path / "bill.csv").write_bytes(body)
    sha1 = hashlib.sha1(body).hexdigest()
    key = f"statements/wechat/{world.account_id}/2026-11-28.csv"

    assert store.put_statement_file(key, str(tmp_path / "bill.csv"), sha1, "text/csv; charset=utf-8") == sha1

    part = world.d.s3.head_object(Bucket=world.d.settings.bucket, Key=key, PartNumber=1)
    assert part["PartsCount"] == 3  # 5 + 5 + 1 MiB
    head = world.d.s3.head_object(Bucket=world.d.settings.bucket, Key=key)
    assert head["Metadata"]["sha1"] == sha1 and head["ServerSideEncryption"] == "AES256"
    assert s3_object(world, key)["Body"].read() == body
    store.put_statement_file(key, str(tmp_path / "bill.csv"), sha1, "text/csv; charset=utf-8")  # a re-run
    versions = world.d.s3.list_object_versions(Bucket=world.d.settings.bucket, Prefix=key)["Versions"]
    assert len(versions) == 1  # the identical file is not archived again


def test_the_day_as_units_gives_what_one_run_gives(world: World) -> None:
    alone(world)
    day = today(world)
    paid_payment(world, 400)
    plan = invoke("reconcile", {"step": "plan", "date": day.isoformat()})
    assert plan == {"date": day.isoformat(), "routes": [world.account_id]}
    unit = invoke("reconcile", {"step": "route", "date": day.isoformat(), "route": world.account_id})
    assert unit["route"] == world.account_id and unit["counts"]["payment"]["matched"] == 1
    done = invoke(
        "reconcile", {"step": "aggregate", "date": day.isoformat(), "results": [{"route": world.account_id}]}
    )
    assert done["failed_accounts"] == [] and done["discrepancies"] == 0
    by_units = json.loads(s3_object(world, f"reports/{day}/summary.json")["Body"].read())
    at_once = reconcile(world, day)
    drop = {"generated_at"}
    assert {k: v for k, v in by_units.items() if k not in drop} == {
        k: v for k, v in at_once.items() if k not in drop
    }


def test_a_unit_that_failed_for_good_is_reported_and_counted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    emitted: list[tuple[str, float]] = []
    monkeypatch.setattr(
        reconciliation, "emit_metric", lambda name, value=1, *a, **k: emitted.append((name, value))
    )
    alone(world)
    day = today(world)
    summary = reconciliation.aggregate_day(
        world.d, day, [{"route": world.account_id, "error": "StatementNotReady"}]
    ).to_dict()
    assert summary["failed_accounts"] == [world.account_id]
    (account,) = summary["accounts"]
    assert (account["error"], account["provider"]) == ("StatementNotReady", "wechat")
    assert ("ReconciliationUnitFailed", 1) in emitted


def test_a_statement_not_ready_is_raised_by_its_unit_for_the_retry(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone(world)
    day = today(world)

    def not_ready(self: Any, bill_date: date) -> None:
        raise StatementNotReady("the bill of the day is produced from 09:00")

    monkeypatch.setattr("paymux.channels.wechat.client.WeChatPayChannel.fetch_statement", not_ready)
    with pytest.raises(StatementNotReady):
        reconciliation.reconcile_route(world.d, day, world.account_id)
    # one run of the whole day reports it as that route's error, writes the rest, then raises
    with pytest.raises(reconciliation.ReconciliationIncomplete):
        invoke("reconcile", load_event("reconcile.json") | {"date": day.isoformat()})
    summary = json.loads(s3_object(world, f"reports/{day}/summary.json")["Body"].read())
    assert summary["failed_accounts"] == [world.account_id]


def test_a_statement_that_fails_its_totals_check_at_its_end_repairs_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A streamed bill is checked when its last line is read: the rows before it must not have
    repaired anything by then (repairs wait for the check)."""
    alone(world)
    day = today(world)
    _, created = world.create(amount=1999)  # open here; the bill says it was paid
    payment = world.d.payments.get(created["id"])
    paid_row = StatementRow(
        out_trade_no=payment.out_trade_no,
        kind="payment",
        amount=1999,
        fee=12,
        channel_trade_no="4200000000000000000000000099",
        status="SUCCESS",
        occurred_at=iso(world.clock()),
        mchid=world.mchid,
        appid=world.appid,
        currency="CNY",
    )

    def rows() -> Iterator[StatementRow]:
        yield paid_row
        raise StatementInvalid("bill 订单金额 adds up to 19.99, summary says 29.99")

    def damaged(self: Any, bill_date: date) -> StatementFile:
        return StatementFile(b"detail and summary disagree", rows(), StatementSummary())

    monkeypatch.setattr("paymux.channels.wechat.client.WeChatPayChannel.fetch_statement", damaged)
    with pytest.raises(reconciliation.ReconciliationIncomplete):
        invoke("reconcile", load_event("reconcile.json") | {"date": day.isoformat()})

    assert world.d.payments.get(created["id"]).status == payment.status  # not repaired
    assert [e for e in world.d.payments.events(created["id"]) if e["actor"] == "reconciliation"] == []
    summary = json.loads(s3_object(world, f"reports/{day}/summary.json")["Body"].read())
    assert summary["failed_accounts"] == [world.account_id] and summary["repaired"] == 0


def test_rows_the_day_does_not_have_read_their_attempts_in_batches(
    world: World, reads: list[tuple[str, dict[str, Any]]]
) -> None:
    alone(world)
    day = today(world)
    lost = []
    for amount in (1999, 2999):
        _, created = world.create(amount=amount)
        world.catcher.forward = False  # the channel's callback never reaches us
        world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
        lost.append(created["id"])
    reads.clear()

    summary = reconcile(world, day)

    assert summary["repaired"] == 2 and {world.d.payments.get(p).status for p in lost} == {"SUCCESS"}
    single = [p["Key"] for n, p in reads if n == "GetItem"]
    assert not [k for k in single if k["SK"]["S"] == "EVT#000001" or k["PK"]["S"].startswith("ATTEMPT#")]
    batched = [
        k for n, p in reads if n == "BatchGetItem" for t in p["RequestItems"].values() for k in t["Keys"]
    ]
    assert sum(1 for k in batched if k["SK"]["S"] == "EVT#000001") == 2
