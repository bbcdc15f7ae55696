"""POST /console/api/login — no authorizer: a username and password for Cognito tokens
(paymux.console.login). The password is never logged."""

from functools import cache
from typing import Any

from paymux.api.http import Request, handle
from paymux.console.login import login
from paymux.observability import lambda_handler, setup_logging

setup_logging()


@cache
def cognito() -> Any:
    import boto3  # noqa: PLC0415 - once per container, on first use

    return boto3.client("cognito-idp")


def _login(request: Request) -> Any:
    return login(cognito(), request)


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(_login, event)
