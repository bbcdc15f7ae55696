"""POST /v1/admin/bindings — operators only (IAM-authorized route): bind a merchant to a
provider-mode account as one sub-merchant (`sub_mchid`, optional `sub_appid`), or, with
`alipay_auth_code`, from an Alipay authorization (the code is exchanged for the merchant's
app_auth_token, stored in Secrets Manager only). 201; 409 `binding_exists` /
`sub_merchant_bound`; 422 (`binding_account_not_provider`, field details), nothing written.
Audited with the caller's ARN; new payments can route through it within 60 s."""

from typing import Any

from paymux.api.admin import handle_admin, json_object
from paymux.api.http import Request
from paymux.deps import deps
from paymux.observability import setup_logging
from paymux.services.alipay_auth import bind_authorization
from paymux.services.bindings import create_binding

setup_logging()


def _create(request: Request, caller: str) -> tuple[int, dict[str, Any]]:
    doc = json_object(request.body)
    if "alipay_auth_code" in doc:
        code = doc.pop("alipay_auth_code")
        return 201, bind_authorization(deps(), doc, code, actor=caller)
    return 201, create_binding(deps(), doc, actor=caller)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_admin(_create, event)
