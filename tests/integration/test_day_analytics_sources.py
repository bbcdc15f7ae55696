"""Where the analytics page finds a day's created payments now that creating a payment writes no
index entry for it (issue 10, WRU): only a payment that ends unpaid gets the GSI2 creation-day
entry, and the page, read from the due index (open), GSI2 (closed, failed) and GSI3 (paid), is
the page a scan of every payment created that day makes (the figures the entry at creation gave)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from paymux.domain.ids import attempt_out_trade_no, new_payment_id
from paymux.domain.payment import Payment
from paymux.domain.states import PaymentStatus
from paymux.services.analytics_page import render_page
from paymux.services.day_analytics import AMOUNT_EDGES, day_analytics, write_day_analytics
from paymux.store.day_payments import DayPayments
from paymux.store.dynamo import from_item
from paymux.store.payment_keys import created_day_key, paid_day, payment_key
from paymux.store.payments import Outcome
from paymux.store.reports import ReportStore
from tests.integration.conftest import World
from tests.unit.test_day_analytics import Tables

SHANGHAI = timezone(timedelta(hours=8))
DAY = date(2026, 11, 27)
_P = PaymentStatus


def at(day_offset: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, 27, hour, minute, tzinfo=SHANGHAI).timestamp() + day_offset * 86400


def _create(world: World, created_at: float, amount: int, method: str = "wechat.native") -> Payment:
    world.clock.now = created_at
    payment_id = new_payment_id(created_at)
    payment = Payment(
        payment_id=payment_id,
        merchant_id="mch_day",
        app_id=world.app_id,
        merchant_order_no=f"ORD-{payment_id}",
        amount=amount,
        currency="CNY",
        method=method,
        subject="coffee",
        notify_url="https://merchant.example.com/notify",
        request_hash="0" * 64,
        created_at=created_at,
        updated_at=created_at,
        expires_at=created_at + 7200,
        provider=method.split(".", maxsplit=1)[0],
        account_id=world.account_id,
        out_trade_no=attempt_out_trade_no(payment_id, 1),
        attempt_count=1,
    )
    attempt = {"out_trade_no": payment.out_trade_no, "payment_id": payment_id, "account_id": world.account_id}
    world.d.payments.create(payment, attempt, created_at + 60)
    return payment


def _move(world: World, payment: Payment, target: PaymentStatus, at_: float, **changes: Any) -> Payment:
    world.clock.now = at_
    if target == _P.SUCCESS:
        changes = {"paid_at": at_, "channel_trade_no": f"42{payment.amount}", **changes}
    outcome = Outcome(f"payment.{target.value.lower()}", "test", {})
    return world.d.payments.transition(payment, target, {"updated_at": at_, **changes}, outcome)


def _stored(world: World, payment: Payment) -> dict[str, Any]:
    item = world.d.dynamodb.get_item(
        TableName=world.d.settings.table, Key=payment_key(payment.payment_id), ConsistentRead=True
    )["Item"]
    return from_item(item)


def test_only_a_payment_that_ends_unpaid_gets_a_creation_day_entry(world: World) -> None:
    paid, closed, failed, still_open = (_create(world, at(0, h), 100 + h) for h in (9, 10, 11, 12))
    for payment in (paid, closed, failed, still_open):
        assert "GSI2PK" not in _stored(world, payment)  # creating writes no GSI2 entry
    _move(world, paid, _P.SUCCESS, at(0, 13))
    _move(world, closed, _P.CLOSED, at(0, 13))
    processing = _move(world, failed, _P.PROCESSING, at(0, 13))
    _move(world, processing, _P.FAILED, at(0, 14))
    _move(world, still_open, _P.PROCESSING, at(0, 14))

    assert "GSI2PK" not in _stored(world, paid) and "GSI2PK" not in _stored(world, still_open)
    for payment in (closed, failed):
        stored = _stored(world, payment)
        assert stored["GSI2PK"] == created_day_key(payment.created_at, payment.payment_id)
        assert stored["GSI2PK"].startswith(f"CREATED#{DAY.isoformat()}#")
        assert stored["GSI2SK"] == payment.payment_id


def _a_day_of_payments(world: World) -> None:
    """Paid, refunded, closed, failed and still-open payments of DAY, one paid the next day, one
    created the day before and paid on DAY, one closed but still watched (on the due index), one
    written in the layout before (its creation-day entry set at creation, now paid), one of the
    next day."""
    _move(world, _create(world, at(0, 9), 99), _P.SUCCESS, at(0, 9, 1))
    refunded = _move(world, _create(world, at(0, 10), 1999), _P.SUCCESS, at(0, 10, 5))
    _move(world, refunded, _P.REFUNDED, at(0, 11))
    _move(world, _create(world, at(0, 23, 50), 25_000, "alipay.qr"), _P.SUCCESS, at(1, 0, 10))
    _move(world, _create(world, at(-1, 23, 55), 4999), _P.SUCCESS, at(0, 0, 5))
    _move(world, _create(world, at(0, 11), 300), _P.CLOSED, at(0, 11, 30))
    _move(world, _create(world, at(0, 12), 400, "alipay.qr"), _P.FAILED, at(0, 12, 1))
    _create(world, at(0, 13), 500)  # still PENDING
    _move(world, _create(world, at(0, 14), 600, "alipay.qr"), _P.PROCESSING, at(0, 14, 1))
    watched = _create(world, at(0, 15), 700)
    _move(world, watched, _P.CLOSED, at(0, 15, 1), watch_until=at(1, 15))
    old = _create(world, at(0, 16), 800)
    world.d.dynamodb.update_item(  # as 071d513 wrote every payment: the entry at creation
        TableName=world.d.settings.table,
        Key=payment_key(old.payment_id),
        UpdateExpression="SET GSI2PK = :pk, GSI2SK = :sk",
        ExpressionAttributeValues={
            ":pk": {"S": created_day_key(old.created_at, old.payment_id)},
            ":sk": {"S": old.payment_id},
        },
    )
    _move(world, _stored_payment(world, old), _P.SUCCESS, at(0, 16, 2))
    _create(world, at(1, 1), 900)  # the next day's, still open


def _stored_payment(world: World, payment: Payment) -> Payment:
    found = world.d.payments.get(payment.payment_id)
    assert found is not None
    return found


def _every_payment(world: World) -> list[dict[str, Any]]:
    table, items = world.d.settings.table, []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = world.d.dynamodb.scan(**kwargs)
        items += [
            from_item(i) for i in page["Items"] if i["SK"]["S"] == "PAY" and i["PK"]["S"].startswith("PAY#")
        ]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_the_page_counts_every_payment_created_that_day_once(world: World) -> None:
    _a_day_of_payments(world)
    world.clock.now = at(1, 10, 30)  # the reconciliation's run the next morning
    reports = ReportStore(world.d.s3, world.d.settings.bucket)
    key = write_day_analytics(world.d, reports, DAY)
    html = world.d.s3.get_object(Bucket=world.d.settings.bucket, Key=key)["Body"].read().decode()

    # the figures by definition: every payment whose created_at is on DAY, whatever its state
    created = [p for p in _every_payment(world) if paid_day(p["created_at"]) == DAY]
    paid = list(DayPayments(world.d.dynamodb, world.d.settings.table).paid_on([world.account_id], DAY))
    assert html == render_page(day_analytics(iter(created), iter(paid), DAY), AMOUNT_EDGES)
    parsed = Tables()
    parsed.feed(html)
    # method, created, paid, failed, closed, open, success rate
    assert parsed.tables["success-rate"] == [
        ["alipay.qr", "3", "1", "1", "0", "1", "33.3 %"],
        ["wechat.native", "6", "3", "0", "2", "1", "50.0 %"],
    ]
    hours = parsed.tables["hours"]
    assert sum(int(r[1]) for r in hours) == 9  # created on DAY
    assert sum(int(r[2]) for r in hours) == 4  # paid on DAY: 09:01, 10:05, 00:05, 16:02
