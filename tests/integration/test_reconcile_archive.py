"""What operations see of a reconciliation run: the number of discrepancies it found as the
ReconciliationDiscrepancies metric (its alarm), and the archive under Object Lock (governance)
where re-runs still overwrite their reports, as new versions that cannot be deleted early."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from paymux.channels.base import TradeResult, TradeState
from paymux.services.outcomes import apply_trade_result
from tests.integration.conftest import World
from tests.integration.test_reconcile import alone, away_from_midnight, reconcile, today
from tests.integration.test_refunds import paid_payment


@pytest.fixture
def metrics(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    emitted: list[tuple[str, float]] = []

    def record(name: str, value: float = 1, *args: object, **kwargs: object) -> None:
        emitted.append((name, value))

    monkeypatch.setattr("paymux.services.reconciliation.emit_metric", record)
    return emitted


def paid_here_only(world: World, amount: int) -> None:
    """A payment we hold as paid that the channel never saw: a local_only discrepancy."""
    _, created = world.create(amount=amount)
    payment = world.d.payments.get(created["id"])
    trade = TradeResult(
        out_trade_no=payment.out_trade_no,
        state=TradeState.PAID,
        amount=amount,
        currency="CNY",
        channel_trade_no="4200000000000000000000000001",
        paid_at=world.clock(),
        mchid=world.mchid,
        appid=world.appid,
    )
    assert apply_trade_result(world.d, payment, trade, actor="test").status == "SUCCESS"


def test_a_run_reports_the_discrepancies_it_found(world: World, metrics) -> None:
    alone(world)
    away_from_midnight(world)  # else the local_only payment is pending, and not alarmed
    day = today(world)
    paid_payment(world, 400)
    paid_here_only(world, 700)

    summary = reconcile(world, day)

    assert summary["discrepancies"] == 1
    assert metrics == [("ReconciliationDiscrepancies", 1), ("ReconciliationPending", 0)]


def test_a_clean_run_reports_zero(world: World, metrics) -> None:
    alone(world)
    summary = reconcile(world, today(world) - timedelta(days=40))
    assert summary["discrepancies"] == 0
    assert metrics == [("ReconciliationDiscrepancies", 0), ("ReconciliationPending", 0)]


def test_reports_overwrite_as_locked_versions(world: World) -> None:
    alone(world)
    s3, bucket = world.d.s3, world.d.settings.bucket
    lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    retention = lock["Rule"]["DefaultRetention"]
    assert (lock["ObjectLockEnabled"], retention["Mode"], retention["Days"]) == (
        "Enabled",
        "GOVERNANCE",
        1825,
    )
    day = today(world) - timedelta(days=50)
    key = f"reports/{day}/summary.json"

    reconcile(world, day)
    reconcile(world, day)  # a re-run writes the same keys again

    versions = s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
    assert len(versions) == 2
    oldest = min(versions, key=lambda v: v["LastModified"])
    head = s3.head_object(Bucket=bucket, Key=key, VersionId=oldest["VersionId"])
    assert head["ObjectLockMode"] == "GOVERNANCE"
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=oldest["VersionId"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert len(s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]) == 2
