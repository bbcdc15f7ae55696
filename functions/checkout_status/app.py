"""GET /checkout/{session_id}/status — the checkout page's status poll (JSON)."""

from typing import Any

from paymux.api.http import Outcome, Request, handle
from paymux.checkout.models import SESSION_ID
from paymux.checkout.status import session_state
from paymux.deps import deps
from paymux.observability import lambda_handler, setup_logging

setup_logging()


def _status(request: Request) -> Outcome:
    return 200, session_state(deps(), request.path_id("session_id", SESSION_ID))


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_status, event)
