"""The operators' routes (/v1/admin/*): API Gateway authorizes them with IAM (SigV4) before the
function runs, so no merchant signature is involved. The handler still insists on the caller's
IAM identity in the event, which only an IAM-authorized route carries: a route that lost its
authorizer refuses instead of opening, and every write is attributed to a principal.
Standard library only (the read-only admin functions import nothing heavier)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paymux.api.http import Outcome, Request, handle
from paymux.api.media import JSON, decode_body, media_type
from paymux.errors import PaymuxError, UnsupportedMediaType, ValidationFailed


class Forbidden(PaymuxError):
    status = 403
    code = "forbidden"


def caller_arn(event: dict[str, Any]) -> str:
    """The IAM principal API Gateway authenticated (payload 2.0
    `requestContext.authorizer.iam.userArn`), or Forbidden."""
    iam = ((event.get("requestContext") or {}).get("authorizer") or {}).get("iam") or {}
    arn = iam.get("userArn")
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise Forbidden("this route requires IAM (SigV4) authorization")
    return arn


def handle_admin(operation: Callable[[Request, str], Outcome], event: dict[str, Any]) -> dict[str, Any]:
    """paymux.api.http.handle for an admin route: `operation(request, caller ARN)`. Operators
    send JSON (the merchant API's XML is for merchants); answers follow Accept like any other."""

    def run(request: Request) -> Outcome:
        arn = caller_arn(event)
        if request.body and media_type(request.header("content-type")) != JSON:
            raise UnsupportedMediaType(
                f"the operators' routes take {JSON} bodies",
                details=[{"field": "Content-Type", "message": f"supported: {JSON}"}],
            )
        return operation(request, arn)

    return handle(run, event)


def json_object(body: bytes) -> dict[str, Any]:
    value = decode_body(JSON, body, {})
    if not isinstance(value, dict):
        raise ValidationFailed(
            "the body is invalid", details=[{"field": "body", "message": "must be a JSON object"}]
        )
    return value
