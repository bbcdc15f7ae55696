"""ANY /console/api/{proxy+} — what no console operation's route takes (API Gateway prefers
the operations' own routes): after the JWT authorizer, 405 with Allow for a path the console
serves with other methods, else 404, both typed (paymux.console.api.handle_console)."""

from typing import Any

from paymux.console.api import handle_console
from paymux.deps import deps
from paymux.observability import lambda_handler, setup_logging

setup_logging()


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_console(deps(), event)
