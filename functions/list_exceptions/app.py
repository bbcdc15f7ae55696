"""GET /v1/admin/exceptions — operators only (IAM-authorized route): channel messages that were
verified but could not be applied (unknown order, amount mismatch, paid after close …)."""

from typing import Any

from paymux.api.http import Request, handle
from paymux.deps import deps
from paymux.errors import ValidationFailed
from paymux.observability import lambda_handler, setup_logging
from paymux.services.exceptions import list_exceptions

setup_logging()


def _list(request: Request) -> tuple[int, dict[str, Any]]:
    limit = request.query.get("limit", "50")
    if not (limit.isascii() and limit.isdigit() and len(limit) <= 3):
        raise ValidationFailed("limit must be a number", details=[{"field": "limit", "message": "1-100"}])
    data = list_exceptions(deps(), int(limit), request.query.get("kind", ""))
    return 200, {"object": "list", "data": data}


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_list, event)
