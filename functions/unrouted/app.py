"""$default — every request no other route takes: 405 with `Allow` when the path is served with
other methods, else 404, both as typed errors (API Gateway alone would answer 404 to both)."""

from typing import Any

from paymux.api.routes import unrouted
from paymux.observability import lambda_handler, setup_logging

setup_logging()


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return unrouted(event)
