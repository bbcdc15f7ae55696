"""PATCH /v1/admin/bindings/{binding_id} — operators only (IAM-authorized route): change
`enabled` (`{"enabled": false}` disables it: no new payments through it; its payments still
settle and refund), `weight`, `priority`, `products`, `sub_appid` or, on a WeChat Pay binding,
`oauth_app_secret` (kept in Secrets Manager, answered masked); conditional on `version`
when given (409 `version_conflict`). 404; 422 with field details, nothing written. Audited with
the caller's ARN; effective within 60 s."""

from typing import Any

from paymux.api.admin import handle_admin, json_object
from paymux.api.http import Request
from paymux.deps import deps
from paymux.observability import setup_logging
from paymux.services.bindings import update_binding

setup_logging()


def _update(request: Request, caller: str) -> tuple[int, dict[str, Any]]:
    binding_id = request.path_params.get("binding_id", "")
    return 200, update_binding(deps(), binding_id, json_object(request.body), actor=caller)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_admin(_update, event)
