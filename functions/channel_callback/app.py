"""POST /v1/callbacks/{provider}/{account_id} — a channel's asynchronous result. No merchant
auth: the channel's signature is verified by the channel adapter."""

from typing import Any

from paymux.api.http import error_response, parse_event
from paymux.deps import deps
from paymux.errors import BadRequest
from paymux.observability import lambda_handler, setup_logging
from paymux.services.callbacks import handle_callback

setup_logging()


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        request = parse_event(event)
    except BadRequest as exc:  # an unreadable body (bad base64): nobody could have signed it
        return error_response(exc)
    reply = handle_callback(
        deps(),
        request.path_params.get("provider", ""),
        request.path_params.get("account_id", ""),
        request.headers,
        request.body,
    )
    return {
        "statusCode": reply.status,
        "headers": dict(reply.headers),
        "body": reply.body,
        "isBase64Encoded": False,
    }
