"""T+1 reconciliation through the real handler: the real WeChat Pay sandbox serves the bill
(today's at once), moto holds the table (with GSI3) and the reports bucket from template.yaml."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

from paymux.channels.base import TradeResult, TradeState
from paymux.services.outcomes import apply_trade_result
from paymux.services.reconciliation import CSV_COLUMNS
from tests.integration.conftest import World, notification_bodies
from tests.integration.test_refunds import get_refund, paid_payment, refund, wait_until
from tests.support import invoke, load_event

SHANGHAI = timezone(timedelta(hours=8))
CLASSES = (
    "matched",
    "channel_only",
    "status_mismatch",
    "amount_mismatch",
    "merchant_mismatch",
    "fee_mismatch",
    "local_only",
    "pending",
)
NO_CLASSES = dict.fromkeys(CLASSES, 0)


class BillAnswers:
    """Wraps the channels' HTTP client and keeps what the sandbox answered to bill applies."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.hashes: list[str] = []

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.inner.request(method, url, **kwargs)
        if "/v3/bill/tradebill" in url and response.status == 200:
            self.hashes.append(json.loads(response.body)["hash_value"])
        return response


def alone(world: World) -> BillAnswers:
    """Only this test's account is enabled (earlier tests' sandboxes are gone), and its
    channel talks through a recorder."""
    for account in world.d.channel_config.accounts():
        if account.account_id != world.account_id and account.enabled:
            world.d.channel_config.put_account(replace(account, enabled=False), None)
    recorder = BillAnswers(world.d.http)
    world.d.__dict__["http"] = recorder  # before the channel client is first built
    return recorder


def today(world: World) -> date:
    return datetime.fromtimestamp(world.clock(), SHANGHAI).date()


def away_from_midnight(world: World) -> None:
    """Moves the clock off the hours around midnight (Asia/Shanghai), where an unmatched record
    is `pending` (services/reconciliation_pending): a test of the other classes then does not
    depend on the hour it runs at."""
    now = datetime.fromtimestamp(world.clock(), SHANGHAI)
    if now.hour < 2 or now.hour >= 22:
        world.clock.advance(4 * 3600)


def reconcile(world: World, day: date | None = None) -> dict[str, Any]:
    event = load_event("reconcile.json") | ({"date": day.isoformat()} if day else {})
    return invoke("reconcile", event)


def s3_object(world: World, key: str) -> dict[str, Any]:
    return world.d.s3.get_object(Bucket=world.d.settings.bucket, Key=key)


def discrepancies(world: World, day: date) -> list[dict[str, str]]:
    raw = s3_object(world, f"reports/{day}/discrepancies.csv")["Body"].read()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, for Excel
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def account_of(summary: dict[str, Any], world: World) -> dict[str, Any]:
    (account,) = [a for a in summary["accounts"] if a["account_id"] == world.account_id]
    return account


def test_matches_repairs_a_lost_callback_and_reruns_safely(world: World):
    bills = alone(world)
    day = today(world)
    first = paid_payment(world, 1000)
    paid_payment(world, 250)
    _, partial = refund(world, first["id"], 300)
    wait_until(lambda: get_refund(world, partial["id"])[1]["status"] == "SUCCESS")
    world.create(amount=500)  # never paid
    _, lost = world.create(amount=1999)
    world.catcher.forward = False  # the channel's callback never reaches us
    world.sandbox.pay(world.mchid, world.out_trade_no(lost["id"]))
    assert world.d.payments.get(lost["id"]).status in ("PENDING", "PROCESSING")
    before = world.d.payments.get(lost["id"]).status.value
    world.queued_messages()  # what the callbacks queued so far

    summary = reconcile(world, day)

    assert summary["date"] == day.isoformat() and summary["failed_accounts"] == []
    assert summary["counts"]["payment"] == NO_CLASSES | {"matched": 2, "status_mismatch": 1}
    assert summary["counts"]["refund"] == NO_CLASSES | {"matched": 1}
    assert summary["repaired"] == 1 and summary["discrepancies"] == 1
    # fees at 0.60 %: 6 + 1.5→2 + 11.994→12, less 1.8→2 given back with the refund
    assert summary["totals"] == {
        "channel_payments": 3249,
        "channel_refunds": 300,
        "channel_fees": 18,
        "local_paid": 3249,
    }
    key = f"statements/wechat/{world.account_id}/{day}.csv"
    assert summary["statements"] == [key]
    archived = s3_object(world, key)
    body = archived["Body"].read()
    assert (
        hashlib.sha1(body).hexdigest() == bills.hashes[-1] == account_of(summary, world)["statement"]["sha1"]
    )
    assert archived["ContentType"].startswith("text/csv") and archived["ServerSideEncryption"] == "AES256"

    payment = world.d.payments.get(lost["id"])
    assert payment.status == "SUCCESS" and payment.paid_at is not None
    (event,) = [e for e in world.d.payments.events(lost["id"]) if e["actor"] == "reconciliation"]
    assert (event["type"], event["from_status"], event["to_status"]) == (
        "payment.succeeded",
        before,
        "SUCCESS",
    )
    world.run_notifier()
    sent = [
        b for b in notification_bodies(world.merchant_endpoint) if b["data"]["object"]["id"] == lost["id"]
    ]
    assert [b["type"] for b in sent] == ["payment.succeeded"]

    (row,) = discrepancies(world, day)
    assert row | {"detail": ""} == {
        "account_id": world.account_id,
        "class": "status_mismatch",
        "out_trade_no": payment.out_trade_no,
        "out_refund_no": "",
        "payment_id": lost["id"],
        "local_status": before,
        "local_amount": "1999",
        "channel_amount": "1999",
        "channel_fee": "12",
        "expected_fee": "12",
        "detail": "",
        "merchant_id": payment.merchant_id,  # a direct account's owner
        "binding_id": "",
    }
    assert "repaired" in row["detail"]
    stored = json.loads(s3_object(world, f"reports/{day}/summary.json")["Body"].read())
    assert stored == summary

    # Again: the same summary, and nothing changes.
    events, versions = (
        world.d.payments.events(lost["id"]),
        world.d.s3.list_object_versions(Bucket=world.d.settings.bucket, Prefix=key)["Versions"],
    )
    again = reconcile(world, day)
    drop = {"generated_at"}
    assert {k: v for k, v in again.items() if k not in drop} == {
        k: v for k, v in summary.items() if k not in drop
    }
    assert world.d.payments.events(lost["id"]) == events
    assert world.queued_messages() == []
    assert discrepancies(world, day) == [row]
    after = world.d.s3.list_object_versions(Bucket=world.d.settings.bucket, Prefix=key)["Versions"]
    assert len(after) == len(versions)  # the identical statement is not archived again


def test_paid_here_but_not_in_the_bill_is_local_only(world: World):
    alone(world)
    away_from_midnight(world)
    day = today(world)
    paid_payment(world, 400)
    _, created = world.create(amount=700)
    payment = world.d.payments.get(created["id"])
    # We believe it paid (say, a forged or misrouted message got through); the channel never saw it.
    trade = TradeResult(
        out_trade_no=payment.out_trade_no,
        state=TradeState.PAID,
        amount=700,
        currency="CNY",  # no default: an absent currency is absent
        channel_trade_no="4200000000000000000000000000",
        paid_at=world.clock(),
        mchid=world.mchid,
        appid=world.appid,
    )
    assert apply_trade_result(world.d, payment, trade, actor="test").status == "SUCCESS"

    summary = reconcile(world, day)

    assert summary["counts"]["payment"] == NO_CLASSES | {"matched": 1, "local_only": 1}
    assert summary["repaired"] == 0 and summary["totals"]["local_paid"] == 1100
    (row,) = discrepancies(world, day)
    assert (row["class"], row["payment_id"], row["local_status"], row["local_amount"]) == (
        "local_only",
        created["id"],
        "SUCCESS",
        "700",
    )
    assert row["channel_amount"] == ""


def test_a_day_without_trades(world: World):
    alone(world)
    quiet = today(world) - timedelta(days=30)
    summary = reconcile(world, quiet)
    assert summary["counts"]["payment"] == NO_CLASSES
    assert summary["counts"]["refund"] == NO_CLASSES
    assert summary["discrepancies"] == summary["repaired"] == 0 and summary["statements"] == []
    assert set(summary["totals"].values()) == {0}
    assert account_of(summary, world)["statement"] is None
    assert discrepancies(world, quiet) == []
    # The scheduled event carries no date: yesterday, Asia/Shanghai.
    assert reconcile(world)["date"] == (today(world) - timedelta(days=1)).isoformat()
