"""Every minute: the sweep's planner. Pages the due index (payments, refunds, the outbox) and
sends each due item to the sweep queue for the sweep workers; one run at a time (a lease)."""

from dataclasses import asdict
from typing import Any

from paymux.deps import deps
from paymux.observability import lambda_handler, no_correlation, setup_logging
from paymux.services.sweeper import run_planner

log = setup_logging()


@lambda_handler(correlation=no_correlation)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    owner = getattr(context, "aws_request_id", "") or ""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    time_left = (lambda: remaining() / 1000) if callable(remaining) else None
    report = asdict(run_planner(deps(), owner, time_left))
    log.info("sweep plan: %s", report)
    return report
