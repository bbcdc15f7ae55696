"""Succeeded refunds by account and clearing day: the refunds' side of reconciliation's local
data, on GSI3 beside the paid payments (store/payment_keys.py), under keys of their own.

A refund gets its entry once, on its transition to SUCCESS (store/refunds.settle_items), and
only then: a refund that never succeeds costs no index write. Its `GSI3PK` is
`REFUNDED#<account_id>#<YYYY-MM-DD>#<shard>` (the day the channel books it: refund_index_day;
REFUND_SHARDS shards of a day: refunds are a
fraction of payments) and its `GSI3SK` carries what matching uses, none of which changes once
the refund has succeeded: `<refund_id>#<payment_id>#<out_trade_no>#<amount>#<binding_id>`.
GSI3 is KEYS_ONLY, so a day's refunds are read as these sort keys alone, in parallel."""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from paymux.domain.refund import Refund
from paymux.store.payment_keys import reconciliation_day, shard_of
from paymux.store.wire_items import index_sort_keys

REFUND_SHARDS = 4
PREFIX = "REFUNDED"


class RefundEntry(NamedTuple):
    """A succeeded refund as the day's index holds it."""

    refund_id: str
    payment_id: str
    out_trade_no: str
    amount: int
    binding_id: str

    @property
    def out_refund_no(self) -> str:
        return self.refund_id.removeprefix("re_")


def refund_day_key(account_id: str, day: date, refund_id: str) -> str:
    return f"{PREFIX}#{account_id}#{day.isoformat()}#{shard_of(refund_id, REFUND_SHARDS)}"


def refund_day_keys(account_id: str, day: date) -> list[str]:
    return [f"{PREFIX}#{account_id}#{day.isoformat()}#{n}" for n in range(REFUND_SHARDS)]


def refund_index_day(requested_at: float, settle_date: str = "") -> date:
    """The statement day a refund is listed on: the channel's clearing day when it named one
    (UnionPay's settleDate), else the Asia/Shanghai day it was asked for (a WeChat Pay bill
    lists a refund on the day it was applied for, whenever it succeeds)."""
    return reconciliation_day(requested_at, settle_date)


def refund_index_entry(
    refund: Refund, account_id: str, binding_id: str, settle_date: str = ""
) -> tuple[str, str]:
    """(GSI3PK, GSI3SK) of `refund` once it succeeded on `account_id` (and `binding_id`)."""
    day = refund_index_day(refund.created_at, settle_date)
    fields = (refund.refund_id, refund.payment_id, refund.out_trade_no, str(refund.amount), binding_id)
    return refund_day_key(account_id, day, refund.refund_id), "#".join(fields)


def refund_entry(sort_key: str) -> RefundEntry | None:
    parts = sort_key.split("#")
    if len(parts) != 5 or not parts[3].isdigit():
        return None
    return RefundEntry(parts[0], parts[1], parts[2], int(parts[3]), parts[4])


class RefundDays:
    """Reads a day's succeeded refunds of an account from GSI3, every shard at once."""

    def __init__(self, client: Any, table: str) -> None:
        self._ddb, self._table = client, table

    def succeeded_on(self, account_id: str, day: date) -> list[RefundEntry]:
        keys = refund_day_keys(account_id, day)
        found = index_sort_keys(self._ddb, self._table, "GSI3", keys, name="refund-day")
        return [e for e in map(refund_entry, found) if e is not None]
