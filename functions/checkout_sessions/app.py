"""POST /v1/checkout/sessions (create, idempotent on merchant_order_no) and
GET /v1/checkout/sessions/{session_id} — the merchant's side of the hosted checkout."""

from typing import Any

from paymux.api.auth import authenticate
from paymux.api.http import Outcome, Request, handle
from paymux.api.idempotency import idempotent
from paymux.api.models import parse_body
from paymux.checkout.models import SESSION_ID, CreateCheckoutSessionRequest, session_public
from paymux.checkout.sessions import create_session, get_session
from paymux.deps import deps
from paymux.observability import lambda_handler, setup_logging

setup_logging()


def _sessions(request: Request) -> Outcome:
    d = deps()
    app = authenticate(request, d.merchants, d.nonces, d.clock())
    if request.method == "GET":
        session_id = request.path_id("session_id", SESSION_ID)
        return 200, session_public(get_session(d, app, session_id))

    def run() -> tuple[int, dict[str, Any]]:
        body = parse_body(CreateCheckoutSessionRequest, request)
        status, session = create_session(d, app, body, request.domain)
        return status, session_public(session)

    return idempotent(d, app, request, run)


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_sessions, event)
