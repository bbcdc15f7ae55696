"""ANY /console/api/{proxy+} — console users (the HTTP API's Cognito JWT authorizer
ConsoleJwt verified the ID token before this runs): paymux.console.api routes it."""

from typing import Any

from paymux.console.api import handle_console
from paymux.deps import deps
from paymux.observability import lambda_handler, setup_logging

setup_logging()


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_console(deps(), event)
