"""POST /v1/payments/{payment_id}/refunds — refund part or all of a paid payment."""

from typing import Any

from paymux.api.auth import authenticate
from paymux.api.http import Outcome, Request, handle
from paymux.api.idempotency import idempotent
from paymux.api.models import CreateRefundRequest, parse_body
from paymux.deps import deps
from paymux.domain.ids import PAYMENT_ID
from paymux.observability import lambda_handler, setup_logging
from paymux.services.refunds import create_refund

setup_logging()


def _refund(request: Request) -> Outcome:
    d = deps()
    app = authenticate(request, d.merchants, d.nonces, d.clock())

    def run() -> tuple[int, dict[str, Any]]:
        payment_id = request.path_id("payment_id", PAYMENT_ID)
        body = parse_body(CreateRefundRequest, request)
        status, refund = create_refund(d, app, payment_id, body, request.domain)
        return status, refund.to_public()

    return idempotent(d, app, request, run)


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_refund, event)
