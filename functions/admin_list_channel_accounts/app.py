"""GET /v1/admin/channel-accounts — operators only (IAM-authorized route): every channel account,
in routing order, read uncached. Credentials are never part of an account."""

from typing import Any

from paymux.api.admin import handle_admin
from paymux.api.http import Request
from paymux.deps import deps
from paymux.observability import lambda_handler, setup_logging
from paymux.services.channel_admin import list_accounts

setup_logging()


def _list(request: Request, caller: str) -> tuple[int, dict[str, Any]]:
    return 200, {"object": "list", "data": list_accounts(deps())}


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_admin(_list, event)
