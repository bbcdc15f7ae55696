"""GET /v1/payments/{payment_id}/events — the payment's audit trail, oldest first."""

from typing import Any

from paymux.api.auth import authenticate
from paymux.api.http import Request, handle
from paymux.deps import deps
from paymux.domain.ids import PAYMENT_ID
from paymux.observability import lambda_handler, setup_logging
from paymux.services.payments import payment_events

setup_logging()


def _events(request: Request) -> tuple[int, dict[str, Any]]:
    d = deps()
    app = authenticate(request, d.merchants, d.nonces, d.clock())
    events = payment_events(d, app, request.path_id("payment_id", PAYMENT_ID))
    return 200, {"object": "list", "data": events}


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_events, event)
