"""Checks fail closed: a channel's word about a trade that omits the amount, currency, merchant
id or app id its kind of message always carries, or disagrees on one of them, never moves an
order. A callback is not acknowledged and is recorded for operators; an active query's answer
is recorded and the payment stays open and is asked about again; a statement row is a
discrepancy, never repaired. The messages are genuinely signed by the sandboxes (their fault
injection: `misreport`, `sign_notify`), so every other check passes."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from local.seed import seed_wechat_account
from paymux.channels.base import CreateRequest
from paymux.clock import iso
from paymux.domain.ids import attempt_out_trade_no
from paymux.store.payments import payment_key
from sandbox.wechat import generate_merchant
from tests.integration.conftest import Alipay, World, callback_event
from tests.integration.test_callback_rejections import listed_exceptions
from tests.integration.test_reconcile import account_of, alone, discrepancies, reconcile, today
from tests.integration.test_refunds import paid_payment, wait_until
from tests.support import invoke, run_sweeper

Change = Callable[[dict[str, Any]], dict[str, Any]]


def _without(*path: str) -> Change:
    """The message without one (possibly nested) field."""

    def change(fields: dict[str, Any]) -> dict[str, Any]:
        if len(path) == 1:
            return {k: v for k, v in fields.items() if k != path[0]}
        return fields | {path[0]: {k: v for k, v in fields[path[0]].items() if k != path[1]}}

    return change


def _with(**values: Any) -> Change:
    return lambda fields: fields | values


def _other_currency(fields: dict[str, Any]) -> dict[str, Any]:
    return fields | {"amount": fields["amount"] | {"currency": "USD"}}


def _unchanged(world: World, created: dict[str, Any]) -> None:
    payment = world.d.payments.get(created["id"])
    assert (payment.status, payment.version) == ("PROCESSING", created["version"])
    assert world.queued_messages() == []  # the merchant is told nothing


def _scheduled_after(world: World, payment_id: str, moment: float) -> bool:
    item = world.d.dynamodb.get_item(TableName=world.d.settings.table, Key=payment_key(payment_id))["Item"]
    return item["GSI1SK"]["S"] > iso(moment)


# -- WeChat Pay callbacks --------------------------------------------------------------------

WECHAT_CALLBACKS: dict[str, tuple[Change, str, str]] = {
    "no amount": (_without("amount"), "incomplete_trade", "without amount"),
    "no amount.total": (_without("amount", "total"), "incomplete_trade", "without amount"),
    "no currency": (_without("amount", "currency"), "incomplete_trade", "without currency"),
    "no mchid": (_without("mchid"), "incomplete_trade", "without merchant id"),
    "no appid": (_without("appid"), "incomplete_trade", "without app id"),
    "another currency": (_other_currency, "trade_mismatch", "currency USD != CNY"),
    "another mchid": (_with(mchid="1900000001"), "trade_mismatch", "merchant id 1900000001 != "),
    "another appid": (_with(appid="wxother"), "trade_mismatch", "app id wxother != "),
}


@pytest.mark.parametrize("case", list(WECHAT_CALLBACKS))
def test_a_wechat_paid_callback_that_omits_or_disagrees_moves_nothing(world: World, case: str):
    change, kind, reason = WECHAT_CALLBACKS[case]
    _, created = world.create(amount=2500)
    out_trade_no = world.out_trade_no(created["id"])
    world.sandbox.misreport(world.mchid, out_trade_no, change)
    world.catcher.forward = False  # capture the sandbox's callback, then hand it to the handler
    world.sandbox.pay(world.mchid, out_trade_no)
    wait_until(lambda: world.catcher.received)
    callback = world.catcher.received[0]

    reply = invoke(
        "channel_callback", callback_event(world.account_id, callback["headers"], callback["body"])
    )

    assert reply["statusCode"] == 500  # not acknowledged: WeChat Pay resends it
    _unchanged(world, created)
    (listed,) = listed_exceptions(kind)
    assert listed["subject"] == out_trade_no and reason in listed["detail"]["reason"]


# -- Alipay notifies -------------------------------------------------------------------------

ALIPAY_NOTIFIES: dict[str, tuple[Change, str, str]] = {
    "no total_amount": (_without("total_amount"), "incomplete_trade", "without amount"),
    "no seller_id": (_without("seller_id"), "incomplete_trade", "without merchant id"),
    "no app_id": (_without("app_id"), "incomplete_trade", "without app id"),
    "another seller_id": (_with(seller_id="2088999999999999"), "trade_mismatch", "merchant id 2088999"),
    "another app_id": (_with(app_id="2021999999999999"), "trade_mismatch", "app id 2021999999999999 != "),
    "another currency": (_with(trans_currency="USD"), "trade_mismatch", "currency USD != CNY"),
}


@pytest.mark.parametrize("case", list(ALIPAY_NOTIFIES))
def test_an_alipay_paid_notify_that_omits_or_disagrees_moves_nothing(world: World, alipay: Alipay, case: str):
    change, kind, reason = ALIPAY_NOTIFIES[case]
    status, created = world.create(method="alipay.qr", amount=1999)
    assert status == 201
    out_trade_no = world.out_trade_no(created["id"])
    world.catcher.forward = False
    alipay.sandbox.pay(alipay.app_id, out_trade_no)
    wait_until(lambda: world.catcher.received)
    genuine = dict(parse_qsl(world.catcher.received[0]["body"].decode(), keep_blank_values=True))
    signed_by_alipay = alipay.sandbox.sign_notify(change(genuine))
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    body = urlencode(signed_by_alipay).encode()

    reply = invoke("channel_callback", callback_event(alipay.account_id, headers, body, "alipay"))

    assert (reply["statusCode"], reply["body"]) == (500, "fail")  # not acknowledged: Alipay resends
    _unchanged(world, created)
    (listed,) = listed_exceptions(kind)
    assert listed["subject"] == out_trade_no and reason in listed["detail"]["reason"]


# -- active queries --------------------------------------------------------------------------


def _paid_but_misreported(world: World, change: Change) -> dict[str, Any]:
    """Paid at WeChat Pay, callback lost, and WeChat's answers about it are `change`d."""
    _, created = world.create(amount=2500)
    out_trade_no = world.out_trade_no(created["id"])
    world.sandbox.misreport(world.mchid, out_trade_no, change)
    world.catcher.forward = False
    world.sandbox.pay(world.mchid, out_trade_no)
    return created


def test_the_sweeper_believes_no_paid_answer_without_an_amount(world: World):
    created = _paid_but_misreported(world, _without("amount"))
    world.clock.advance(61)
    now = world.clock()

    report = run_sweeper()

    assert report["queried"] == 1
    _unchanged(world, created)
    assert _scheduled_after(world, created["id"], now)  # asked about again later
    (listed,) = listed_exceptions("incomplete_trade")
    assert listed["detail"]["actor"] == "active_query" and "without amount" in listed["detail"]["reason"]
    run_sweeper()  # asked again later with the same answer: still one record
    world.clock.advance(61)
    run_sweeper()
    assert len(listed_exceptions("incomplete_trade")) == 1


@pytest.mark.parametrize(
    ("change", "kind"),
    [(_without("amount"), "incomplete_trade"), (_with(mchid="1900000001"), "trade_mismatch")],
)
def test_a_sync_get_answers_the_payment_as_it_is_when_the_channel_answer_is_wrong(
    world: World, change: Change, kind: str
):
    created = _paid_but_misreported(world, change)

    status, body = world.get(created["id"], query="sync=true")

    assert (status, body["status"], body["version"]) == (200, "PROCESSING", created["version"])
    _unchanged(world, created)
    (listed,) = listed_exceptions(kind)
    assert listed["detail"]["actor"] == "merchant_sync"


def test_a_sync_get_believes_no_alipay_query_answer_without_total_amount(world: World, alipay: Alipay):
    status, created = world.create(method="alipay.qr", amount=1999)
    assert status == 201
    out_trade_no = world.out_trade_no(created["id"])
    alipay.sandbox.misreport(alipay.app_id, out_trade_no, _without("total_amount"))
    world.catcher.forward = False
    alipay.sandbox.pay(alipay.app_id, out_trade_no)

    status, body = world.get(created["id"], query="sync=true")

    assert (status, body["status"]) == (200, "PROCESSING")
    _unchanged(world, created)
    (listed,) = listed_exceptions("incomplete_trade")
    assert listed["subject"] == out_trade_no
    alipay.sandbox.misreport(alipay.app_id, out_trade_no, None)  # Alipay answers right again
    assert world.get(created["id"], query="sync=true")[1]["status"] == "SUCCESS"


def test_a_close_whose_paid_answer_disagrees_leaves_the_payment_open(world: World):
    created = _paid_but_misreported(world, lambda tx: tx | {"amount": tx["amount"] | {"total": 1}})

    status, body = world.close(created["id"])

    assert (status, body["error"]["code"]) == (409, "payment_under_review")
    _unchanged(world, created)
    (listed,) = listed_exceptions("trade_mismatch")
    assert "amount 1 != 2500" in listed["detail"]["reason"]


def test_a_closed_answer_naming_another_merchant_closes_nothing(world: World):
    _, created = world.create(amount=2500)
    world.sandbox.misreport(world.mchid, world.out_trade_no(created["id"]), _with(mchid="1900000001"))

    status, body = world.close(created["id"])

    assert (status, body["error"]["code"]) == (409, "payment_under_review")
    _unchanged(world, created)
    (listed,) = listed_exceptions("trade_mismatch")
    assert listed["detail"]["channel_state"] == "CLOSED"


# -- statement rows --------------------------------------------------------------------------


def _account_appid_changed(world: World) -> None:
    """An operator re-pointed the account at another app id: the bill's rows name the old one."""
    account = world.d.channel_config.account(world.account_id)
    world.d.channel_config.put_account(replace(account, appid="wxchangedchanged"), None)


def test_a_statement_row_of_another_app_is_a_discrepancy_not_a_match(world: World):
    alone(world)
    day = today(world)
    paid = paid_payment(world, 1000)
    _account_appid_changed(world)

    summary = reconcile(world, day)

    counts = account_of(summary, world)["counts"]["payment"]
    assert (counts["matched"], counts["merchant_mismatch"]) == (0, 1)
    (row,) = discrepancies(world, day)
    assert (row["class"], row["payment_id"]) == ("merchant_mismatch", paid["id"])
    assert f"app id {world.appid} != wxchangedchanged" in row["detail"]


def test_a_statement_row_of_another_app_repairs_nothing(world: World):
    alone(world)
    day = today(world)
    _, lost = world.create(amount=1999)
    world.catcher.forward = False  # the callback never reaches us
    world.sandbox.pay(world.mchid, world.out_trade_no(lost["id"]))
    _account_appid_changed(world)

    summary = reconcile(world, day)

    assert summary["repaired"] == 0
    assert world.d.payments.get(lost["id"]).status == "PROCESSING"
    (row,) = discrepancies(world, day)
    assert row["class"] == "merchant_mismatch" and "not repaired" in row["detail"]


# -- the paid-day index ------------------------------------------------------------------------


def test_a_paid_earlier_attempt_is_indexed_and_reconciled_under_the_account_paid(world: World):
    """The payment moved on to attempt 2 at account B, but the payer paid attempt 1 at A."""
    alone(world)
    day = today(world)
    _, created = world.create(amount=3000)
    first = world.d.payments.get(created["id"])
    suffix = secrets.token_hex(4)
    mchid = str(1_800_000_000 + int(suffix, 16) % 99_999)  # not the world's (19…)
    identity = generate_merchant(mchid=mchid, appids=(f"wx{suffix}b{suffix}",))
    other = seed_wechat_account(world.d, world.sandbox, identity, f"wx-b-{suffix}", owner=first.merchant_id)
    second_no = attempt_out_trade_no(first.payment_id, 2)
    notify_url = f"{world.catcher.base_url}/v1/callbacks/wechat/{other.account_id}"
    world.d.channel(other).create(
        CreateRequest(second_no, "wechat.native", 3000, "CNY", "second", notify_url, first.expires_at)
    )
    attempt = {
        "out_trade_no": second_no,
        "payment_id": first.payment_id,
        "account_id": other.account_id,
        "provider": "wechat",
        "product": "wechat.native",
        "created_at": world.clock(),
    }
    changes = {"account_id": other.account_id, "out_trade_no": second_no, "attempt_count": 2}
    world.d.payments.add_attempt(first, attempt, changes | {"updated_at": world.clock()})

    world.sandbox.pay(world.mchid, first.out_trade_no)  # attempt 1, at account A
    wait_until(lambda: world.d.payments.get(created["id"]).status == "SUCCESS")

    paid = world.d.payments.get(created["id"])
    assert (paid.account_id, paid.out_trade_no) == (world.account_id, first.out_trade_no)
    assert [p.payment_id for p in world.d.payments.paid_on(world.account_id, day)] == [created["id"]]
    assert world.d.payments.paid_on(other.account_id, day) == []
    summary = reconcile(world, day)
    assert account_of(summary, world)["counts"]["payment"]["matched"] == 1
    (at_b,) = [a for a in summary["accounts"] if a["account_id"] == other.account_id]
    assert at_b["counts"]["payment"]["local_only"] == 0
    assert discrepancies(world, day) == []
