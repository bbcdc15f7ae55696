"""POST /v1/payments/{payment_id}/close — close an unpaid payment (at the channel, then here)."""

from typing import Any

from paymux.api.auth import authenticate
from paymux.api.http import Outcome, Request, handle
from paymux.api.idempotency import idempotent
from paymux.deps import deps
from paymux.domain.ids import PAYMENT_ID
from paymux.observability import lambda_handler, setup_logging
from paymux.services.payments import close_payment

setup_logging()


def _close(request: Request) -> Outcome:
    d = deps()
    app = authenticate(request, d.merchants, d.nonces, d.clock())

    def run() -> tuple[int, dict[str, Any]]:
        return 200, close_payment(d, app, request.path_id("payment_id", PAYMENT_ID)).to_public()

    return idempotent(d, app, request, run)


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_close, event)
