"""The UnionPay reconciliation file through the channel (txnType 76 at the sandbox's file
transfer): not ready yet is StatementNotReady; once ready, the day's payments of every product
and their refunds are parsed rows, checked against the file's own summary."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from paymux.channels.statement import StatementNotReady
from paymux.services.routes import attempt_route, route_channel
from tests.integration.conftest import World
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


def test_the_days_file_lists_every_product_and_its_refunds(unionpay: UnionPayWorld) -> None:
    paid = [
        unionpay.paid(method, amount=1000 + n) for n, method in enumerate(("unionpay.qr", "unionpay.gateway"))
    ]
    status, refund = unionpay.refund(paid[0]["id"], 100)
    assert status == 201, refund
    unionpay.deliver()
    payment = unionpay.world.d.payments.get(paid[0]["id"])
    assert payment is not None
    day = date.fromisoformat(payment.settle_date)
    channel = route_channel(unionpay.world.d, attempt_route(unionpay.world.d, payment))

    unionpay.sandbox.set_file_ready(day, False)
    with pytest.raises(StatementNotReady):
        channel.fetch_statement(day)
    unionpay.sandbox.set_file_ready(day, True)
    bill = channel.fetch_statement(day)

    assert bill is not None and bill.extension == "zip"  # the zip is on disk, read from there
    assert bill.raw == b"" and Path(bill.path).read_bytes().startswith(b"PK")
    assert bill.sha1 == hashlib.sha1(Path(bill.path).read_bytes(), usedforsecurity=False).hexdigest()
    orders = {p["id"]: unionpay.order_id(p["id"]) for p in paid}
    rows = {(r.kind, r.out_trade_no, r.out_refund_no, r.amount) for r in bill.rows}
    assert rows == {
        ("payment", orders[paid[0]["id"]], "", 1000),
        ("payment", orders[paid[1]["id"]], "", 1001),
        ("refund", orders[paid[0]["id"]], refund["id"].removeprefix("re_"), 100),
    }
    assert (bill.summary.records, bill.summary.payment_total, bill.summary.refund_total) == (3, 2001, 100)
    assert all(r.mchid == unionpay.mer_id for r in bill.rows)
