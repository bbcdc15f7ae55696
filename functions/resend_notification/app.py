"""POST /v1/notifications/{notification_id}/resend — one more delivery of a failed notification."""

from typing import Any

from paymux.api.auth import authenticate
from paymux.api.http import Outcome, Request, handle
from paymux.api.idempotency import idempotent
from paymux.deps import deps
from paymux.domain.ids import EVENT_ID
from paymux.observability import lambda_handler, setup_logging
from paymux.services.notifications import resend

setup_logging()


def _resend(request: Request) -> Outcome:
    d = deps()
    app = authenticate(request, d.merchants, d.nonces, d.clock())
    return idempotent(
        d, app, request, lambda: (202, resend(d, app, request.path_id("notification_id", EVENT_ID)))
    )


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_resend, event)
