"""GET /v1/payments/{payment_id}/notifications — every notification of a payment with every
delivery attempt (time, status code, latency, error, next retry)."""

from typing import Any

from paymux.api.auth import authenticate
from paymux.api.http import Request, handle
from paymux.deps import deps
from paymux.domain.ids import PAYMENT_ID
from paymux.observability import lambda_handler, setup_logging
from paymux.services.notifications import list_for_payment

setup_logging()


def _list(request: Request) -> tuple[int, dict[str, Any]]:
    d = deps()
    app = authenticate(request, d.merchants, d.nonces, d.clock())
    payment_id = request.path_id("payment_id", PAYMENT_ID)
    return 200, {"object": "list", "data": list_for_payment(d, app, payment_id)}


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_list, event)
