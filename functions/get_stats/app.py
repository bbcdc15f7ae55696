"""GET /v1/stats — the signed merchant's payment stats, from the stats buckets."""

from typing import Any

from paymux.api.auth import authenticate
from paymux.api.http import Request, handle
from paymux.deps import deps
from paymux.observability import lambda_handler, setup_logging
from paymux.services.stats import query_for_merchant

setup_logging()


def _get(request: Request) -> tuple[int, dict[str, Any]]:
    d = deps()
    app = authenticate(request, d.merchants, d.nonces, d.clock())
    return 200, query_for_merchant(d, app.merchant_id, request.query)


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_get, event)
