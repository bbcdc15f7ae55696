"""A day's payments, streamed for the daily analytics page.

**Created** that day (Asia/Shanghai), whatever became of them: the success rate's denominator.
Creating a payment writes no index entry for the page; each payment is read from the one index
that holds it in its current state:
- still open (PENDING, PROCESSING): the due index, GSI1 `DUE#PAY#<shard>`, where every open
  payment is until it ends;
- ended unpaid (CLOSED, FAILED): GSI2 `CREATED#<creation day>#<shard>`, set by that transition
  (payments created before carry the entry from their creation, whatever their state: the state
  filter below leaves the paid and open ones to their own index);
- paid (SUCCESS, since REFUNDED): GSI3 `PAID#<account>#<reconciliation day>#<shard>`, on the
  reconciliation days such a payment can have: its creation day to `MAX_PAID_DAYS_AFTER` later,
  but no later than the last day a payment can be on yet.
An index entry names the payment, whose id is a ULID of its created_at (to the millisecond), so
entries of payments created on other days are skipped before any item is read; the items read
are then kept by their status and created_at. The open ones are read first and their ids kept
(few: the day's payments still open), so a payment that ends while the page is being read is
counted once, as open.

**Paid** that day: GSI3 `PAID#<account>#<day>#<shard>` (the index reconciliation reads).

Each index page (at most 1 MB of keys) is read, its payments fetched by BatchGetItem, eventually
consistent (a report of a finished day needs no read-after-write), and yielded; nothing of the
day is held whole."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from itertools import chain
from typing import Any

from paymux.domain.ids import ulid_time
from paymux.store.due import due_keys
from paymux.store.dynamo import BATCH_GET_LIMIT, batch_get_items, from_item
from paymux.store.payment_keys import created_day_keys, paid_day, paid_day_keys

OPEN_STATES = frozenset({"PENDING", "PROCESSING"})
UNPAID_STATES = frozenset({"CLOSED", "FAILED"})
PAID_STATES = frozenset({"SUCCESS", "REFUNDED"})
# A payment is paid before it expires (api.models.MAX_EXPIRES_IN: 7 days), or a few minutes after
# when the sweeper finds the result; its reconciliation day is that Asia/Shanghai day, or the
# next one after the channel's cut-off (UnionPay's settleDate): 9 days after creation at most.
MAX_PAID_DAYS_AFTER = 9


def _created_on(day: date) -> Callable[[str], bool]:
    """Whether the payment of table key PK `PAY#<payment_id>` may have been created on `day`
    (an id that is no ULID is read and judged by its created_at)."""

    def keep(pk: str) -> bool:
        created = ulid_time(pk.removeprefix("PAY#"))
        return created is None or paid_day(created) == day

    return keep


def _of_day(
    payments: Iterator[dict[str, Any]], states: frozenset[str], day: date
) -> Iterator[dict[str, Any]]:
    """The payments created on `day` in one of `states`."""
    for payment in payments:
        if payment.get("status") in states and paid_day(float(payment.get("created_at") or 0)) == day:
            yield payment


class DayPayments:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def _keys(self, index: str, attribute: str, pk: str) -> Iterator[list[dict[str, Any]]]:
        """The table keys under one index key, a page at a time."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": attribute},
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ProjectionExpression": "PK, SK",
        }
        while True:
            page = self._ddb.query(**kwargs)
            yield [{"PK": i["PK"], "SK": i["SK"]} for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _items(
        self, index: str, attribute: str, pks: Iterable[str], keep: Callable[[str], bool] | None = None
    ) -> Iterator[dict[str, Any]]:
        for pk in pks:
            for page in self._keys(index, attribute, pk):
                keys = [k for k in page if keep is None or keep(k["PK"]["S"])]
                for start in range(0, len(keys), BATCH_GET_LIMIT):
                    chunk = keys[start : start + BATCH_GET_LIMIT]
                    for item in batch_get_items(self._ddb, self._table, chunk, consistent=False):
                        yield from_item(item)

    def created_on(self, day: date, account_ids: Iterable[str], latest: date) -> Iterator[dict[str, Any]]:
        """Payments created on `day` (Asia/Shanghai), whatever became of them, as stored values;
        paid ones from the paid days of `account_ids` up to `latest` (the last reconciliation
        day any payment can have yet: tomorrow's)."""
        keep = _created_on(day)
        seen: set[str] = set()
        for payment in _of_day(self._items("GSI1", "GSI1PK", due_keys("payment"), keep), OPEN_STATES, day):
            seen.add(str(payment.get("payment_id")))
            yield payment
        last = min(day + timedelta(days=MAX_PAID_DAYS_AFTER), latest)
        days = [day + timedelta(days=n) for n in range((last - day).days + 1)]
        paid_keys = (pk for a in list(account_ids) for d in days for pk in paid_day_keys(a, d))
        ended = chain(
            _of_day(self._items("GSI2", "GSI2PK", created_day_keys(day)), UNPAID_STATES, day),
            _of_day(self._items("GSI3", "GSI3PK", paid_keys, keep), PAID_STATES, day),
        )
        yield from (p for p in ended if str(p.get("payment_id")) not in seen)

    def paid_on(self, account_ids: Iterable[str], day: date) -> Iterator[dict[str, Any]]:
        """Payments of these accounts paid on `day` (Asia/Shanghai), as stored values."""
        return self._items("GSI3", "GSI3PK", (pk for a in account_ids for pk in paid_day_keys(a, day)))
