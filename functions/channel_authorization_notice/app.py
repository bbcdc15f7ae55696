"""POST /v1/callbacks/{provider}/{account_id}/authorization — Alipay's notice that a merchant
cancelled or changed its authorization of paymux's third-party application. No merchant auth:
the notice's signature is verified with the provider account's keys. A cancellation disables
the merchant's binding (audited)."""

from typing import Any

from paymux.api.http import error_response, parse_event
from paymux.deps import deps
from paymux.errors import BadRequest
from paymux.observability import setup_logging
from paymux.services.alipay_auth import handle_authorization_notice

setup_logging()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        request = parse_event(event)
    except BadRequest as exc:  # an unreadable body: nobody could have signed it
        return error_response(exc)
    if request.path_params.get("provider") != "alipay":
        return {
            "statusCode": 404,
            "headers": {},
            "body": '{"code":"NOT_FOUND","message":"unknown callback path"}',
        }
    account_id = request.path_params.get("account_id", "")
    reply = handle_authorization_notice(deps(), account_id, request.headers, request.body)
    return {
        "statusCode": reply.status,
        "headers": dict(reply.headers),
        "body": reply.body,
        "isBase64Encoded": False,
    }
