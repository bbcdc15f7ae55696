"""PATCH /v1/admin/channel-accounts/{account_id} — operators only (IAM-authorized route): change
some fields of a channel account (`{"enabled": false}` disables it), and replace its credentials
when `credentials` is given. account_id and provider cannot change. Conditional on the
account's version (the body's optional `version`, else the one read): 409 `version_conflict`
if it changed. 404; 422 with field details, nothing written. Audited with the caller's ARN;
effective within 60 s."""

from typing import Any

from paymux.api.admin import handle_admin, json_object
from paymux.api.http import Request
from paymux.deps import deps
from paymux.observability import lambda_handler, setup_logging
from paymux.services.channel_admin import split_credentials, update_account

setup_logging()


def _update(request: Request, caller: str) -> tuple[int, dict[str, Any]]:
    d = deps()
    account_id = request.path_params.get("account_id", "")
    changes, credentials = split_credentials(json_object(request.body))
    return 200, update_account(d, account_id, changes, credentials, actor=caller)


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_admin(_update, event)
