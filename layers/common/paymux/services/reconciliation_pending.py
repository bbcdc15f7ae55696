"""The pending pool (DESIGN.md §6): a record one side has and the other does not (`local_only`
or `channel_only`) whose time is near midnight may be on the neighbouring day's statement or
local side. Such a record is reported `pending` on its day (its own class: listed, counted, not
alarmed) and kept (store/reconciliation_pool.py); the next runs look for its other half:

* a later day's statement row for a pooled `local_only` record (paid or refunded here);
* a later day's local payment or refund for a pooled `channel_only` row.

Found on day+1 or day+2, the pair is `matched` in that later day's report, with a detail naming
the day it was pooled on, and listed in that day's summary under `resolved`; the pooled day's
report is not re-written (it said `pending`, which it was). Not found by the end of day+2's run
(POOL_DAYS days in all), the record is reported for good in that run, with its own class and a
detail naming the day it was pooled on. If that run never happened, the first later run (the
pool is read LOOK_BACK_DAYS back) pairs it like any open entry, or else reports it. A re-run of
a day makes the same decisions again: the entries it settled are settled again the same way,
the day's own entries are written again."""

from __future__ import annotations

import threading
from dataclasses import asdict, replace
from datetime import date, datetime, time, timedelta

from paymux.clock import CHINA, parse_iso
from paymux.deps import Deps
from paymux.services.reconciliation_records import Record
from paymux.store.reconciliation_pool import PoolEntry, ReconciliationPool

POOL_DAYS = 3  # the day pooled on and the two after it
NEAR_MIDNIGHT = 3600.0  # seconds either side of the day's boundaries
LOOK_BACK_DAYS = 7


def _number(record: Record) -> str:
    return record.out_refund_no if record.kind == "refund" else record.out_trade_no


class PendingPool:
    """One route's pool as one run of `day` sees it: the entries still open from the days
    before, and this day's new ones."""

    def __init__(self, d: Deps, route_key: str, day: date) -> None:
        self._store = ReconciliationPool(d.dynamodb, d.settings.table)
        self._route, self._day = route_key, day
        start = datetime.combine(day, time(), CHINA).timestamp()
        self._bounds = (start, start + 86400.0)
        # a week back: an entry whose last day's run never happened is still reported now
        entries = self._store.entries(
            route_key, day - timedelta(days=LOOK_BACK_DAYS), day - timedelta(days=1)
        )
        self._last_day = day - timedelta(days=POOL_DAYS - 1)  # pooled then: this run is its last
        # every open entry can still be paired, those older than `_last_day` too (their last run
        # never happened); several of one record (pooled on more days) are paired oldest first
        self._open: dict[tuple[str, str, str], list[PoolEntry]] = {}
        for entry in sorted((e for e in entries if e.open_on(day)), key=lambda e: e.pooled_on):
            self._open.setdefault((entry.kind, entry.side, entry.number), []).append(entry)
        self._new: list[tuple[str, str, str, dict[str, object]]] = []
        self.resolved: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def near_midnight(self, at: float | None) -> bool:
        return at is not None and any(abs(at - bound) <= NEAR_MIDNIGHT for bound in self._bounds)

    def counterpart(self, kind: str, side: str, number: str) -> PoolEntry | None:
        """The open entry of an earlier day that a `side` record of this day pairs with
        (a local record pairs with a pooled channel row, and the other way), taken out."""
        other = "channel" if side == "local" else "local"
        with self._lock:
            waiting = self._open.get((kind, other, number))
            entry = waiting.pop(0) if waiting else None
        if entry is not None:
            self._store.settle(self._route, entry, "resolved_on", self._day)
            resolution = {"pooled_on": entry.pooled_on.isoformat(), "class": str(entry.record["cls"])}
            resolution |= {"kind": kind, "number": number, "resolved_on": self._day.isoformat()}
            with self._lock:
                self.resolved.append(resolution)
        return entry

    def unmatched(self, record: Record, at: float | str | None) -> Record:
        """`record` (local_only or channel_only) as this day reports it: `pending` (and pooled)
        when its time `at` (epoch seconds, or the statement's ISO time) is near midnight."""
        when = parse_iso(at) if isinstance(at, str) and at else at
        if not isinstance(when, float | int) or not self.near_midnight(float(when)):
            return record
        side = "local" if record.cls == "local_only" else "channel"
        with self._lock:
            self._new.append((record.kind, side, _number(record), asdict(record)))
        last = self._day + timedelta(days=POOL_DAYS - 1)
        detail = f"{record.cls} near midnight, re-checked until {last}: {record.detail}"
        return record.classed("pending", detail)

    def expired(self) -> list[Record]:
        """The entries whose window ends with this day's run (or ended with a run that never
        happened) and that this run did not pair: reported for good."""
        records = []
        waiting = sorted((e for left in self._open.values() for e in left), key=lambda e: e.pooled_on)
        for entry in (e for e in waiting if e.pooled_on <= self._last_day):
            self._store.settle(self._route, entry, "reported_on", self._day)
            record = Record(**entry.record)
            detail = f"pooled on {entry.pooled_on}, not matched by {self._day}: {record.detail}"
            records.append(replace(record, detail=detail))
        return records

    def save(self) -> None:
        """Writes this day's new entries (and drops the day's entries a re-run no longer pools)."""
        self._store.pool(self._route, self._day, self._new)


def paired(record: Record, entry: PoolEntry, here: str) -> Record:
    """A local record of this day with the channel's row pooled on an earlier day."""
    channel = entry.record
    record = replace(
        record, channel_amount=channel.get("channel_amount"), channel_fee=channel.get("channel_fee")
    )
    record = replace(record, expected_fee=channel.get("expected_fee"))
    if record.channel_amount != record.local_amount:
        return record.classed("amount_mismatch", f"{here}; the channel's row of {entry.pooled_on} differs")
    return record.classed("matched", f"{here}, listed by the channel on {entry.pooled_on} (pending then)")
