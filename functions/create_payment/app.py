"""POST /v1/payments — create a payment (idempotent on merchant_order_no)."""

from typing import Any

from paymux.api.auth import authenticate
from paymux.api.http import Outcome, Request, handle
from paymux.api.idempotency import idempotent
from paymux.api.models import CreatePaymentRequest, parse_body
from paymux.deps import deps
from paymux.observability import lambda_handler, setup_logging
from paymux.services.payments import create_payment

setup_logging()


def _create(request: Request) -> Outcome:
    d = deps()
    app = authenticate(request, d.merchants, d.nonces, d.clock())

    def run() -> tuple[int, dict[str, Any]]:
        body = parse_body(CreatePaymentRequest, request)
        status, payment = create_payment(d, app, body, request.domain)
        return status, payment.to_public()

    return idempotent(d, app, request, run)


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_create, event)
