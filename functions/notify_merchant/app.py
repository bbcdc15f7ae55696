"""SQS → signed POST to the merchant's notify_url, with per-message partial batch failures."""

import json
from typing import Any

from paymux.deps import deps
from paymux.observability import lambda_handler, no_correlation, setup_logging
from paymux.services.notifications import deliver
from paymux.sqs_consumer import process_sqs_batch

setup_logging()


def _deliver(record: dict[str, Any]) -> str:
    # Raises only for infrastructure failures: SQS redelivers that record alone.
    return deliver(deps(), json.loads(record["body"]))


@lambda_handler(correlation=no_correlation)  # each record is logged under its message id
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_sqs_batch(event, context, _deliver)
