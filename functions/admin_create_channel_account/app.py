"""POST /v1/admin/channel-accounts — operators only (IAM-authorized route): add a channel account
with its credentials (stored in Secrets Manager, never returned). 201; 409
`channel_account_exists`; 422 with field details, nothing written. Audited with the caller's ARN;
new payments can route to it within 60 s."""

from typing import Any

from paymux.api.admin import handle_admin, json_object
from paymux.api.http import Request
from paymux.deps import deps
from paymux.observability import lambda_handler, setup_logging
from paymux.services.channel_admin import create_account

setup_logging()


def _create(request: Request, caller: str) -> tuple[int, dict[str, Any]]:
    return 201, create_account(deps(), json_object(request.body), actor=caller)


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_admin(_create, event)
