"""Revoked, closed and undone trades as each provider's statement lists them (docs/reconciliation.md
"Revoked, closed and undone trades"):

- WeChat Pay's ALL bill lists a trade revoked after it was paid under its own out_trade_no with
  交易状态 `REVOKED`; a trade never paid (closed) is never listed. Built in the bill's real
  format (tests/integration/reconcile_bills.py) and read by the channel's parser.
- UnionPay's ZM file lists a consume undo (消费撤销) as a line of txnType 31, beside the consume
  (01): a refund row of the consume's orderId. Served by the UnionPay sandbox as the real
  deflated ZM/RD file and read by the channel's parser.
- Alipay's bill lists a payer code its cancel gave back (action=refund) as a trade and a refund.

And UnionPay's file and Alipay's bill through the payment classes the other tests show on WeChat
Pay's bill (channel_only, local_only, amount_mismatch, a repair with the merchant notified)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from paymux.channels.alipay.client import AlipayChannel
from paymux.channels.base import RefundRequest
from paymux.domain.ids import new_refund_id
from paymux.domain.refund import automatic_refund_id
from paymux.services.reconciliation import reconcile_day
from paymux.services.routes import attempt_route, route_channel
from tests.integration.barcode_world import ALIPAY_CODE, hold_sweep_messages, run_ladder
from tests.integration.conftest import Alipay, World, notification_bodies
from tests.integration.reconcile_bills import BillRow, serve_wechat_bills, wechat_bill
from tests.integration.test_alipay import create as alipay_create
from tests.integration.test_alipay import paid as alipay_paid
from tests.integration.test_automatic_refunds import only_alipay
from tests.integration.test_reconcile import (
    NO_CLASSES,
    alone,
    away_from_midnight,
    discrepancies,
    reconcile,
    today,
)
from tests.integration.test_refunds import paid_payment
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


def test_wechat_revoked_rows_match_a_closed_payment_and_differ_from_an_open_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone(world)
    away_from_midnight(world)
    day = today(world)
    _, closed = world.create(amount=1100)
    assert world.close(closed["id"])[0] in (200, 204)
    assert world.d.payments.get(closed["id"]).status == "CLOSED"
    _, still_open = world.create(amount=1200)
    _, never_paid = world.create(amount=1300)
    assert world.close(never_paid["id"])[0] in (200, 204)
    kept = paid_payment(world, 1400)
    bill = [
        BillRow(world.out_trade_no(closed["id"]), 1100, world.clock(), "REVOKED"),
        BillRow(world.out_trade_no(still_open["id"]), 1200, world.clock(), "REVOKED"),
        BillRow(world.out_trade_no(kept["id"]), 1400, world.clock()),
    ]  # the closed trade never paid is not listed: WeChat Pay lists paid trades only
    serve_wechat_bills(monkeypatch, {day: wechat_bill(world, bill)})

    summary = reconcile(world, day)

    assert summary["counts"]["payment"] == NO_CLASSES | {"matched": 2, "status_mismatch": 1}
    assert summary["counts"]["refund"] == NO_CLASSES
    (row,) = discrepancies(world, day)
    assert (row["class"], row["payment_id"], row["local_status"]) == (
        "status_mismatch",
        still_open["id"],
        "PROCESSING",
    )
    assert "REVOKED at the channel, still open here" in row["detail"]
    assert world.d.payments.get(still_open["id"]).status == "PROCESSING"  # never repaired from a bill
    assert world.d.payments.get(closed["id"]).status == "CLOSED"


def _run(world: World, day: date, account_id: str) -> dict:
    summary = reconcile_day(world.d, day)
    (run,) = [a for a in summary.to_dict()["accounts"] if a["account_id"] == account_id]
    return dict(run)


def _undo_at_unionpay(unionpay: UnionPayWorld, payment_id: str) -> None:
    """A consume undo (31) of the whole payment sent to UnionPay through the account's client,
    with an orderId no refund here has (as a merchant's own terminal would): paymux holds no
    refund of it. (The client sends only numbers of paymux's form: a fresh refund number.)"""
    d = unionpay.world.d
    payment = d.payments.get(payment_id)
    assert payment is not None
    channel = route_channel(d, attempt_route(d, payment))
    request = RefundRequest(
        out_trade_no=payment.out_trade_no,
        out_refund_no=new_refund_id(unionpay.world.clock()).removeprefix("re_"),
        amount=payment.amount,
        total=payment.amount,
        currency=payment.currency,
        reason="",
        notify_url="http://127.0.0.1:9/notify",
        product=payment.method,
        channel_trade_no=payment.channel_trade_no,
        paid_at=payment.paid_at,
        settle_date=payment.settle_date,
        requested_at=unionpay.world.clock(),
    )
    channel.refund(request)
    txn = unionpay.sandbox.transaction(request.out_refund_no)
    assert (txn["txnType"], txn["txnAmt"]) == ("31", payment.amount), txn


def test_unionpay_undo_rows_match_paymux_undo_and_an_undo_made_at_unionpay_differs(
    world: World, unionpay: UnionPayWorld
) -> None:
    away_from_midnight(world)
    undone, elsewhere, kept = (unionpay.paid(amount=a) for a in (1000, 1500, 700))
    status, made = unionpay.refund(undone["id"], 1000)  # full, on its clearing day: an undo (31)
    assert status == 201, made
    unionpay.deliver()
    assert world.d.refunds.get(made["id"]).status == "SUCCESS"
    _undo_at_unionpay(unionpay, elsewhere["id"])  # an undo paymux did not send
    payment = world.d.payments.get(undone["id"])
    assert payment is not None
    day = date.fromisoformat(payment.settle_date)
    lines = {(v["orderId"], v["txnType"]) for v in unionpay.sandbox.statement_rows(unionpay.mer_id, day)}
    assert (made["id"].removeprefix("re_"), "31") in lines
    unionpay.sandbox.set_file_ready(day, True)

    run = _run(world, day, unionpay.account.account_id)

    assert run["counts"]["payment"] == NO_CLASSES | {"matched": 3}
    assert run["counts"]["refund"] == NO_CLASSES | {"matched": 1, "status_mismatch": 1}
    rows = [r for r in discrepancies(world, day) if r["account_id"] == unionpay.account.account_id]
    (row,) = rows
    assert (row["class"], bool(row["out_refund_no"]), row["payment_id"], row["channel_amount"]) == (
        "status_mismatch",
        True,  # the undo's own row, a refund row
        elsewhere["id"],
        "1500",
    )
    assert "refunded in full at the channel" in row["detail"] and "never repaired" in row["detail"]
    assert world.d.payments.get(elsewhere["id"]).status == "SUCCESS"
    assert kept["id"] not in {r["payment_id"] for r in rows}


@pytest.fixture
def held(world: World, alipay: Alipay) -> Any:
    return hold_sweep_messages(world)


def test_an_alipay_payer_code_its_cancel_gave_back_is_matched_and_never_refunded_again(
    world: World, alipay: Alipay, held: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The payer pays as paymux's reversal leaves: Alipay's cancel answers action=refund and
    gives the charge back itself. Its bill lists the trade (交易) and the cancel's refund (退款);
    paymux holds the payment CLOSED and no refund of it. Neither row is a charge after close:
    no automatic refund is placed (money never moves twice), and both rows are matched."""
    only_alipay(world, alipay)
    away_from_midnight(world)
    day = today(world)
    _, body = world.create(method="barcode", payer={"auth_code": ALIPAY_CODE + "1002"}, amount=2500)
    payment = world.d.payments.get(body["id"])
    assert payment is not None
    original = AlipayChannel.reverse

    def paid_meanwhile(self: AlipayChannel, out_trade_no: str, **kwargs: Any) -> str:
        alipay.sandbox.pay(alipay.app_id, out_trade_no)  # the payer confirms as the cancel leaves
        return original(self, out_trade_no, **kwargs)

    monkeypatch.setattr(AlipayChannel, "reverse", paid_meanwhile)
    world.catcher.forward = False
    run_ladder(world, held, payment.created_at, 60, lambda: False)
    assert world.d.payments.get(body["id"]).status == "CLOSED"
    refunds_at_alipay = len(alipay.sandbox.refunds)

    run = _run(world, day, alipay.account_id)

    assert run["counts"]["payment"] == NO_CLASSES | {"matched": 1}
    assert run["counts"]["refund"] == NO_CLASSES | {"matched": 1}
    assert world.d.refunds.get(automatic_refund_id(payment.out_trade_no)) is None  # none placed
    assert len(alipay.sandbox.refunds) == refunds_at_alipay  # nothing sent to Alipay
    assert world.d.payments.get(body["id"]).status == "CLOSED"
    assert [r for r in discrepancies(world, day) if r["account_id"] == alipay.account_id] == []


def _forget_locally(world: World, payment_id: str) -> None:
    """Removes every local record of a payment (as one made outside paymux on the account's
    merId would have none): the payment item and its creation event (its first attempt)."""
    table = world.d.settings.table
    for sk in ("PAY", "EVT#000001"):
        world.d.dynamodb.delete_item(TableName=table, Key={"PK": {"S": f"PAY#{payment_id}"}, "SK": {"S": sk}})
    assert world.d.payments.get(payment_id) is None


def _record_amount(world: World, payment_id: str, amount: int) -> None:
    """The payment's amount as paymux holds it (item and paid-day sort key) set to `amount`."""
    key = {"PK": {"S": f"PAY#{payment_id}"}, "SK": {"S": "PAY"}}
    item = world.d.dynamodb.get_item(TableName=world.d.settings.table, Key=key)["Item"]
    parts = item["GSI3SK"]["S"].split("#")
    parts[2] = str(amount)
    world.d.dynamodb.update_item(
        TableName=world.d.settings.table,
        Key=key,
        UpdateExpression="SET amount = :a, GSI3SK = :sk",
        ExpressionAttributeValues={":a": {"N": str(amount)}, ":sk": {"S": "#".join(parts)}},
    )


def test_unionpay_payment_classes_in_its_own_file(world: World, unionpay: UnionPayWorld) -> None:
    """matched, channel_only, local_only, amount_mismatch and a repaired status_mismatch (the
    merchant notified), from the sandbox's deflated ZM/RD file read by the channel's parser."""
    away_from_midnight(world)
    kept, stranger, cleared_later, differs = (unionpay.paid(amount=a) for a in (1000, 1100, 1200, 1300))
    status, lost = unionpay.create("unionpay.qr", amount=1400)
    assert status == 201, lost
    world.catcher.forward = False  # its paid notify never reaches paymux
    unionpay.sandbox.pay(unionpay.order_id(lost["id"]))
    assert world.d.payments.get(lost["id"]).status == "PROCESSING"
    payment = world.d.payments.get(kept["id"])
    assert payment is not None
    day = date.fromisoformat(payment.settle_date)
    stranger_no = unionpay.order_id(stranger["id"])
    _forget_locally(world, stranger["id"])
    # UnionPay clears this one on the next day: its line is in the next day's file only (the
    # sandbox's own record moved; it has no switch for that)
    store = unionpay.sandbox._store
    held = store._by_order[(unionpay.mer_id, unionpay.order_id(cleared_later["id"]))]
    held.settle_date = date.fromordinal(day.toordinal() + 1)
    _record_amount(world, differs["id"], 1299)
    unionpay.sandbox.set_file_ready(day, True)
    world.queued_messages()
    world.run_notifier()
    before = len(notification_bodies(world.merchant_endpoint))

    run = _run(world, day, unionpay.account.account_id)

    assert run["counts"]["payment"] == NO_CLASSES | {
        "matched": 1,
        "channel_only": 1,
        "local_only": 1,
        "amount_mismatch": 1,
        "status_mismatch": 1,
    }
    rows = {r["out_trade_no"]: r for r in discrepancies(world, day)}
    assert rows[stranger_no]["class"] == "channel_only"
    assert rows[unionpay.order_id(cleared_later["id"])]["class"] == "local_only"
    assert rows[unionpay.order_id(differs["id"])]["class"] == "amount_mismatch"
    repaired = rows[unionpay.order_id(lost["id"])]
    assert repaired["class"] == "status_mismatch" and "repaired PROCESSING → SUCCESS" in repaired["detail"]
    assert world.d.payments.get(lost["id"]).status == "SUCCESS"
    world.run_notifier()
    sent = [
        (b["type"], b["data"]["object"]["id"]) for b in notification_bodies(world.merchant_endpoint)[before:]
    ]
    assert ("payment.succeeded", lost["id"]) in sent
    assert unionpay.order_id(kept["id"]) not in rows


def test_alipay_payment_classes_in_its_own_bill(world: World, alipay: Alipay) -> None:
    """matched, channel_only, amount_mismatch and a repaired status_mismatch (the merchant
    notified), from the sandbox's zip of GBK CSVs read by the channel's parser."""
    only_alipay(world, alipay)
    away_from_midnight(world)
    day = today(world)
    kept, stranger, differs = (alipay_paid(world, alipay, a) for a in (1000, 1100, 1300))
    lost = alipay_create(world, amount=1400)
    world.catcher.forward = False  # its paid notify never reaches paymux
    alipay.sandbox.pay(alipay.app_id, world.out_trade_no(lost["id"]))
    assert world.d.payments.get(lost["id"]).status == "PROCESSING"
    numbers = {p["id"]: world.out_trade_no(p["id"]) for p in (kept, stranger, differs, lost)}
    _forget_locally(world, stranger["id"])
    _record_amount(world, differs["id"], 1299)
    world.queued_messages()
    world.run_notifier()
    before = len(notification_bodies(world.merchant_endpoint))

    run = _run(world, day, alipay.account_id)

    assert run["counts"]["payment"] == NO_CLASSES | {
        "matched": 1,
        "channel_only": 1,
        "amount_mismatch": 1,
        "status_mismatch": 1,
    }
    rows = {r["out_trade_no"]: r for r in discrepancies(world, day)}
    assert rows[numbers[stranger["id"]]]["class"] == "channel_only"
    assert rows[numbers[differs["id"]]]["class"] == "amount_mismatch"
    repaired = rows[numbers[lost["id"]]]
    assert repaired["class"] == "status_mismatch" and "repaired PROCESSING → SUCCESS" in repaired["detail"]
    assert world.d.payments.get(lost["id"]).status == "SUCCESS"
    world.run_notifier()
    sent = [
        (b["type"], b["data"]["object"]["id"]) for b in notification_bodies(world.merchant_endpoint)[before:]
    ]
    assert ("payment.succeeded", lost["id"]) in sent
    assert numbers[kept["id"]] not in rows
