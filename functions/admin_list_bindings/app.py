"""GET /v1/admin/bindings — operators only (IAM-authorized route): every binding (of one
merchant with `?merchant_id=`, of one account with `?account_id=`), read uncached. Tokens are
never part of a binding."""

from typing import Any

from paymux.api.admin import handle_admin
from paymux.api.http import Request
from paymux.deps import deps
from paymux.observability import setup_logging
from paymux.services.bindings import list_bindings

setup_logging()


def _list(request: Request, caller: str) -> tuple[int, dict[str, Any]]:
    merchant_id, account_id = request.query.get("merchant_id", ""), request.query.get("account_id", "")
    return 200, {"object": "list", "data": list_bindings(deps(), merchant_id, account_id)}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_admin(_list, event)
