"""Checking the route of a statement's automatic refund rows reads their attempts in batches
(services/reconciliation_routes.refund_attempts: PaymentStore.attempts_of, BatchGetItem), never
one GetItem a row. The rows reach that check when the index does not match them alone: here,
refunds that succeeded before the refund-day index (their entries removed), read by key."""

from __future__ import annotations

from typing import Any

import pytest

from paymux.domain.refund import automatic_refund_id
from paymux.store.payment_keys import first_attempt_key
from paymux.store.refunds import refund_key
from tests.integration.conftest import World
from tests.integration.reconcile_bills import BillRow, serve_wechat_bills, wechat_bill
from tests.integration.test_automatic_refunds import double_charge
from tests.integration.test_reconcile import NO_CLASSES, alone, away_from_midnight, reconcile, today
from tests.integration.test_reconcile_scale import reads  # noqa: F401 - a fixture used below


def _keys(params: dict[str, Any]) -> list[str]:
    return [k["PK"]["S"] + "|" + k["SK"]["S"] for t in params["RequestItems"].values() for k in t["Keys"]]


def test_automatic_refund_rows_read_their_attempts_in_one_batch(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    reads: list[tuple[str, dict[str, Any]]],  # noqa: F811 - the fixture
) -> None:
    alone(world)
    away_from_midnight(world)
    day = today(world)
    charges = [double_charge(world, 3000 + n) for n in range(3)]
    bill: list[BillRow] = []
    attempt_keys = set()
    for created, extra in charges:
        refund = world.d.refunds.get(automatic_refund_id(extra))
        assert refund is not None and refund.status == "SUCCESS"
        world.d.dynamodb.update_item(  # no index entry: the row is resolved by reading the refund
            TableName=world.d.settings.table,
            Key=refund_key(refund.refund_id),
            UpdateExpression="REMOVE GSI3PK, GSI3SK",
        )
        kept = world.d.payments.get(created["id"]).out_trade_no
        bill += [BillRow(kept, refund.amount, world.clock()), BillRow(extra, refund.amount, world.clock())]
        bill.append(BillRow(extra, refund.amount, world.clock(), "", refund.out_refund_no, "SUCCESS"))
        key = first_attempt_key(extra)
        assert key is not None  # the extra attempt is the payment's first: on its creation event
        attempt_keys.add(key["PK"]["S"] + "|" + key["SK"]["S"])
    serve_wechat_bills(monkeypatch, {day: wechat_bill(world, bill)})
    reads.clear()

    summary = reconcile(world, day)

    assert summary["counts"]["refund"] == NO_CLASSES | {"matched": 3}
    single = [p["Key"]["PK"]["S"] + "|" + p["Key"]["SK"]["S"] for n, p in reads if n == "GetItem"]
    assert not attempt_keys & set(single)  # no attempt read one by one
    attempt_keys |= {"ATTEMPT#" + extra + "|ATTEMPT" for _, extra in charges}
    batches = [_keys(p) for n, p in reads if n == "BatchGetItem" if attempt_keys & set(_keys(p))]
    assert {k for b in batches for k in b} >= {k for k in attempt_keys if not k.startswith("ATTEMPT#")}
    assert len(batches) <= 2  # the refunds' attempts in one call (the payment rows' in at most one)
