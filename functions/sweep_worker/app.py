"""The sweep queue's consumer: checks the claimed items of a batch in parallel, bounded per
channel account; reports the messages to deliver again (ReportBatchItemFailures)."""

from dataclasses import asdict
from typing import Any

from paymux.deps import deps
from paymux.observability import lambda_handler, no_correlation, setup_logging
from paymux.services.query_pool import QueryPool
from paymux.services.sweep_worker import work
from paymux.store.sweep_queue import SweepMessage

log = setup_logging()
POOL = QueryPool()  # per container: each account's token bucket outlives one batch


@lambda_handler(correlation=no_correlation)  # a batch of messages: each is named in its log lines
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    messages = []
    for record in event.get("Records", []):
        try:
            messages.append((record["messageId"], SweepMessage.parse(record["body"])))
        except (KeyError, TypeError, ValueError):  # not ours to retry: the planner sends it again
            log.error("malformed sweep message %s dropped", record.get("messageId"))
    d = deps()
    report = work(d, messages, POOL, d.settings.sweep_workers)
    log.info("sweep work: %s", asdict(report))
    # Lambda reads batchItemFailures; `report` is for the logs and the tests' drivers.
    return {
        "batchItemFailures": [{"itemIdentifier": i} for i in report.failed],
        "report": {k: v for k, v in asdict(report).items() if k != "failed"},
    }
