"""POST /console/api/login and POST /console/api/login/new-password — no authorizer: a
username and password for Cognito tokens, and the new password a temporary one must be
replaced with (paymux.console.login). Passwords are never logged."""

from functools import cache
from typing import Any

from paymux.api.http import Outcome, Request, handle
from paymux.console.login import login, new_password
from paymux.observability import lambda_handler, setup_logging

setup_logging()


@cache
def cognito() -> Any:
    import boto3  # noqa: PLC0415 - once per container, on first use

    return boto3.client("cognito-idp")


def _login(request: Request) -> Outcome:
    if request.path.endswith("/new-password"):
        return new_password(cognito(), request)
    return login(cognito(), request)


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_login, event)
