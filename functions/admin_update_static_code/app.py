"""PATCH /v1/admin/apps/{app_id}/static-code — operators only (IAM-authorized route): set a
merchant app's static payment code (收款码): notify_url, return_url, methods, max_amount,
subject, and its limits `reuse_seconds` (default 300) and `sessions_per_minute` (default 30,
more answers 429); merged over the current code; `{"enabled": false}` removes it. 404; 422
with field details, nothing written. Audited with the caller's ARN; effective within 60 s."""

from typing import Any

from paymux.api.admin import handle_admin, json_object
from paymux.api.http import Request
from paymux.deps import deps
from paymux.observability import setup_logging
from paymux.services.static_code_admin import update_static_code

setup_logging()


def _update(request: Request, caller: str) -> tuple[int, dict[str, Any]]:
    app_id = request.path_params.get("app_id", "")
    return 200, update_static_code(deps(), app_id, json_object(request.body), actor=caller)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_admin(_update, event)
