"""T+1 reconciliation (DESIGN.md §6, docs/reconciliation-engine.md): per route (a direct
account, or a provider account for one sub-merchant) and Asia/Shanghai day, fetch the channel's
statement (streamed to a temporary file), archive it raw in S3 (multipart), match its rows
against the payments paid that day (services/reconciliation_match.py), repair what the channel
paid and we did not record, and write `reports/<day>/summary.json` and the discrepancy reports.

The day is units of work: `plan_day` lists the routes, `reconcile_route` reconciles one and
keeps its report and discrepancy records under `reports/<day>/routes/`, `aggregate_day` writes
the day's summary and reports from them. The daily Step Functions execution runs them as a
Map over the routes (each unit with its own time limit and retries; StatementNotReady is asked
again later); `reconcile_day` runs the same steps in order in one process (tests, the local
stack, an operator's re-run). Running a day again is safe: reports are overwritten, an
identical statement is not re-archived, repairs go through the one transition path (so happen
once), and the repairs an earlier run of a route recorded are reported again as such."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import date
from typing import Any

from paymux.channels import download
from paymux.channels.base import QuickRows, StatementFile
from paymux.deps import Deps
from paymux.errors import PaymuxError
from paymux.observability import emit_metric
from paymux.services.reconciliation_match import RouteMatch
from paymux.services.reconciliation_records import (
    ACTOR,
    CLASSES,
    CSV_COLUMNS,
    FEE_TOLERANCE,
    PENDING,
    REFUND_CLASSES,
    TOTALS,
    AccountReport,
    ReconciliationIncomplete,
    ReconciliationSummary,
    Record,
    default_day,
    expected_fee,
)
from paymux.services.reconciliation_repairs import paid_trade
from paymux.services.reconciliation_routes import reconciled_routes, run_key
from paymux.services.report_formats import write_discrepancy_reports
from paymux.services.routes import route_channel
from paymux.services.routing import Route
from paymux.store.reconciliation_pool import RepairJournal
from paymux.store.reports import ReportStore, report_key, statement_key

log = logging.getLogger("paymux")
__all__ = [
    "ACTOR",
    "CLASSES",
    "CSV_COLUMNS",
    "FEE_TOLERANCE",
    "REFUND_CLASSES",
    "TOTALS",
    "AccountReport",
    "ReconciliationIncomplete",
    "ReconciliationSummary",
    "Record",
    "aggregate_day",
    "default_day",
    "expected_fee",
    "paid_trade",
    "plan_day",
    "reconcile_day",
    "reconcile_route",
]


class RouteNotFound(PaymuxError):
    """A unit names a route that is no longer reconciled (its account disabled or removed)."""

    code = "route_not_found"


def _route_key(route: Route) -> str:
    return run_key(route.account.account_id, route.binding.binding_id if route.binding else "")


def route_report_key(day: date, key: str, extension: str) -> str:
    return report_key(day, f"routes/{key}.{extension}")


def plan_day(d: Deps, day: date | None = None) -> dict[str, Any]:
    """The day's units of work: its date and the keys of the routes reconciled."""
    day = day or default_day(d.clock())
    return {"date": day.isoformat(), "routes": [_route_key(r) for r in reconciled_routes(d)]}


def _archive(reports: ReportStore, route: Route, day: date, statement: StatementFile) -> str:
    account, binding = route
    partition = f"{account.account_id}/{binding.binding_id}" if binding else account.account_id
    key = statement_key(account.provider, partition, day, statement.extension)
    if statement.path:
        reports.put_statement_file(key, statement.path, statement.sha1, statement.content_type)
    else:
        reports.put_statement(key, statement.raw, statement.content_type)
    return key


def _match(
    reports: ReportStore, route: Route, day: date, run: RouteMatch, statement: StatementFile | None
) -> None:
    """One statement, streamed: archived while its rows are matched as they are read, then (its
    totals checked and its archive done) what was put aside is resolved and repaired."""
    if statement is None:
        run.finish()
        return
    try:
        # the archive uploads the file while its rows are matched (it reads the file itself)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive") as pool:
            archived = pool.submit(_archive, reports, route, day, statement)
            rows = statement.rows
            # a reader that can offer its paid rows to run.quick first builds no row that matches
            for row in rows.stream(run.quick) if isinstance(rows, QuickRows) else rows:
                run.row(row)
            key = archived.result()
        sha1 = statement.sha1 or _sha1(statement.raw)
        run.report.statement = {"key": key, "sha1": sha1, **asdict(statement.final_summary())}
    finally:
        download.discard(statement.path)
    run.finish()


def _prepared(
    d: Deps, route: Route, day: date, local_side: Callable[[], RouteMatch]
) -> tuple[RouteMatch, StatementFile | None]:
    """The route's local side (`local_side`: the day's paid index above all, read in a thread)
    and its statement (fetched meanwhile, here): neither waits for the other. A statement
    downloaded for a local side that failed is not left on /tmp."""
    channel = route_channel(d, route)
    _ = d.dynamodb, d.payments, d.s3  # built here, once, not by both threads at a time
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="local-side") as pool:
        matching = pool.submit(local_side)
        statement = channel.fetch_statement(day)
        try:
            return matching.result(), statement
        except BaseException:
            if statement is not None:
                download.discard(statement.path)
            raise


def _sha1(raw: bytes) -> str:
    import hashlib  # noqa: PLC0415

    return hashlib.sha1(raw, usedforsecurity=False).hexdigest()


def _earlier_repairs(d: Deps, reports: ReportStore, day: date, key: str) -> dict[str, dict[str, str]]:
    """The repairs an earlier run of this route and day recorded (its route report, or the
    day's summary of a run from before the units), and those a run that died before its report
    made (its repair journal, confirmed by the audit trail)."""
    earlier = reports.get_json(route_report_key(day, key, "json"))
    accounts = (
        [earlier]
        if earlier
        else (reports.get_json(report_key(day, "summary.json")) or {}).get("accounts", [])
    )
    found: dict[str, dict[str, str]] = {}
    for account in accounts:
        if run_key(str(account["account_id"]), str(account.get("binding_id") or "")) == key:
            found = {str(r.get("out_refund_no") or r["out_trade_no"]): r for r in account.get("repairs", [])}
    journal = RepairJournal(d.dynamodb, d.settings.table).intended(key, day)
    return {n: r for n, r in journal.items() if n not in found and made(d, r)} | found


def made(d: Deps, repair: dict[str, str]) -> bool:
    """Whether the audit trail shows `repair` made by reconciliation."""
    for event in d.payments.events(repair["payment_id"]):
        if event.get("actor") != ACTOR:
            continue
        if repair.get("out_refund_no"):
            if event.get("refund_id") == "re_" + repair["out_refund_no"]:
                return True
        elif event.get("type") == "payment.succeeded":
            return True
    return False


def reconcile_route(d: Deps, day: date, key: str) -> AccountReport:
    """One unit: the route `key` on `day`. Its report and records are kept under
    reports/<day>/routes/ for aggregate_day. Raises what the route's statement raised (a
    StatementNotReady is asked again later by the caller)."""
    routes = {_route_key(r): r for r in reconciled_routes(d)}
    if key not in routes:
        raise RouteNotFound(f"route {key} is not reconciled")
    reports = ReportStore(d.s3, d.settings.bucket)
    records: list[Record] = []
    route = routes[key]
    run, statement = _prepared(
        d,
        route,
        day,
        lambda: RouteMatch(d, route, day, _earlier_repairs(d, reports, day, key), records.append),
    )
    _match(reports, route, day, run, statement)
    records.sort(key=lambda r: (r.kind, r.out_trade_no, r.out_refund_no, r.cls))  # a re-run writes alike
    lines = "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in records)
    reports.put_text(route_report_key(day, key, "jsonl"), lines, "application/x-ndjson; charset=utf-8")
    reports.put_json(route_report_key(day, key, "json"), asdict(run.report))
    return run.report


def _failed_report(d: Deps, key: str, error: str) -> AccountReport:
    account_id, _, binding_id = key.partition("#")
    account = d.channel_config.account(account_id)
    binding = (
        next((b for b in d.bindings.bindings() if b.binding_id == binding_id), None) if binding_id else None
    )
    merchant_id = binding.merchant_id if binding else (account.owner if account else "")
    return AccountReport(
        account_id, account.provider if account else "", merchant_id, binding_id, error=error
    )


def _records(reports: ReportStore, day: date, keys: list[str]) -> Iterator[Record]:
    for key in keys:
        body = reports.get(route_report_key(day, key, "jsonl")) or b""
        for line in body.decode().splitlines():
            yield Record(**json.loads(line))


def aggregate_day(d: Deps, day: date, results: Iterable[dict[str, Any]]) -> ReconciliationSummary:
    """The day's summary and discrepancy reports, from the units' `results` ({"route": key}
    for one that finished, {"route": key, "error": message} for one that failed for good)."""
    reports = ReportStore(d.s3, d.settings.bucket)
    accounts: list[AccountReport] = []
    done: list[str] = []
    for result in results:
        key = str(result["route"])
        kept = None if result.get("error") else reports.get_json(route_report_key(day, key, "json"))
        if kept is None:
            emit_metric("ReconciliationUnitFailed", 1)  # ReconciliationUnitFailedAlarm
            accounts.append(_failed_report(d, key, str(result.get("error") or "no report of the unit")))
            continue
        accounts.append(AccountReport(**kept))
        done.append(key)
    pending = sum(1 for r in _records(reports, day, done) if r.cls == PENDING)
    discrepancies = sum(1 for _ in _records(reports, day, done)) - pending
    keys = {"summary": report_key(day, "summary.json")}
    keys |= write_discrepancy_reports(reports, day, CSV_COLUMNS, lambda: _records(reports, day, done))
    keys["analytics"] = report_key(day, "analytics.html")  # written by the analytics step, next
    summary = ReconciliationSummary(day, d.clock(), accounts, discrepancies, keys, pending)
    reports.put_json(keys["summary"], summary.to_dict())
    # pending records are listed, not alarmed: they are re-checked on the next days' runs
    emit_metric("ReconciliationDiscrepancies", discrepancies)  # ReconciliationDiscrepanciesAlarm
    emit_metric("ReconciliationPending", pending)
    return summary


def reconcile_day(d: Deps, day: date | None = None) -> ReconciliationSummary:
    """Every unit of `day` (default: yesterday, Asia/Shanghai) in order, then the aggregate: an
    account whose statement cannot be had is reported with its error; the others go on."""
    plan = plan_day(d, day)
    day = date.fromisoformat(plan["date"])
    results: list[dict[str, Any]] = []
    for key in plan["routes"]:
        try:
            reconcile_route(d, day, key)
            results.append({"route": key})
        except PaymuxError as exc:  # e.g. the statement is not ready or failed its checks
            log.warning("reconciliation of %s on %s failed: %s", key, day, exc.message)
            results.append({"route": key, "error": exc.message})
    return aggregate_day(d, day, results)
