"""A day's payments, streamed for the daily analytics page: those created that day (GSI2's
`CREATED#<day>#<shard>` entries, written once at creation) and those paid that day (GSI3's
`PAID#<account>#<day>#<shard>`, the index reconciliation reads). Each index page (at most 1 MB
of keys) is read, its payments fetched by BatchGetItem, eventually consistent (a report of a
finished day needs no read-after-write), and yielded; nothing of the day is held whole."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from paymux.store.dynamo import BATCH_GET_LIMIT, batch_get_items, from_item
from paymux.store.payment_keys import created_day_keys, paid_day_keys


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

    def _items(self, index: str, attribute: str, pks: Iterable[str]) -> Iterator[dict[str, Any]]:
        for pk in pks:
            for keys in self._keys(index, attribute, pk):
                for start in range(0, len(keys), BATCH_GET_LIMIT):
                    chunk = keys[start : start + BATCH_GET_LIMIT]
                    for item in batch_get_items(self._ddb, self._table, chunk, consistent=False):
                        yield from_item(item)

    def created_on(self, day: date) -> Iterator[dict[str, Any]]:
        """Payments created on `day` (Asia/Shanghai), whatever became of them, as stored values."""
        return self._items("GSI2", "GSI2PK", created_day_keys(day))

    def paid_on(self, account_ids: Iterable[str], day: date) -> Iterator[dict[str, Any]]:
        """Payments of these accounts paid on `day` (Asia/Shanghai), as stored values."""
        return self._items("GSI3", "GSI3PK", (pk for a in account_ids for pk in paid_day_keys(a, day)))
