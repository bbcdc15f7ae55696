"""GET /console — the console's one page (no data, no authorizer: paymux.console.page)."""

from typing import Any

from paymux.api.http import event_header
from paymux.console.page import console_page
from paymux.observability import lambda_handler, setup_logging

setup_logging()


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    query = event.get("queryStringParameters") or {}
    return console_page(query, event_header(event, "accept-language"))
