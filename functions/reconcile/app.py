"""The daily T+1 reconciliation (services/reconciliation.py), as the steps of
ReconcileStateMachine or as one run:

- {"step": "plan", "date": "YYYY-MM-DD" | ""} → the day and its routes;
- {"step": "route", "date", "route"} → one route's unit (a StatementNotReady raised here is
  retried later by the state machine);
- {"step": "aggregate", "date", "results"} → the day's summary and reports;
- {"step": "analytics", "date"} → the day's analytics page (reports/<day>/analytics.html), a
  step of its own: it reads the day's payments, which matching never does;
- no step ({"date"} optional): every unit in order, then the aggregate and the analytics page
  (an operator's re-run, the local stack). Such a run in which some account could not be
  reconciled raises after writing its reports.

"date" empty or absent: yesterday, Asia/Shanghai."""

from datetime import date
from typing import Any

from paymux.deps import Deps, deps
from paymux.errors import BadRequest
from paymux.observability import lambda_handler, no_correlation, setup_logging
from paymux.services.day_analytics import write_day_analytics
from paymux.services.reconciliation import (
    ReconciliationIncomplete,
    aggregate_day,
    default_day,
    plan_day,
    reconcile_day,
    reconcile_route,
)
from paymux.store.reports import ReportStore

log = setup_logging()


def requested_day(event: dict[str, Any]) -> date | None:
    raw = (event or {}).get("date")
    if not raw:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise BadRequest(f"date must be YYYY-MM-DD, got {raw!r}") from exc


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    return {k: result[k] for k in ("counts", "repaired", "totals", "discrepancies")}


def _analytics(d: Deps, day: date) -> str:
    return write_day_analytics(d, ReportStore(d.s3, d.settings.bucket), day)


@lambda_handler(correlation=no_correlation)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    d, step = deps(), (event or {}).get("step")
    if step == "plan":
        return plan_day(d, requested_day(event))
    day = requested_day(event) or default_day(d.clock())
    if step == "route":
        report = reconcile_route(d, day, str(event["route"]))
        return {"route": str(event["route"]), "counts": report.counts, "repaired": len(report.repairs)}
    if step == "aggregate":
        result = aggregate_day(d, day, list(event.get("results") or [])).to_dict()
        log.info("reconciliation of %s: %s", result["date"], _brief(result))
        # what the state machine keeps (its states hold at most 256 KB): the day's summary is in S3
        return {k: result[k] for k in ("date", "discrepancies", "failed_accounts", "reports")}
    if step == "analytics":
        return {"date": day.isoformat(), "analytics": _analytics(d, day)}
    if step is not None:
        raise BadRequest(f"unknown reconciliation step {step!r}")
    summary = reconcile_day(d, day)
    result = summary.to_dict()
    _analytics(d, day)
    log.info("reconciliation of %s: %s", result["date"], _brief(result))
    if summary.failed_accounts:
        raise ReconciliationIncomplete(f"accounts not reconciled: {', '.join(summary.failed_accounts)}")
    return result
