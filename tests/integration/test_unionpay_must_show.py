"""Issue 12's must-show list where test_unionpay_products, _notifies and _statement_file leave a
product out: the payer code (unionpay.barcode) notified, queried, refunded and undone; the day's
file with all four products, a refund and an undo; and every rejected notify variant for the
gateway, WAP and payer-code products (test_unionpay_notifies has them for the QR code)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from paymux.channels.unionpay import transform
from paymux.services.routes import attempt_route, route_channel
from tests import unionpay_keys as keys
from tests.integration.conftest import World
from tests.integration.test_unionpay_notifies import REJECTED, _post, _state
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside

PAYER_CODES = iter(f"1345678901234{n:05d}" for n in range(10_000))


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


def _paid_code(unionpay: UnionPayWorld, amount: int) -> dict:
    code = next(PAYER_CODES)
    unionpay.sandbox.script_payer_code(code, "00")
    status, body = unionpay.create("unionpay.barcode", amount=amount, payer={"auth_code": code})
    assert status == 201 and body["status"] == "SUCCESS", body
    return dict(body)


def _sent_against(unionpay: UnionPayWorld, query_id: str) -> list[tuple[str, int]]:
    views = unionpay.sandbox.transactions.values()
    return sorted((v["txnType"], v["txnAmt"]) for v in views if v.get("origQryId") == query_id)


def test_a_paid_payer_code_is_notified_queried_and_refunded_twice(unionpay: UnionPayWorld) -> None:
    body = _paid_code(unionpay, 1000)
    order_id = unionpay.order_id(body["id"])

    unionpay.deliver()  # UnionPay also notifies a payer-code consume it answered 00

    delivered = [a.status for a in unionpay.sandbox.notify_log if a.form.get("orderId") == order_id]
    assert delivered == [200]
    events = [e["type"] for e in unionpay.world.d.payments.events(body["id"])]
    assert events.count("payment.succeeded") == 1  # the notify of a known success adds nothing
    _, queried = unionpay.world.get(body["id"], query="sync=true")
    assert queried["status"] == "SUCCESS"
    view = unionpay.sandbox.transaction(order_id)
    for amount in (300, 200):
        status, refund = unionpay.refund(body["id"], amount)
        assert status == 201, refund
        unionpay.deliver()
        assert unionpay.get_refund(refund["id"])["status"] == "SUCCESS"
    _, after = unionpay.world.get(body["id"])
    assert (after["status"], after["amount_refunded"]) == ("SUCCESS", 500)
    assert _sent_against(unionpay, view["queryId"]) == [("04", 200), ("04", 300)]


def test_a_full_refund_of_a_payer_code_on_its_clearing_day_is_an_undo(unionpay: UnionPayWorld) -> None:
    body = _paid_code(unionpay, 800)
    unionpay.deliver()
    view = unionpay.sandbox.transaction(unionpay.order_id(body["id"]))

    status, refund = unionpay.refund(body["id"], 800)
    assert status == 201, refund
    unionpay.deliver()

    assert unionpay.get_refund(refund["id"])["status"] == "SUCCESS"
    _, after = unionpay.world.get(body["id"])
    assert (after["status"], after["amount_refunded"]) == ("REFUNDED", 800)
    assert unionpay.sandbox.transaction(unionpay.order_id(body["id"]))["undone"]
    assert _sent_against(unionpay, view["queryId"]) == [("31", 800)]


def test_the_days_file_parses_every_product_with_a_refund_and_an_undo(unionpay: UnionPayWorld) -> None:
    paid = [unionpay.paid(m, amount=2000 + n) for n, m in enumerate(("unionpay.qr", "unionpay.gateway"))]
    paid.append(unionpay.paid("unionpay.wap", amount=2002))
    paid.append(_paid_code(unionpay, 2003))
    unionpay.deliver()
    refunds = []
    for payment, amount in ((paid[1], 500), (paid[2], 2002)):  # a refund (04), an undo (31)
        status, refund = unionpay.refund(payment["id"], amount)
        assert status == 201, refund
        unionpay.deliver()
        refunds.append(refund)
    first = unionpay.world.d.payments.get(paid[0]["id"])
    assert first is not None
    day = date.fromisoformat(first.settle_date)
    assert {unionpay.world.d.payments.get(p["id"]).settle_date for p in paid} == {first.settle_date}
    channel = route_channel(unionpay.world.d, attempt_route(unionpay.world.d, first))
    unionpay.sandbox.set_file_ready(day, True)

    bill = channel.fetch_statement(day)

    assert bill is not None
    orders = [unionpay.order_id(p["id"]) for p in paid]
    rows = {(r.kind, r.out_trade_no, r.out_refund_no, r.amount) for r in bill.rows}
    assert rows == {
        *(("payment", order, "", 2000 + n) for n, order in enumerate(orders)),
        ("refund", orders[1], refunds[0]["id"].removeprefix("re_"), 500),
        ("refund", orders[2], refunds[1]["id"].removeprefix("re_"), 2002),
    }
    summary = bill.summary
    assert (summary.records, summary.payment_total, summary.refund_total) == (6, 8006, 2502)
    codes = {(v["orderId"], v["txnType"]) for v in unionpay.sandbox.statement_rows(unionpay.mer_id, day)}
    assert ("31" in {t for _, t in codes}) and ("04" in {t for _, t in codes})


# The notify of each product as UnionPay signs it: (bizType, txnSubType) and the create inputs.
PRODUCTS = {
    "unionpay.gateway": ("000201", "01"),
    "unionpay.wap": ("000201", "01"),
    "unionpay.barcode": ("000000", "06"),
}


def _unpaid(unionpay: UnionPayWorld, method: str) -> str:
    inputs: dict = {}
    if method == "unionpay.barcode":
        code = next(PAYER_CODES)
        unionpay.sandbox.script_payer_code(code, "04")  # unknown at create: paid later
        inputs["payer"] = {"auth_code": code}
    status, body = unionpay.create(method, amount=1234, **inputs)
    assert status == 201 and body["status"] == "PROCESSING", body
    if body["action"]["type"] == "form_post":
        assert unionpay.submit_form(body["action"]) == 200
    return str(body["id"])


def _paid_notify(unionpay: UnionPayWorld, method: str, payment_id: str) -> dict[str, str]:
    """An unsigned paid notify of `payment_id`; the account then trusts the test CA."""
    d = unionpay.world.d
    credentials = dict(d.channel_config.credentials(unionpay.account.account_id))
    chain = keys.unionpay_chain()
    d.channel_config.put_account(
        unionpay.account, credentials | {"root_cert": chain.root_pem, "middle_cert": chain.middle_pem}
    )
    order_id = unionpay.order_id(payment_id)
    sent = transform.txn_time(transform.issued_at(order_id))
    biz_type, sub_type = PRODUCTS[method]
    return {
        "accessType": "0", "bizType": biz_type, "currencyCode": "156", "encoding": "UTF-8",
        "merId": unionpay.mer_id, "orderId": order_id, "queryId": "7822" + sent[2:] + "000001",
        "respCode": "00", "respMsg": "成功[0000000]", "settleAmt": "1234", "settleCurrencyCode": "156",
        "settleDate": sent[4:8], "signMethod": "01", "traceNo": "067402", "traceTime": sent[4:],
        "txnAmt": "1234", "txnSubType": sub_type, "txnTime": sent, "txnType": "01", "version": "5.1.0",
    }  # fmt: skip


@pytest.mark.parametrize("method", list(PRODUCTS))
def test_every_notify_that_is_not_genuine_changes_nothing_then_the_genuine_one_pays(
    unionpay: UnionPayWorld, method: str
) -> None:
    payment_id = _unpaid(unionpay, method)
    fields = _paid_notify(unionpay, method, payment_id)
    before = _state(unionpay, payment_id)

    refused = {name: _post(unionpay, variant(fields)) for name, variant in REJECTED.items()}

    assert [name for name, status in refused.items() if status == 200] == []
    assert _state(unionpay, payment_id) == before and before[0] == "PROCESSING"
    assert _post(unionpay, keys.sign_as_unionpay(fields)) == 200
    assert _state(unionpay, payment_id)[0] == "SUCCESS"
