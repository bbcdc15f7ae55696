"""The table's DynamoDB stream → the stats buckets, exactly once (services.stats_stream)."""

from typing import Any

from paymux.deps import deps
from paymux.observability import lambda_handler, no_correlation, setup_logging
from paymux.services.stats_stream import consume

setup_logging()


@lambda_handler(correlation=no_correlation)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    d = deps()
    records = list(event.get("Records") or [])
    return consume(d.dynamodb, d.settings.table, records, d.clock(), d.settings.stats_shards)
