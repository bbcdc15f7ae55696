"""Every minute: re-send the outbox, close expired payments, actively query open ones."""

from dataclasses import asdict
from typing import Any

from paymux.deps import deps
from paymux.observability import lambda_handler, no_correlation, setup_logging
from paymux.services.sweeper import sweep

log = setup_logging()


@lambda_handler(correlation=no_correlation)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = asdict(sweep(deps()))
    log.info("sweep: %s", report)
    return report
