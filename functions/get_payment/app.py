"""GET /v1/payments/{payment_id} (`?sync=true` asks the channel first) and
GET /v1/payments?merchant_order_no=… — read a payment."""

from typing import Any

from paymux.api.auth import authenticate
from paymux.api.http import Request, handle
from paymux.deps import deps
from paymux.domain.ids import MERCHANT_ORDER_NO, PAYMENT_ID
from paymux.errors import ValidationFailed
from paymux.observability import lambda_handler, setup_logging
from paymux.services.payments import find_payment, get_payment

setup_logging()


def _get(request: Request) -> tuple[int, dict[str, Any]]:
    d = deps()
    app = authenticate(request, d.merchants, d.nonces, d.clock())
    if "payment_id" in request.path_params:  # GET /v1/payments/{payment_id}
        payment_id = request.path_id("payment_id", PAYMENT_ID)
        return 200, get_payment(d, app, payment_id, sync=request.flag("sync")).to_public()
    merchant_order_no = request.query.get("merchant_order_no", "")
    if not MERCHANT_ORDER_NO.fullmatch(merchant_order_no):
        raise ValidationFailed(
            "merchant_order_no is required: 1-64 characters of [0-9A-Za-z_-*|@.]",
            details=[{"field": "merchant_order_no", "message": "1-64 characters of [0-9A-Za-z_-*|@.]"}],
        )
    return 200, find_payment(d, app, merchant_order_no).to_public()


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_get, event)
