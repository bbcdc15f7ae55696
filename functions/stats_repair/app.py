"""StatsStreamDeadLetterQueue → the failed stream batches read again and counted, exactly once
(services.stats_repair); a message whose records cannot be applied yet is reported failed."""

from typing import Any

from paymux.deps import deps
from paymux.observability import lambda_handler, no_correlation, setup_logging
from paymux.services.stats_repair import repair
from paymux.sqs_consumer import process_sqs_batch

setup_logging()


def _repair(record: dict[str, Any]) -> str:
    return repair(deps(), str(record.get("body") or ""), str(record.get("messageId") or ""))


@lambda_handler(correlation=no_correlation)  # each record is logged under its message id
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_sqs_batch(event, context, _repair)
