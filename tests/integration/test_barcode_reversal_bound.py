"""A payer-code reversal that never ends (services/reversal_review): WeChat Pay accepts every
reverse (SUCCESS, recall=N) but its query keeps reading the trade paid. The reversal is sent a
bounded number of times, the payment stays open (its outcome is not known), one operator
exception is opened, and the operator's resolution in the console gives the payment its final
state. The real reverse messages go to the sandbox, which checks them as always; only its
revoking is switched off."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from paymux.channels.base import TradeResult, TradeState
from paymux.channels.wechat.client import WeChatPayChannel
from paymux.console.api import BY_NAME, handle_console
from paymux.console.audit import actions_on
from paymux.domain.refund import automatic_refund_id
from paymux.domain.states import PaymentStatus
from paymux.services.exceptions import list_exceptions
from paymux.services.outcomes import apply_trade_result, transition
from paymux.services.reversal_review import MAX_STILL_PAID_ROUNDS, REVERSAL_UNCONFIRMED
from sandbox.wechat.store import SandboxStore
from tests.integration.barcode_world import (
    WECHAT_CODE,
    event_types,
    hold_sweep_messages,
    run_ladder,
    sweep_at,
)
from tests.integration.conftest import World
from tests.integration.test_console_api import OPERATOR, event
from tests.integration.test_console_operations import recording
from tests.integration.test_reconcile import SHANGHAI, reconcile


@pytest.fixture
def stuck(world: World, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A waiting code whose payer confirms as the first reverse leaves; every reverse is then
    accepted by the sandbox without revoking the paid order."""
    held = hold_sweep_messages(world)
    status, body = world.create(method="barcode", payer={"auth_code": WECHAT_CODE + "102"}, amount=1999)
    assert status == 201 and body["status"] == "PROCESSING", body
    payment = world.d.payments.get(body["id"])
    assert payment is not None
    reverses: list[str] = []
    original = WeChatPayChannel.reverse

    def counted(self: WeChatPayChannel, out_trade_no: str, **kwargs: Any) -> str:
        if not reverses:
            order = world.sandbox.orders[out_trade_no]
            world.sandbox.confirm_payer_code(order["mchid"], out_trade_no)
        reverses.append(out_trade_no)
        return original(self, out_trade_no, **kwargs)

    monkeypatch.setattr(WeChatPayChannel, "reverse", counted)
    monkeypatch.setattr(SandboxStore, "revoke_code", lambda self, mchid, out_trade_no: None)
    run_ladder(world, held, payment.created_at, 55, lambda: False)
    for at in (60.5, 121.0, 182.0, 243.0, 304.0, 900.0, 86400.0):  # the reversal, then deferred
        sweep_at(world, held, at, payment.created_at)
    return {"payment": payment, "reverses": reverses, "out_trade_no": world.out_trade_no(payment.payment_id)}


def _console(world: World, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    answer = handle_console(world.d, event(method, path, OPERATOR, body=body))
    return answer["statusCode"], json.loads(answer["body"])


def _queued(world: World) -> dict[str, Any]:
    status, queue = _console(world, "GET", "/console/api/exceptions")
    assert status == 200
    (item,) = [x for x in queue["data"] if x["kind"] == REVERSAL_UNCONFIRMED]
    return item


def test_the_reversal_stops_after_its_bound_and_opens_one_exception(
    world: World, stuck: dict[str, Any]
) -> None:
    payment = stuck["payment"]
    # three accepted reverses, none after the bound (the sweeps at 243 s … 1 day sent nothing)
    assert stuck["reverses"] == [stuck["out_trade_no"]] * MAX_STILL_PAID_ROUNDS
    assert world.sandbox.orders[stuck["out_trade_no"]]["trade_state"] == "SUCCESS"  # still paid there
    stored = world.d.payments.get(payment.payment_id)
    assert stored is not None and stored.status == "PROCESSING"  # neither SUCCESS nor CLOSED
    assert stored.reversal_rounds == MAX_STILL_PAID_ROUNDS and stored.reversal_escalated_at is not None
    types = event_types(world, payment.payment_id)
    assert types.count("payment.reversed") == MAX_STILL_PAID_ROUNDS
    assert types.count("payment.reversal_still_paid") == MAX_STILL_PAID_ROUNDS - 1
    assert types.count("payment.reversal_escalated") == 1
    assert "payment.succeeded" not in types and "payment.closed" not in types
    (opened,) = [x for x in list_exceptions(world.d) if x["kind"] == REVERSAL_UNCONFIRMED]
    detail = opened["detail"]
    assert opened["subject"] == payment.payment_id
    assert (detail["reverse_answer"], detail["query_answer"], detail["rounds"]) == ("reversed", "SUCCESS", 3)
    assert "outcome=closed" in detail["action"] and "outcome=paid" in detail["action"]

    status, closed = world.close(payment.payment_id)  # the merchant's close sends nothing either
    assert (status, closed["error"]["code"]) == (409, "payment_under_review"), closed
    assert len(stuck["reverses"]) == MAX_STILL_PAID_ROUNDS
    status, shown = world.get(payment.payment_id)
    assert (status, shown["status"]) == (200, "PROCESSING")


def test_resolving_it_paid_makes_the_payment_success(world: World, stuck: dict[str, Any]) -> None:
    payment = stuck["payment"]
    item = _queued(world)
    path = f"/console/api/exceptions/{item['id']}/resolve"
    for body in ({"note": "checked"}, {"note": "checked", "outcome": "refund"}, {"note": "x", "outcome": 1}):
        status, answer = _console(world, "POST", path, body)
        assert (status, answer["error"]["code"]) == (422, "validation_failed"), answer
    assert world.d.payments.get(payment.payment_id).status == "PROCESSING"  # nothing written
    assert _queued(world)["id"] == item["id"]

    with recording(world.d.dynamodb, world.d.s3, world.d.sqs) as made:  # what its function's role must grant
        status, resolved = _console(
            world, "POST", path, {"note": "WeChat Pay kept the charge", "outcome": "paid"}
        )
    assert made <= set(BY_NAME["resolve_exception"].actions), sorted(made)
    assert status == 200 and (resolved["outcome"], resolved["payment_status"]) == ("paid", "SUCCESS"), (
        resolved
    )
    stored = world.d.payments.get(payment.payment_id)
    assert stored is not None and stored.status == "SUCCESS" and stored.channel_trade_no
    assert "payment.succeeded" in event_types(world, payment.payment_id)
    assert [x for x in list_exceptions(world.d) if x["kind"] == REVERSAL_UNCONFIRMED] == []
    again = _console(world, "POST", path, {"note": "twice", "outcome": "closed"})
    assert (again[0], again[1]["error"]["code"]) == (409, "exception_resolved")
    assert world.d.payments.get(payment.payment_id).status == "SUCCESS"
    (audit,) = [a for a in actions_on(world.d, world.clock()) if a["action"] == "exception.resolved"]
    assert json.loads(audit["detail"])["outcome"] == "paid"
    assert len(stuck["reverses"]) == MAX_STILL_PAID_ROUNDS


def test_resolving_it_closed_closes_the_payment_without_a_refund(world: World, stuck: dict[str, Any]) -> None:
    payment = stuck["payment"]
    path = f"/console/api/exceptions/{_queued(world)['id']}/resolve"
    status, resolved = _console(
        world, "POST", path, {"note": "revoked in the merchant platform", "outcome": "closed"}
    )
    assert status == 200 and resolved["payment_status"] == "CLOSED", resolved
    stored = world.d.payments.get(payment.payment_id)
    assert stored is not None and stored.status == "CLOSED" and stored.watch_until == 0.0
    assert stored.automatic_refunds == {}  # the operator said the payer has it back: no refund
    again = _console(world, "POST", path, {"note": "twice", "outcome": "closed"})
    assert (again[0], again[1]["error"]["code"]) == (409, "exception_resolved")


def test_an_outcome_against_the_payments_final_state_is_a_409(
    world: World, stuck: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = stuck["payment"]
    monkeypatch.undo()  # the reverse took effect late at the channel: the order reads REVOKED
    order = world.sandbox.orders[stuck["out_trade_no"]]
    SandboxStore.revoke_code(world.sandbox._store, order["mchid"], stuck["out_trade_no"])
    status, shown = world.get(payment.payment_id, "sync=true")  # the channel's CLOSED word applies
    assert (status, shown["status"]) == (200, "CLOSED"), shown
    path = f"/console/api/exceptions/{_queued(world)['id']}/resolve"
    status, answer = _console(world, "POST", path, {"note": "kept", "outcome": "paid"})
    assert (status, answer["error"]["code"]) == (409, "exception_outcome_conflict"), answer
    assert _queued(world)["subject"] == payment.payment_id  # still on the queue
    status, resolved = _console(world, "POST", path, {"note": "revoked late", "outcome": "closed"})
    assert (status, resolved["payment_status"]) == (200, "CLOSED"), resolved


def test_paid_losing_to_a_concurrent_close_is_a_409_without_a_refund(
    world: World, stuck: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another operator resolves `closed` between this resolution's read of the open payment
    and its transition: the `paid` decision loses the race (409), and PAID is never applied to
    the CLOSED payment (that would refund a payer the operator says has the money back)."""
    payment = stuck["payment"]
    path = f"/console/api/exceptions/{_queued(world)['id']}/resolve"
    store, read = world.d.payments, world.d.payments.get
    raced: list[str] = []

    def read_then_closed(payment_id: str) -> Any:
        found = read(payment_id)
        if found is not None and not raced and found.status == "PROCESSING":
            raced.append(payment_id)  # the other operator's close lands right behind this read
            note = {"reason": "operator", "resolution": "closed", "out_trade_no": found.out_trade_no}
            changes = {"closed_at": world.clock(), "watch_until": 0.0}
            transition(world.d, found, PaymentStatus.CLOSED, changes, "payment.closed", "operator-b", note)
        return found

    monkeypatch.setattr(store, "get", read_then_closed)
    status, answer = _console(world, "POST", path, {"note": "kept", "outcome": "paid"})
    assert raced == [payment.payment_id]
    assert (status, answer["error"]["code"]) == (409, "exception_outcome_conflict"), answer
    stored = read(payment.payment_id)
    assert stored is not None and stored.status == "CLOSED"
    assert stored.automatic_refunds == {}  # no refund placed
    assert "payment.paid_after_close" not in event_types(world, payment.payment_id)
    assert [x for x in list_exceptions(world.d) if x["kind"] == "paid_after_terminal"] == []


def test_a_paid_read_after_the_operators_close_refunds_nothing(world: World, stuck: dict[str, Any]) -> None:
    """A late SUCCESS word (notify, `?sync=true`, the statement's repair) about a payment an
    operator resolved `closed`: recorded for a person, never refunded automatically."""
    payment = stuck["payment"]
    trade = dict(_queued(world)["detail"]["trade"])
    path = f"/console/api/exceptions/{_queued(world)['id']}/resolve"
    status, _ = _console(world, "POST", path, {"note": "revoked there", "outcome": "closed"})
    assert status == 200
    closed = world.d.payments.get(payment.payment_id)
    assert closed is not None and closed.status == "CLOSED"
    trade |= {"state": TradeState(trade["state"]), "carries": frozenset(trade["carries"])}
    after = apply_trade_result(world.d, closed, TradeResult(**trade), "notify")
    assert after.status == "CLOSED"
    stored = world.d.payments.get(payment.payment_id)
    assert stored is not None and stored.automatic_refunds == {}
    assert [x["subject"] for x in list_exceptions(world.d) if x["kind"] == "paid_after_terminal"] == [
        payment.payment_id
    ]


def test_reconciliation_leaves_the_operators_close_to_an_operator(
    world: World, stuck: dict[str, Any]
) -> None:
    """The day's statement lists the trade paid (the channel still reads it so) after the
    operator resolved it `closed`: a status_mismatch for a person, no automatic refund."""
    payment = stuck["payment"]
    path = f"/console/api/exceptions/{_queued(world)['id']}/resolve"
    status, _ = _console(world, "POST", path, {"note": "refunded there", "outcome": "closed"})
    assert status == 200
    day = datetime.fromtimestamp(payment.created_at, SHANGHAI).date()  # the fixture ran a day on
    summary = reconcile(world, day)
    (account,) = [a for a in summary["accounts"] if a["account_id"] == world.account_id]
    assert account["counts"]["payment"]["status_mismatch"] == 1, account
    stored = world.d.payments.get(payment.payment_id)
    assert stored is not None and stored.status == "CLOSED" and stored.automatic_refunds == {}
    assert world.d.refunds.get(automatic_refund_id(stuck["out_trade_no"])) is None
