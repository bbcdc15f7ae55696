"""A merchant's payments by creation day, without reading another merchant's.

The merchant-order-number claim item `MORDER#<merchant_id>#<merchant_order_no>` is written once,
by the payment's creation transaction, and never again; it carries the GSI3 key
`MDAY#<merchant_id>#<YYYY-MM-DD>` (the payment's Asia/Shanghai creation day) and GSI3SK its
payment id, a ULID of its created_at, so the index lists one merchant's day in creation order.
No later transition writes it: the index entry costs its one write at creation (GSI3 is
KEYS_ONLY: under 1 KB, 1 WRU) and nothing after.

One merchant's day is one index partition key (~1,000 creations a second of one merchant).
Payments created before the entry existed get it from `python -m ops payments index-days`
(`index_existing`): parallel Scan segments, each claim item updated on condition that it has no
entry yet, so a second run changes nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from paymux.domain.ids import ulid_time
from paymux.store.payment_keys import paid_day

PREFIX = "MDAY#"


def merchant_day_key(merchant_id: str, created_at: float) -> str:
    """GSI3PK of a payment's claim item: its merchant and its creation day."""
    return f"{PREFIX}{merchant_id}#{paid_day(created_at).isoformat()}"


class MerchantDays:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def newest(self, merchant_id: str, day: date, before: str | None, limit: int) -> tuple[list[str], bool]:
        """Up to `limit` payment ids of the merchant's day, newest first, older than payment id
        `before` (None: from the newest); and whether older ones follow. One Query of the
        merchant's own partition key, `limit` + 1 keys (the one more says whether to go on)."""
        condition = "GSI3PK = :pk" + (" AND GSI3SK < :before" if before else "")
        values = {":pk": {"S": f"{PREFIX}{merchant_id}#{day.isoformat()}"}}
        if before:
            values[":before"] = {"S": before}
        page = self._ddb.query(
            TableName=self._table,
            IndexName="GSI3",
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ProjectionExpression="GSI3SK",
            ScanIndexForward=False,
            Limit=limit + 1,
        )
        ids = [str(i["GSI3SK"]["S"]) for i in page.get("Items", [])]
        return ids[:limit], len(ids) > limit or ("LastEvaluatedKey" in page and bool(ids))

    def index_existing(self, segments: int, created_at_of: Any) -> dict[str, int]:
        """Gives every claim item without one its index entry; `created_at_of(payment_id)` is
        asked only for an id that is no ULID (the stored payment's created_at, or None)."""
        with ThreadPoolExecutor(max_workers=segments) as pool:
            counts = list(
                pool.map(lambda n: self._index_segment(n, segments, created_at_of), range(segments))
            )
        return {k: sum(c[k] for c in counts) for k in ("claims", "indexed", "skipped")}

    def _index_segment(self, segment: int, segments: int, created_at_of: Any) -> dict[str, int]:
        counts = {"claims": 0, "indexed": 0, "skipped": 0}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "Segment": segment,
            "TotalSegments": segments,
            "FilterExpression": "SK = :claim AND attribute_not_exists(GSI3PK)",
            "ExpressionAttributeValues": {":claim": {"S": "MORDER"}},
            "ProjectionExpression": "PK, SK, payment_id",
        }
        while True:
            page = self._ddb.scan(**kwargs)
            for item in page.get("Items", []):
                counts["claims"] += 1
                counts["indexed" if self._index_claim(item, created_at_of) else "skipped"] += 1
            if "LastEvaluatedKey" not in page:
                return counts
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _index_claim(self, item: dict[str, Any], created_at_of: Any) -> bool:
        payment_id = str(item["payment_id"]["S"])
        merchant_id = str(item["PK"]["S"]).removeprefix("MORDER#").rsplit("#", 1)[0]
        created = ulid_time(payment_id)
        created = created if created is not None else created_at_of(payment_id)
        if created is None:
            return False  # a claim whose payment is gone: nothing to list
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"PK": item["PK"], "SK": item["SK"]},
                UpdateExpression="SET GSI3PK = :pk, GSI3SK = :sk",
                ConditionExpression="attribute_exists(PK) AND attribute_not_exists(GSI3PK)",
                ExpressionAttributeValues={
                    ":pk": {"S": merchant_day_key(merchant_id, created)},
                    ":sk": {"S": payment_id},
                },
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False  # indexed meanwhile (its creation, or another run)
        return True
