"""The table's layout against what reads it: each GSI of template.yaml projects what its readers
use and no more, hot keys are spread over shards, a typical payment and its notification fit in
one write unit (1 KB), and the exceptions list merges its shards newest first."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.pricing import WRITE_UNIT_BYTES, item_size
from local.template import load_template
from paymux.domain.payment import Payment
from paymux.domain.states import PaymentStatus
from paymux.services.exceptions import LISTED_ATTRIBUTES, newest_first
from paymux.services.outcomes import notification_for
from paymux.store.payment_keys import PAID_SHARDS, paid_day_key, paid_day_keys, shard_of
from paymux.store.payments import Outcome, PaymentStore

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
NOW = 1_796_000_000.0


def _indexes() -> dict[str, dict[str, Any]]:
    table = load_template(TEMPLATE)["Resources"]["PaymuxTable"]["Properties"]
    return {i["IndexName"]: i["Projection"] for i in table["GlobalSecondaryIndexes"]}


def test_gsi2_projects_exactly_what_the_exceptions_list_reads() -> None:
    # The other GSI2 readers need only keys: a notification's payment is its entry's PK, a
    # payment's refunds are read by key (tests/integration/test_table_layout.py runs them).
    projection = _indexes()["GSI2"]
    assert projection["ProjectionType"] == "INCLUDE"
    assert set(projection["NonKeyAttributes"]) == set(LISTED_ATTRIBUTES)


def test_gsi3_projects_keys_only_for_reconciliation_reads_payments_by_key() -> None:
    assert _indexes()["GSI3"] == {"ProjectionType": "KEYS_ONLY"}


def test_gsi1_projects_keys_only_for_the_sweeper_reads_due_items_by_key() -> None:
    assert _indexes()["GSI1"] == {"ProjectionType": "KEYS_ONLY"}


def test_a_busy_accounts_day_spreads_over_the_paid_shards() -> None:
    ids = [f"pay_01M8RTTQ18{n:016d}" for n in range(1000)]
    keys = {paid_day_key("wx-1", NOW, pid) for pid in ids}
    assert len(keys) == PAID_SHARDS  # every shard takes part
    per_shard = [sum(1 for p in ids if shard_of(p, PAID_SHARDS) == n) for n in range(PAID_SHARDS)]
    assert max(per_shard) < 2 * len(ids) / PAID_SHARDS  # no shard takes twice its share


def test_reconciliation_reads_every_shard_of_the_day_and_the_old_key() -> None:
    pid = "pay_01M8RTTQ180VNN15804AZRRR9D"
    key = paid_day_key("wx-1", NOW, pid)
    day = key.split("#")[2]
    keys = paid_day_keys("wx-1", date.fromisoformat(day))
    assert key in keys and f"PAID#wx-1#{day}" in keys and len(set(keys)) == PAID_SHARDS + 1


class _Capture:
    """A DynamoDB client that keeps what it is asked to write (transactions and single
    updates succeed)."""

    def __init__(self) -> None:
        self.transactions: list[list[dict[str, Any]]] = []

    def transact_write_items(self, TransactItems: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        self.transactions.append(TransactItems)
        return {}

    def update_item(self, **update: Any) -> dict[str, Any]:  # a write of one item, kept alike
        self.transactions.append([{"Update": update}])
        return {}


def _typical_payment() -> Payment:
    return Payment(
        payment_id="pay_01M8RTTQ18QQYDTBWVB97MYQKQ",
        merchant_id="mch_7f3a9c2e",
        app_id="app_7f3a9c2e",
        merchant_order_no="SO-2026112800001234",
        amount=12_990,
        currency="CNY",
        method="alipay.qr",
        subject="精品咖啡豆 1kg 哥伦比亚 中度烘焙",
        description="会员订单 · 次日达",
        notify_url="https://shop.example.com/paymux/notify",
        request_hash="c" * 64,
        created_at=NOW,
        updated_at=NOW,
        expires_at=NOW + 7200,
        metadata={"order_ref": "SO-2026112800001234", "customer": "c_88412"},
        payer={"client_ip": "203.0.113.7"},
        provider="alipay",
        account_id="ali-main",
        out_trade_no="01M8RTTQ18QQYDTBWVB97MYQKQ01",
        attempt_count=1,
    )


def _applied(item: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """The stored item after a transition's UpdateExpression (SET #aN = :vN …, REMOVE …)."""
    names, values = update["ExpressionAttributeNames"], update["ExpressionAttributeValues"]
    sets, _, removes = update["UpdateExpression"].removeprefix("SET ").partition(" REMOVE ")
    for clause in sets.split(", "):
        name, value = clause.split(" = ")
        item[names.get(name, name)] = values[value]
    for name in filter(None, removes.split(", ")):
        item.pop(name.strip(), None)
    return item


def test_a_typical_paid_payment_and_its_notification_fit_in_one_write_unit() -> None:
    client, payment = _Capture(), _typical_payment()
    store = PaymentStore(client, "t")
    store.create(payment, {"out_trade_no": payment.out_trade_no, "payment_id": payment.payment_id}, NOW + 60)
    (item,) = [p["Put"]["Item"] for p in client.transactions[0] if p["Put"]["Item"]["SK"] == {"S": "PAY"}]
    action = {"type": "qr_code", "code_url": "https://qr.alipay.com/bax03119vnmzwkbw6dd46035"}
    submitted = store.transition(payment, PaymentStatus.PROCESSING, {"action": action}, Outcome("s", "p", {}))
    paid = {"paid_at": NOW + 30, "channel_trade_no": "2026112822001400001234567890", "updated_at": NOW + 30}
    notification = notification_for("payment.succeeded", NOW + 30)
    store.transition(submitted, PaymentStatus.SUCCESS, paid, Outcome("p", "c", {}, notification))
    for transaction in client.transactions[1:]:
        item = _applied(item, transaction[0]["Update"])
    assert item_size(item) <= WRITE_UNIT_BYTES, item_size(item)
    (outbox,) = [
        e["Put"]["Item"] for e in client.transactions[2][1:] if e["Put"]["Item"]["SK"]["S"].startswith("NTF#")
    ]
    assert item_size(outbox) <= WRITE_UNIT_BYTES, item_size(outbox)


def _entry(at: int, shard: int, n: int) -> dict[str, Any]:
    return {
        "GSI2SK": f"2026-11-28T{at // 3600:02d}:{at // 60 % 60:02d}:{at % 60:02d}Z#k#s",
        "PK": f"EXC#{shard}#{n}",
    }


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 86_399), max_size=30), min_size=1, max_size=9),
    st.integers(1, 100),
)
def test_exceptions_of_all_shards_come_out_newest_first_none_lost_none_twice(
    times: list[list[int]], limit: int
) -> None:
    shards = [
        sorted(
            (_entry(t, s, n) for n, t in enumerate(ts)), key=lambda e: (e["GSI2SK"], e["PK"]), reverse=True
        )
        for s, ts in enumerate(times)
    ]
    # what the list asks of each shard: its newest `limit`, newest first (ScanIndexForward=False)
    listed = newest_first([shard[:limit] for shard in shards], limit)
    everything = sorted((e for s in shards for e in s), key=lambda e: (e["GSI2SK"], e["PK"]), reverse=True)
    assert listed == everything[:limit]
    assert len({e["PK"] for e in listed}) == len(listed)
