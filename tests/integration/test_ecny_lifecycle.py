"""e-CNY through Huifu 斗拱, per product against the sandbox: create, pay, notify (answered
RECV_ORD_ID_<req_seq_id>), query, refund, refund query, and the day's trade bill."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import pytest

from paymux.clock import CHINA, iso
from paymux.services.routes import attempt_route, route_channel
from paymux.services.sweep_schedule import LADDER_GUARD
from tests.integration.conftest import World
from tests.integration.huifu_world import HuifuWorld, huifu_beside
from tests.integration.test_reconcile import NO_CLASSES, away_from_midnight, reconcile, today
from tests.support import run_sweeper


@pytest.fixture
def huifu(world: World) -> Iterator[HuifuWorld]:
    yield from huifu_beside(world)


def _code() -> str:
    return "0" + "".join(secrets.choice("0123456789") for _ in range(17))


def _paid_code(huifu: HuifuWorld, amount: int) -> dict:
    status, body = huifu.create("ecny.barcode", amount=amount, payer={"auth_code": _code()})
    assert status == 201 and body["status"] == "SUCCESS", body
    return dict(body)


def _delivered(huifu: HuifuWorld, number: str) -> list[tuple[int | None, str]]:
    return [(a.status, a.answer) for a in huifu.sandbox.notify_log if a.req_seq_id == number]


def test_a_qr_code_is_shown_paid_notified_queried_and_refunded(huifu: HuifuWorld) -> None:
    status, body = huifu.create("ecny.qr", amount=2500)
    assert status == 201 and body["status"] == "PROCESSING", body
    number = huifu.req_seq_id(body["id"])
    order = huifu.sandbox.order(number)
    assert body["action"] == {"type": "qr_code", "code_url": order.qr_code}
    assert (order.trade_type, order.amount, order.huifu_id) == ("D_NATIVE", 2500, huifu.account.mchid)

    huifu.sandbox.pay(number)
    huifu.deliver()

    assert _delivered(huifu, number) == [(200, "RECV_ORD_ID_" + number)]  # once: acknowledged
    _, paid = huifu.world.get(body["id"], query="sync=true")  # and the query agrees
    assert paid["status"] == "SUCCESS"
    payment = huifu.world.d.payments.get(body["id"])
    assert payment is not None and payment.channel_trade_no == order.hf_seq_id
    status, refund = huifu.refund(body["id"], 700)
    assert status == 201, refund
    huifu.deliver()
    assert huifu.get_refund(refund["id"])["status"] == "SUCCESS"
    (placed,) = order.refunds
    assert (placed.amount, placed.stat, placed.req_seq_id) == (700, "S", refund["id"].removeprefix("re_"))
    channel = route_channel(huifu.world.d, attempt_route(huifu.world.d, payment))
    queried = channel.query_refund(placed.req_seq_id, number)
    assert (queried.state, queried.amount, queried.channel_refund_no) == ("SUCCESS", 700, placed.hf_seq_id)
    _, after = huifu.world.get(body["id"])
    assert (after["status"], after["amount_refunded"]) == ("SUCCESS", 700)


def test_a_payer_code_paid_at_once_is_success_in_the_create_answer_and_refunds(huifu: HuifuWorld) -> None:
    body = _paid_code(huifu, 1200)
    number = huifu.req_seq_id(body["id"])
    assert body["action"] == {"type": "payer_code"}
    assert huifu.sandbox.order(number).trade_type == "D_MICROPAY"
    huifu.deliver()  # Huifu notifies the paid micropay too: its notify adds nothing
    assert _delivered(huifu, number) == [(200, "RECV_ORD_ID_" + number)]
    events = [e["type"] for e in huifu.world.d.payments.events(body["id"])]
    assert events.count("payment.succeeded") == 1
    status, refund = huifu.refund(body["id"], 1200)
    assert status == 201, refund
    huifu.deliver()
    assert huifu.get_refund(refund["id"])["status"] == "SUCCESS"
    _, after = huifu.world.get(body["id"])
    assert (after["status"], after["amount_refunded"]) == ("REFUNDED", 1200)


def test_a_pending_payer_code_waits_for_the_wallet_then_its_query_pays_it(huifu: HuifuWorld) -> None:
    code = _code()
    huifu.sandbox.script_payer_code(code, "P")
    huifu.world.catcher.forward = False  # the notify is lost: the ladder's query carries it
    status, body = huifu.create("ecny.barcode", amount=880, payer={"auth_code": code})
    assert status == 201 and body["status"] == "PROCESSING", body
    number = huifu.req_seq_id(body["id"])
    _, still = huifu.world.get(body["id"], query="sync=true")
    assert still["status"] == "PROCESSING"  # P: the payer confirms in the wallet

    huifu.sandbox.pay(number)
    _, paid = huifu.world.get(body["id"], query="sync=true")

    assert paid["status"] == "SUCCESS"


def test_a_refused_payer_code_fails_the_payment(huifu: HuifuWorld) -> None:
    code = _code()
    huifu.sandbox.script_payer_code(code, "F")
    status, body = huifu.create("ecny.barcode", amount=880, payer={"auth_code": code})
    assert status == 201 and body["status"] == "FAILED", body


def test_the_days_trade_bill_lists_both_products_and_the_refund_only(huifu: HuifuWorld) -> None:
    qr = huifu.paid_qr(2001)
    code = _paid_code(huifu, 2002)
    status, refund = huifu.refund(qr["id"], 501)
    assert status == 201, refund
    huifu.deliver()
    payment = huifu.world.d.payments.get(qr["id"])
    assert payment is not None
    day = datetime.fromtimestamp(int(payment.paid_at or 0), CHINA).date()
    channel = route_channel(huifu.world.d, attempt_route(huifu.world.d, payment))
    huifu.sandbox.set_file_ready(day, True)

    bill = channel.fetch_statement(day)

    assert bill is not None and bill.extension == "zip"
    rows = {(r.kind, r.out_trade_no, r.out_refund_no, r.amount, r.mchid) for r in bill.rows}
    mchid = huifu.account.mchid
    assert rows == {
        ("payment", huifu.req_seq_id(qr["id"]), "", 2001, mchid),
        ("payment", huifu.req_seq_id(code["id"]), "", 2002, mchid),
        ("refund", huifu.req_seq_id(qr["id"]), refund["id"].removeprefix("re_"), 501, mchid),
    }  # the sandbox's WeChat row of the same file is not e-CNY's: skipped
    assert (bill.summary.records, bill.summary.payment_total, bill.summary.refund_total) == (3, 4003, 501)
    huifu.sandbox.set_file_ready(day, False)
    with pytest.raises(Exception, match="not made the file"):
        channel.fetch_statement(day)


@pytest.mark.parametrize(("wallet", "final"), [("pay", "SUCCESS"), ("fail", "FAILED")])
def test_a_pending_payer_code_is_on_the_payer_code_ladder_and_a_sweep_reads_the_wallets_decision(
    huifu: HuifuWorld, wallet: str, final: str
) -> None:
    code = _code()
    huifu.sandbox.script_payer_code(code, "P")
    huifu.world.catcher.forward = False  # no notify arrives: only the sweeper's queries
    status, body = huifu.create("ecny.barcode", amount=660, payer={"auth_code": code})
    assert status == 201 and body["status"] == "PROCESSING", body
    payment = huifu.world.d.payments.get(body["id"])
    assert payment is not None
    key = {"PK": {"S": f"PAY#{body['id']}"}, "SK": {"S": "PAY"}}
    item = huifu.world.d.dynamodb.get_item(TableName=huifu.world.d.settings.table, Key=key)["Item"]
    # the first rung, 5 s (fired by a delayed sweep message; the index entry is its guard)
    assert item["GSI1SK"]["S"].startswith(iso(payment.created_at + 5.0 + LADDER_GUARD))

    getattr(huifu.sandbox, wallet)(huifu.req_seq_id(body["id"]))
    huifu.world.clock.advance(5.0 + LADDER_GUARD + 1)
    run_sweeper()

    after = huifu.world.d.payments.get(body["id"])
    assert after is not None and after.status.value == final


def test_the_days_reconciliation_matches_the_e_cny_bill(huifu: HuifuWorld) -> None:
    away_from_midnight(huifu.world)
    huifu.world.d.channel_config.put_account(
        replace(huifu.world.d.channel_config.account(huifu.world.account_id), enabled=False), None
    )  # only the Huifu account is reconciled
    qr = huifu.paid_qr(3000)
    _paid_code(huifu, 1000)
    status, refund = huifu.refund(qr["id"], 300)
    assert status == 201, refund
    huifu.deliver()
    day = today(huifu.world)
    huifu.sandbox.set_file_ready(day, True)

    summary = reconcile(huifu.world, day)

    assert summary["counts"]["payment"] == NO_CLASSES | {"matched": 2}, summary
    assert summary["counts"]["refund"] == NO_CLASSES | {"matched": 1}, summary
    assert summary["discrepancies"] == 0
