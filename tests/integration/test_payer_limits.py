"""Per-payer daily limits through the real create handler: enforced atomically in the create
transaction (concurrent creates cannot overshoot), refused with a typed 422 and nothing
written, given back when a payment closes or fails, kept by a paid one, and kept in an expiring
counter keyed by a digest of the payer identifier."""

from __future__ import annotations

import hashlib
import threading
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from paymux.channels.base import TradeResult, TradeState
from paymux.clock import CHINA
from paymux.domain.payer_limits import DAYS_KEPT, PayerLimits
from paymux.services.outcomes import apply_trade_result
from tests.integration.conftest import World

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


def limit(world: World, **config: Any) -> None:
    world.d.merchants.set_payer_limits(world.app_id, PayerLimits.parse(config))


def items(world: World, prefix: str) -> list[dict[str, Any]]:
    return world.d.dynamodb.scan(
        TableName=world.d.settings.table,
        FilterExpression="begins_with(PK, :p)",
        ExpressionAttributeValues={":p": {"S": prefix}},
        ConsistentRead=True,
    )["Items"]


def counters(world: World) -> list[dict[str, Any]]:
    return items(world, "PAYERDAY#")


def test_twenty_concurrent_creates_against_a_limit_of_five(world: World):
    limit(world, key="openid", daily_count=5)
    results: list[tuple[int, Any, str]] = []
    barrier = threading.Barrier(20)

    def one(n: int) -> None:
        order_no = f"ORD-LIMIT-{n:02d}"
        barrier.wait()
        status, body = world.create(merchant_order_no=order_no, payer={"openid": OPENID})
        results.append((status, body, order_no))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(s for s, _, _ in results) == [201] * 5 + [422] * 15
    refused = [b for s, b, _ in results if s == 422]
    assert {b["error"]["code"] for b in refused} == {"payer_daily_count_exceeded"}
    accepted = {b["id"]: n for s, b, n in results if s == 201}
    # nothing half-written for the refused ones: no payment, claim, attempt or channel order
    assert {p["payment_id"]["S"] for p in items(world, "PAY#") if p["SK"]["S"] == "PAY"} == set(accepted)
    assert {c["PK"]["S"].split("#")[-1] for c in items(world, "MORDER#")} == set(accepted.values())
    attempts = [world.d.payments.get_attempt(world.d.payments.get(p).out_trade_no) for p in accepted]
    assert {a["payment_id"] for a in attempts} == set(accepted)  # first attempts: on creation events
    assert items(world, "ATTEMPT#") == []
    assert len(world.sandbox.orders) == 5
    (counter,) = counters(world)
    assert counter["count"] == {"N": "5"} and counter["amount"] == {"N": str(5 * 1999)}
    assert OPENID not in str(counter)  # personal data: only its digest is in the key
    merchant_id = world.d.merchants.app(world.app_id).merchant_id
    digest = hashlib.sha256(f"{merchant_id}\nopenid\n{OPENID}".encode()).hexdigest()
    assert counter["PK"]["S"].startswith(f"PAYERDAY#{merchant_id}#openid#{digest}#")
    for payment_id in accepted:
        assert world.d.payments.get(payment_id).payer_counter == counter["PK"]["S"]


def test_the_counter_expires(world: World):
    limit(world, key="openid", daily_count=5)
    assert world.create(payer={"openid": OPENID})[0] == 201
    (counter,) = counters(world)
    ttl = int(counter["ttl"]["N"])  # the table's TTL attribute (template.yaml)
    day = date.fromisoformat(counter["PK"]["S"].rsplit("#", 1)[1])  # the create's Asia/Shanghai day
    assert day == datetime.fromtimestamp(world.clock(), CHINA).date()
    end_of_day = datetime(day.year, day.month, day.day, tzinfo=CHINA) + timedelta(days=1)
    assert ttl == int((end_of_day + timedelta(days=DAYS_KEPT)).timestamp())
    assert world.clock() + DAYS_KEPT * 86400 < ttl <= world.clock() + (1 + DAYS_KEPT) * 86400


def test_amount_limit(world: World):
    limit(world, key="openid", daily_amount=5000)
    payer = {"openid": OPENID}
    assert world.create(amount=1999, payer=payer)[0] == 201
    assert world.create(amount=1999, payer=payer)[0] == 201
    status, body = world.create(amount=1999, payer=payer)  # 5997 > 5000
    assert (status, body["error"]["code"]) == (422, "payer_daily_amount_exceeded")
    assert world.create(amount=1002, payer=payer)[0] == 201  # exactly 5000
    status, body = world.create(amount=1, payer=payer)
    assert (status, body["error"]["code"]) == (422, "payer_daily_amount_exceeded")
    (counter,) = counters(world)
    assert counter["count"] == {"N": "3"} and counter["amount"] == {"N": "5000"}


def test_an_amount_above_the_daily_limit_is_refused_before_anything_is_written(world: World):
    limit(world, key="openid", daily_count=5, daily_amount=5000)
    status, body = world.create(amount=5001, payer={"openid": OPENID})
    assert (status, body["error"]["code"]) == (422, "payer_daily_amount_exceeded")
    assert counters(world) == [] and items(world, "MORDER#") == [] and items(world, "PAY#") == []


def test_count_and_amount_together_report_the_limit_that_refused(world: World):
    limit(world, key="openid", daily_count=2, daily_amount=10_000)
    payer = {"openid": OPENID}
    assert world.create(amount=6000, payer=payer)[0] == 201
    assert world.create(amount=5000, payer=payer)[1]["error"]["code"] == "payer_daily_amount_exceeded"
    assert world.create(amount=4000, payer=payer)[0] == 201
    assert world.create(amount=1, payer=payer)[1]["error"]["code"] == "payer_daily_count_exceeded"


def test_a_close_gives_the_place_back(world: World):
    limit(world, key="openid", daily_count=1)
    payer = {"openid": OPENID}
    status, first = world.create(payer=payer)
    assert status == 201
    assert world.create(payer=payer)[1]["error"]["code"] == "payer_daily_count_exceeded"
    assert world.close(first["id"])[0] == 200
    (counter,) = counters(world)
    assert counter["count"] == {"N": "0"} and counter["amount"] == {"N": "0"}
    assert world.create(payer=payer)[0] == 201


def test_a_failure_gives_the_place_back(world: World):
    limit(world, key="openid", daily_count=1)
    payer = {"openid": OPENID}
    status, first = world.create(payer=payer)
    assert status == 201
    payment = world.d.payments.get(first["id"])
    failed = TradeResult(
        payment.out_trade_no,
        TradeState.FAILED,
        amount=payment.amount,
        mchid=world.mchid,
        appid=world.appid,
        raw_state="PAYERROR",
    )
    assert apply_trade_result(world.d, payment, failed, "callback").status == "FAILED"
    assert world.create(payer=payer)[0] == 201


def test_a_paid_payment_keeps_counting(world: World):
    limit(world, key="openid", daily_count=1)
    payer = {"openid": OPENID}
    status, first = world.create(payer=payer)
    assert status == 201
    world.catcher.forward = False  # the active query below applies the payment, not the callback
    world.sandbox.pay(world.mchid, world.out_trade_no(first["id"]))
    assert world.get(first["id"], query="sync=true")[1]["status"] == "SUCCESS"
    assert world.create(payer=payer)[1]["error"]["code"] == "payer_daily_count_exceeded"
    (counter,) = counters(world)
    assert counter["count"] == {"N": "1"}


def test_another_payer_is_unaffected(world: World):
    limit(world, key="openid", daily_count=1)
    assert world.create(payer={"openid": OPENID})[0] == 201
    assert world.create(payer={"openid": OPENID})[0] == 422
    assert world.create(payer={"openid": OPENID + "x"})[0] == 201
    assert len(counters(world)) == 2


def test_a_repeated_create_at_the_limit_answers_the_existing_payment(world: World):
    limit(world, key="openid", daily_count=1)
    status, first = world.create(merchant_order_no="ORD-LIMIT-SAME", payer={"openid": OPENID})
    assert status == 201
    status, again = world.create(merchant_order_no="ORD-LIMIT-SAME", payer={"openid": OPENID})
    assert (status, again["id"]) == (200, first["id"])
    (counter,) = counters(world)
    assert counter["count"] == {"N": "1"}


def test_the_first_configured_identifier_present_counts(world: World):
    limit(world, key=["openid", "card_token", "client_ip"], daily_count=1)
    assert world.create(payer={"client_ip": "203.0.113.7"})[0] == 201
    assert world.create(payer={"client_ip": "203.0.113.7"})[0] == 422
    status, created = world.create(payer={"card_token": "tok_4111", "client_ip": "203.0.113.7"})
    assert status == 201  # counted on the card token, not on the IP
    assert [c["PK"]["S"].split("#")[2] for c in counters(world)].count("card_token") == 1
    stored = world.d.payments.get(created["id"])
    assert "card_token" not in stored.payer  # kept only as the counter's digest


@pytest.mark.parametrize("payer", [{}, {"openid": OPENID}])
def test_a_create_without_the_configured_identifier_is_refused(world: World, payer: dict[str, str]):
    limit(world, key=["buyer_id", "card_token"], daily_count=5)
    status, body = world.create(payer=payer)
    assert (status, body["error"]["code"]) == (422, "validation_failed")
    assert {d["field"] for d in body["error"]["details"]} == {"payer.buyer_id", "payer.card_token"}
    assert items(world, "PAY#") == [] and items(world, "MORDER#") == [] and counters(world) == []


def test_without_limits_nothing_is_counted(world: World):
    assert world.create(payer={"openid": OPENID})[0] == 201
    assert counters(world) == []


def test_the_operator_command_sets_shows_and_removes_the_limits(world: World, monkeypatch):
    from ops.__main__ import parse, run

    for name, value in world.stack.env.items():
        monkeypatch.setenv(name, value)

    def ops(*argv: str) -> Any:
        return run(parse(list(argv)))

    answer = ops(
        "merchants",
        "payer-limits",
        world.app_id,
        "--key",
        "openid",
        "--key",
        "client_ip",
        "--daily-count",
        "1",
    )
    assert answer["payer_limits"] == {"key": ["openid", "client_ip"], "daily_count": 1, "daily_amount": None}
    assert ops("merchants", "show", world.app_id)["app"]["payer_limits"]["daily_count"] == 1
    with pytest.raises(SystemExit, match="daily_count"):
        ops("merchants", "payer-limits", world.app_id, "--key", "openid", "--daily-count", "0")
    world.d.merchants._apps.clear()  # this container re-reads at once; others within 60 s
    assert world.create(payer={"client_ip": "203.0.113.9"})[0] == 201
    assert (
        world.create(payer={"client_ip": "203.0.113.9"})[1]["error"]["code"] == "payer_daily_count_exceeded"
    )

    assert ops("merchants", "payer-limits", world.app_id, "--off")["payer_limits"] is None
    world.d.merchants._apps.clear()
    assert world.create(payer={"client_ip": "203.0.113.9"})[0] == 201
    with pytest.raises(SystemExit, match="no merchant app"):
        ops("merchants", "payer-limits", "app_missing", "--off")
