"""The stats query: figures of a merchant's (or, for operators, every merchant's) payments over
a range, from the stats buckets only (store.buckets; never the payments). docs/analytics.md
defines every figure; services.stats_figures shapes the answer.

`query(d, scope, from_, to, granularity, group_by)` is the one entry point: `GET /v1/stats`
calls it with the signed merchant's scope, the console with an operator's."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from paymux.clock import CHINA, FIRST_YEAR, LAST_YEAR
from paymux.deps import Deps
from paymux.errors import ValidationFailed
from paymux.services.stats_figures import answer
from paymux.store.buckets import GRANULARITIES, BucketStore, partitions, period_start

GROUPS = ("method", "provider", "hour")
READ_THREADS = 8
# The longest range a query may span, per granularity (a 422 beyond).
MAX_RANGE = {"15m": timedelta(days=7), "1h": timedelta(days=31), "1d": timedelta(days=92)}


@dataclass(frozen=True, slots=True)
class StatsScope:
    """Whose payments a query sees: one merchant's (`merchant_id`), or every merchant's (None,
    operators only: never built from a merchant's request)."""

    merchant_id: str | None

    @classmethod
    def merchant(cls, merchant_id: str) -> StatsScope:
        if not merchant_id:
            raise ValueError("a merchant scope needs a merchant id")
        return cls(merchant_id)

    @classmethod
    def all_merchants(cls) -> StatsScope:
        return cls(None)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", details=[{"field": field, "message": message}])


def parse_instant(value: str, field: str) -> datetime:
    """An ISO 8601 date-time with an offset (or Z), or a date (its Asia/Shanghai midnight)."""
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time(), CHINA)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _invalid(field, "an ISO 8601 date or date-time with an offset") from exc
    if parsed.tzinfo is None:
        raise _invalid(field, "a date-time needs an offset (Z or +08:00)")
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise _invalid(field, f"a year from {FIRST_YEAR} to {LAST_YEAR}")
    return parsed.astimezone(CHINA)


def check_range(from_: datetime, to: datetime, granularity: str, group_by: str | None) -> str:
    """Validates the request; returns the granularity of the buckets to read."""
    if granularity not in GRANULARITIES:
        raise _invalid("granularity", "one of 15m, 1h, 1d")
    if group_by is not None and group_by not in GROUPS:
        raise _invalid("group_by", "one of method, provider, hour")
    if from_.tzinfo is None or to.tzinfo is None:
        raise _invalid("from", "a date-time with an offset")
    for field, instant in (("from", from_), ("to", to)):
        if period_start(instant.timestamp(), granularity) != instant.astimezone(CHINA):
            raise _invalid(field, f"must start a {granularity} period (Asia/Shanghai)")
    if to <= from_:
        raise _invalid("to", "must be after from")
    stored = "1h" if group_by == "hour" and granularity == "1d" else granularity
    longest = min(MAX_RANGE[granularity], MAX_RANGE[stored])
    if to - from_ > longest:
        raise _invalid("to", f"a {granularity} query spans at most {longest.days} days")
    return stored


def _days(from_: datetime, to: datetime) -> list[date]:
    first, last = from_.astimezone(CHINA).date(), (to - timedelta(seconds=1)).astimezone(CHINA).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def read_buckets(
    store: BucketStore, merchants: Iterable[str], stored: str, from_: datetime, to: datetime, currency: str
) -> list[dict[str, Any]]:
    """The buckets of `stored` granularity whose period starts in [from_, to), in `currency`:
    every shard of every partition, `READ_THREADS` Queries at a time (a shard is a Query more
    per partition: in parallel, the shards cost read units, not latency)."""
    days = _days(from_, to)
    first_sk = from_.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M")
    last_sk = (to - timedelta(seconds=1)).astimezone(CHINA).strftime("%Y-%m-%dT%H:%M") + "~"
    pks = [pk for m in merchants for pk in partitions(m, stored, days[0], days[-1], store.shards)]
    with ThreadPoolExecutor(max_workers=min(READ_THREADS, len(pks) or 1), thread_name_prefix="stats") as pool:
        pages = list(pool.map(lambda pk: store.query(pk, first_sk, last_sk), pks))
    return [i for page in pages for i in page if i.get("currency") == currency]


def query(
    d: Deps,
    scope: StatsScope,
    from_: datetime,
    to: datetime,
    granularity: str,
    group_by: str | None = None,
    currency: str = "CNY",
) -> dict[str, Any]:
    """The figures of `scope`'s payments with outcomes (and creations) in [from_, to)."""
    stored = check_range(from_, to, granularity, group_by)
    store = BucketStore(d.dynamodb, d.settings.table, d.settings.stats_shards)
    if scope.merchant_id is not None:
        merchants: Iterable[str] = [scope.merchant_id]
    else:
        merchants = sorted(set().union(*(store.merchants_on(day) for day in _days(from_, to))))
    items = read_buckets(store, merchants, stored, from_, to, currency)
    return answer(items, from_, to, granularity, group_by, currency)


def query_for_merchant(d: Deps, merchant_id: str, params: dict[str, str]) -> dict[str, Any]:
    """GET /v1/stats's query parameters, for the signed merchant only."""
    for name in ("from", "to"):
        if not params.get(name):
            raise _invalid(name, "required: an ISO 8601 date or date-time with an offset")
    currency = params.get("currency", "CNY")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise _invalid("currency", "an ISO 4217 code, e.g. CNY")
    return query(
        d,
        StatsScope.merchant(merchant_id),
        parse_instant(params["from"], "from"),
        parse_instant(params["to"], "to"),
        params.get("granularity", "1h"),
        params.get("group_by") or None,
        currency,
    )
