"""GET /v1/admin/channel-accounts/{account_id} — operators only (IAM-authorized route): one
channel account, read uncached; 404 when there is none."""

from typing import Any

from paymux.api.admin import handle_admin
from paymux.api.http import Request
from paymux.deps import deps
from paymux.observability import lambda_handler, setup_logging
from paymux.services.channel_admin import get_account

setup_logging()


def _get(request: Request, caller: str) -> tuple[int, dict[str, Any]]:
    return 200, get_account(deps(), request.path_params.get("account_id", ""))


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_admin(_get, event)
