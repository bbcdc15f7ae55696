"""GET /v1/refunds/{refund_id} — read a refund."""

from typing import Any

from paymux.api.auth import authenticate
from paymux.api.http import Request, handle
from paymux.deps import deps
from paymux.domain.ids import REFUND_ID
from paymux.observability import lambda_handler, setup_logging
from paymux.services.refunds import get_refund

setup_logging()


def _get(request: Request) -> tuple[int, dict[str, Any]]:
    d = deps()
    app = authenticate(request, d.merchants, d.nonces, d.clock())
    return 200, get_refund(d, app, request.path_id("refund_id", REFUND_ID)).to_public()


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_get, event)
