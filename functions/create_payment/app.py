"""POST /v1/payments — create a payment (idempotent on merchant_order_no)."""

from typing import Any

from paymux.api.auth import authenticate
from paymux.api.http import Request, handle
from paymux.api.models import CreatePaymentRequest, parse_body
from paymux.deps import deps
from paymux.observability import setup_logging
from paymux.services.payments import create_payment

setup_logging()


def _create(request: Request) -> tuple[int, dict[str, Any]]:
    d = deps()
    app = authenticate(request, d.merchants, d.nonces, d.clock())
    body = parse_body(CreatePaymentRequest, request.body)
    status, payment = create_payment(d, app, body, request.domain)
    return status, payment.to_public()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_create, event)
