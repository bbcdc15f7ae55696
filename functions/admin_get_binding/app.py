"""GET /v1/admin/bindings/{binding_id} — operators only (IAM-authorized route): one binding,
read uncached; 404 when there is none."""

from typing import Any

from paymux.api.admin import handle_admin
from paymux.api.http import Request
from paymux.deps import deps
from paymux.observability import setup_logging
from paymux.services.bindings import get_binding

setup_logging()


def _get(request: Request, caller: str) -> tuple[int, dict[str, Any]]:
    return 200, get_binding(deps(), request.path_params.get("binding_id", ""))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_admin(_get, event)
