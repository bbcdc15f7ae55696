"""The reconciliation's pending pool: unmatched records near midnight, kept per route (account,
or account and sub-merchant) and the day they were pooled on, until a later day's run matches
them or their window (POOL_DAYS) ends. One item per record:

    PK  RECONPOOL#<route>       SK  <pooled day>#<kind>#<side>#<number>

`side` is `local` (paid or refunded here, not in the statement) or `channel` (in the statement,
not here); `number` the out_trade_no (payments) or out_refund_no (refunds). `record` holds the
record as reported (JSON); `resolved_on` / `reported_on` name the day whose run matched it or
reported it for good. Items expire (`ttl`) POOL_TTL_DAYS after they were pooled."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from paymux.clock import CHINA
from paymux.store.dynamo import query_all, to_attr

POOL_TTL_DAYS = 30


@dataclass(frozen=True, slots=True)
class PoolEntry:
    pooled_on: date
    kind: str  # payment | refund
    side: str  # local | channel
    number: str  # out_trade_no or out_refund_no
    record: dict[str, Any]
    resolved_on: str = ""
    reported_on: str = ""

    def open_on(self, day: date) -> bool:
        """Not settled by another day's run (a re-run of `day` meets its own decisions again)."""
        return all(v in ("", day.isoformat()) for v in (self.resolved_on, self.reported_on))


def _pk(route: str) -> dict[str, str]:
    return {"S": f"RECONPOOL#{route}"}


def _sk(day: date, kind: str, side: str, number: str) -> str:
    return f"{day.isoformat()}#{kind}#{side}#{number}"


def _entry(item: dict[str, Any]) -> PoolEntry:
    day, kind, side, number = str(item["SK"]).split("#", 3)
    return PoolEntry(
        date.fromisoformat(day),
        kind,
        side,
        number,
        json.loads(str(item["record"])),
        str(item.get("resolved_on") or ""),
        str(item.get("reported_on") or ""),
    )


class ReconciliationPool:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb, self._table = client, table

    def entries(self, route: str, first: date, last: date) -> list[PoolEntry]:
        """Every entry of `route` pooled from `first` to `last` (one Query)."""
        items = query_all(
            self._ddb,
            TableName=self._table,
            ConsistentRead=True,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :first AND :last",
            ExpressionAttributeValues={
                ":pk": _pk(route),
                ":first": {"S": first.isoformat()},
                ":last": {"S": last.isoformat() + "#~"},
            },
        )
        return [_entry(i) for i in items]

    def pool(self, route: str, day: date, records: list[tuple[str, str, str, dict[str, Any]]]) -> None:
        """Pools `records` ((kind, side, number, record)) of `day`: written again by a re-run
        (what a later day decided about one is kept), and the day's entries a re-run no longer
        pools are removed."""
        keep = set()
        expires = datetime.combine(day + timedelta(days=POOL_TTL_DAYS), time(), CHINA).timestamp()
        for kind, side, number, record in records:
            keep.add(_sk(day, kind, side, number))
            self._ddb.update_item(
                TableName=self._table,
                Key={"PK": _pk(route), "SK": {"S": _sk(day, kind, side, number)}},
                UpdateExpression="SET #record = :record, #ttl = :ttl",
                ExpressionAttributeNames={"#record": "record", "#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":record": to_attr(json.dumps(record, ensure_ascii=False, sort_keys=True)),
                    ":ttl": to_attr(int(expires)),
                },
            )
        for entry in self.entries(route, day, day):
            sk = _sk(entry.pooled_on, entry.kind, entry.side, entry.number)
            if sk not in keep:
                self._ddb.delete_item(TableName=self._table, Key={"PK": _pk(route), "SK": {"S": sk}})

    def settle(self, route: str, entry: PoolEntry, outcome: str, day: date) -> None:
        """Marks `entry` `resolved_on` or `reported_on` `day`."""
        if outcome not in ("resolved_on", "reported_on"):
            raise ValueError(outcome)
        self._ddb.update_item(
            TableName=self._table,
            Key={"PK": _pk(route), "SK": {"S": _sk(entry.pooled_on, entry.kind, entry.side, entry.number)}},
            UpdateExpression="SET #outcome = :day",
            ExpressionAttributeNames={"#outcome": outcome},
            ExpressionAttributeValues={":day": to_attr(day.isoformat())},
        )


class RepairJournal:
    """The repairs a route's run of a day is about to make, one item each, written before the
    repair (`RECONREPAIR#<route>#<day>`, SK the out_trade_no or out_refund_no): a run that dies
    after repairing and before its report leaves them here, and the next run of the day reports
    them as repairs once the audit trail (actor `reconciliation`) shows they were made."""

    def __init__(self, client: Any, table: str) -> None:
        self._ddb, self._table = client, table

    @staticmethod
    def _pk(route: str, day: date) -> dict[str, str]:
        return {"S": f"RECONREPAIR#{route}#{day.isoformat()}"}

    def intend(self, route: str, day: date, number: str, repair: dict[str, str]) -> None:
        expires = datetime.combine(day + timedelta(days=POOL_TTL_DAYS), time(), CHINA).timestamp()
        self._ddb.put_item(
            TableName=self._table,
            Item={
                "PK": self._pk(route, day),
                "SK": {"S": number},
                "repair": to_attr(json.dumps(repair, sort_keys=True)),
                "ttl": to_attr(int(expires)),
            },
        )

    def intended(self, route: str, day: date) -> dict[str, dict[str, str]]:
        """number → the repair intended (not necessarily made: see the audit trail)."""
        items = query_all(
            self._ddb,
            TableName=self._table,
            ConsistentRead=True,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": self._pk(route, day)},
        )
        return {str(i["SK"]): json.loads(str(i["repair"])) for i in items}
