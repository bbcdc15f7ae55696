"""Daily: every enabled Alipay binding whose app_auth_token expires within 30 days gets a new
one (alipay.open.auth.token.app, grant_type=refresh_token), stored in its secret.

A run in which some binding could not be refreshed raises after the others, so Lambda retries
it (twice), then sends it to the schedule dead-letter queue (which alarms); a token past its
refresh token's life is recorded as an `authorization_expired` exception for operators."""

from typing import Any

from paymux.deps import deps
from paymux.errors import PaymuxError
from paymux.observability import setup_logging
from paymux.services.alipay_auth import refresh_authorizations

log = setup_logging()


class AuthorizationRefreshIncomplete(PaymuxError):
    code = "authorization_refresh_incomplete"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    reports = refresh_authorizations(deps())
    failed = [r["binding_id"] for r in reports if r["status"] == "failed"]
    if failed:
        raise AuthorizationRefreshIncomplete(f"authorizations not refreshed: {', '.join(failed)}")
    return {"bindings": reports}
