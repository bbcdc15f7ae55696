"""Daily at 10:30 Asia/Shanghai: reconcile yesterday's channel statements (T+1).

The event may carry {"date": "YYYY-MM-DD"} to (re-)run a given Asia/Shanghai day. A run in
which some account could not be reconciled raises after writing its reports, so Lambda
retries it (twice) and then sends it to the schedule dead-letter queue, which alarms."""

from datetime import date
from typing import Any

from paymux.deps import deps
from paymux.errors import BadRequest
from paymux.observability import lambda_handler, no_correlation, setup_logging
from paymux.services.reconciliation import ReconciliationIncomplete, reconcile_day

log = setup_logging()


def requested_day(event: dict[str, Any]) -> date | None:
    raw = (event or {}).get("date")
    if not raw:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise BadRequest(f"date must be YYYY-MM-DD, got {raw!r}") from exc


@lambda_handler(correlation=no_correlation)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    summary = reconcile_day(deps(), requested_day(event))
    result = summary.to_dict()
    brief = {k: result[k] for k in ("counts", "repaired", "totals", "discrepancies")}
    log.info("reconciliation of %s: %s", result["date"], brief)
    if summary.failed_accounts:
        raise ReconciliationIncomplete(f"accounts not reconciled: {', '.join(summary.failed_accounts)}")
    return result
