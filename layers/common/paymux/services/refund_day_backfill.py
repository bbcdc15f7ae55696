"""`python -m ops refunds index-days`: the one-off migration that gives every refund that
succeeded before the refunds-by-account-and-day index existed (store/refund_days.py) its entry.

Without one, a statement row of such a refund is still matched (reconciliation reads the refund
by key), but the refund is never `local_only` when its row is missing: the day's local side is
the index. The migration scans the table in parallel segments (Scan with Segment and
TotalSegments), filtered on the server to succeeded refund items with no `GSI3PK`, resolves each
refund's account and binding the way the live success does (services/refund_outcomes._day_entry:
the attempt it returns, read by BatchGetItem, never one GetItem a refund), and writes the entry
with a conditional update:

- the refund is still SUCCESS at the version read, and still has no entry: a refund written or
  changed meanwhile by live traffic is never overwritten (counted `raced`, left as it is);
- so a second run (or a run resumed after an interruption) finds nothing to do for what the
  first one wrote and writes nothing: the filter is the progress marker.

The day is the live rule's: the refund's request day (Asia/Shanghai). The live success also
takes the channel's clearing day when its answer names one (UnionPay's settleDate), which no
stored refund keeps: for a UnionPay account the migration takes the clearing day of the
refund's send time (the 23:00 Beijing cut-off, channels/unionpay/transform.clearing_day), which
is what settleDate states."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from paymux.channels.unionpay.transform import clearing_day
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.refund import Refund
from paymux.errors import ValidationFailed
from paymux.store.refund_days import refund_index_entry
from paymux.store.refunds import refund_from_item, refund_key

DEFAULT_SEGMENTS = 4
MAX_SEGMENTS = 64
PAGE_LIMIT = 1000  # items a Scan call evaluates (each page is then resolved in batches)
COUNTS = ("scanned", "missing", "written", "raced", "unresolved")
_FILTER = "begins_with(PK, :prefix) AND SK = :sk AND #status = :success AND attribute_not_exists(GSI3PK)"


def backfill_refund_days(d: Deps, segments: int = DEFAULT_SEGMENTS, dry_run: bool = False) -> dict[str, Any]:
    """Scans in `segments` parallel segments and writes the missing entries; returns the counts
    (`scanned`: items the Scan evaluated, `missing`: succeeded refunds without an entry,
    `written`, `raced`: changed meanwhile and left alone, `unresolved`: no payment to name the
    account by; with `dry_run`, `written` is what would be written)."""
    if not 1 <= segments <= MAX_SEGMENTS:
        raise ValidationFailed(f"segments must be 1 to {MAX_SEGMENTS}")
    _ = d.dynamodb, d.payments, d.channel_config.accounts()  # built (and cached) once, before the threads
    with ThreadPoolExecutor(max_workers=segments) as pool:
        parts = list(pool.map(lambda s: _segment(d, s, segments, dry_run), range(segments)))
    total: Counter[str] = Counter()
    for part in parts:
        total.update(part)
    return {"segments": segments, "dry_run": dry_run, **{name: total[name] for name in COUNTS}}


def _segment(d: Deps, segment: int, segments: int, dry_run: bool) -> Counter[str]:
    counts: Counter[str] = Counter()
    for items in _pages(d, segment, segments, counts):
        refunds = [refund_from_item(item) for item in items]
        counts["missing"] += len(refunds)
        write = _count_only if dry_run else _writer(d)
        for refund, entry in _entries(d, refunds, counts):
            counts["written" if write(refund, entry) else "raced"] += 1
    return counts


def _pages(d: Deps, segment: int, segments: int, counts: Counter[str]) -> Any:
    """The filtered items of one segment, a page at a time (ScannedCount counted as it goes)."""
    request: dict[str, Any] = {
        "TableName": d.settings.table,
        "Segment": segment,
        "TotalSegments": segments,
        "Limit": PAGE_LIMIT,
        "FilterExpression": _FILTER,
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {
            ":prefix": {"S": "REFUND#"},
            ":sk": {"S": "REFUND"},
            ":success": {"S": "SUCCESS"},
        },
        "ConsistentRead": True,
    }
    while True:
        page = d.dynamodb.scan(**request)
        counts["scanned"] += int(page.get("ScannedCount", 0))
        if page.get("Items"):
            yield page["Items"]
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _entries(d: Deps, refunds: list[Refund], counts: Counter[str]) -> list[tuple[Refund, tuple[str, str]]]:
    """Each refund's (GSI3PK, GSI3SK) as its success would have written it; the payments and
    the attempts of automatic refunds read by BatchGetItem."""
    payments = d.payments.get_many(r.payment_id for r in refunds)
    foreign = [
        r.out_trade_no
        for r in refunds
        if r.out_trade_no and (p := payments.get(r.payment_id)) and r.out_trade_no != p.out_trade_no
    ]
    attempts = d.payments.attempts_of(foreign)
    out: list[tuple[Refund, tuple[str, str]]] = []
    for refund in refunds:
        payment = payments.get(refund.payment_id)
        if payment is None:
            counts["unresolved"] += 1
            continue
        account_id, binding_id = _ids(refund, payment, attempts.get(refund.out_trade_no))
        settle_date = _settle_date(d, account_id, refund)
        out.append((refund, refund_index_entry(refund, account_id, binding_id, settle_date)))
    return out


def _ids(refund: Refund, payment: Payment, attempt: dict[str, Any] | None) -> tuple[str, str]:
    """(account_id, binding_id) of the attempt the refund returns, as routes.attempt_ids reads
    it, with refund_outcomes._day_entry's fallback for an attempt no longer readable."""
    if not refund.out_trade_no or refund.out_trade_no == payment.out_trade_no:
        return payment.account_id, payment.binding_id
    if attempt is not None and attempt.get("payment_id") == payment.payment_id:
        return str(attempt["account_id"]), str(attempt.get("binding_id") or "")
    return refund.account_id or payment.account_id, payment.binding_id


def _settle_date(d: Deps, account_id: str, refund: Refund) -> str:
    account = d.channel_config.account(account_id)
    if account is None or account.provider != "unionpay":
        return ""
    return clearing_day(refund.sent_at if refund.sent_at is not None else refund.created_at).isoformat()


def _count_only(_: Refund, __: tuple[str, str]) -> bool:
    return True


def _writer(d: Deps) -> Callable[[Refund, tuple[str, str]], bool]:
    client, table = d.dynamodb, d.settings.table

    def write(refund: Refund, entry: tuple[str, str]) -> bool:
        """False when the refund changed since it was read (or got its entry meanwhile)."""
        try:
            client.update_item(
                TableName=table,
                Key=refund_key(refund.refund_id),
                UpdateExpression="SET GSI3PK = :pk, GSI3SK = :sk",
                ConditionExpression=(
                    "#status = :success AND #version = :version AND attribute_not_exists(GSI3PK)"
                ),
                ExpressionAttributeNames={"#status": "status", "#version": "version"},
                ExpressionAttributeValues={
                    ":pk": {"S": entry[0]},
                    ":sk": {"S": entry[1]},
                    ":success": {"S": "SUCCESS"},
                    ":version": {"N": str(refund.version)},
                },
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    return write
