"""SQS → signed POST to the merchant's notify_url, with per-message partial batch failures."""

import json
import logging
from typing import Any

from paymux.deps import deps
from paymux.observability import setup_logging
from paymux.services.notifications import deliver

log = setup_logging()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event.get("Records", []):
        try:
            outcome = deliver(deps(), json.loads(record["body"]))
            log.info("notification message %s: %s", record["messageId"], outcome)
        except Exception:
            # Infrastructure failure: SQS redelivers it, and dead-letters it after maxReceiveCount.
            logging.getLogger("paymux").exception("notification message %s failed", record["messageId"])
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
