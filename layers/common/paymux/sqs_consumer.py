"""SQS consumers (the notifier, and any worker fed by a queue): powertools' BatchProcessor with
partial batch responses. The event source mapping reports batch item failures
(FunctionResponseTypes: ReportBatchItemFailures), so a record whose processing raises is the
only one SQS makes visible again (and dead-letters after maxReceiveCount); the others are
deleted. Each record is logged under its SQS message id as the correlation id."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from paymux.observability import correlate

log = logging.getLogger("paymux")


def process_sqs_batch(
    event: dict[str, Any], context: Any, process: Callable[[dict[str, Any]], object]
) -> dict[str, Any]:
    """Runs `process(record)` for every record of the batch (the raw SQS record: messageId,
    body, attributes …); returns {"batchItemFailures": [{"itemIdentifier": <messageId>}, …]}
    naming exactly the records whose processing raised."""
    # Deferred: only queue consumers pay for the batch utility's import.
    from aws_lambda_powertools.utilities.batch import (  # noqa: PLC0415
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    # A batch in which every record failed is answered like any other (all of them listed),
    # not raised: the outcome for SQS is the same, and a merchant endpoint being down is not
    # a function error.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False, logger=log)

    def handle(record: Any) -> object:
        correlate(record.message_id)
        outcome = process(record.raw_event)
        log.info("message %s: %s", record.message_id, outcome)
        return outcome

    response: dict[str, Any] = dict(process_partial_response(event, handle, processor, context))
    return response
