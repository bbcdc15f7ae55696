"""GET /console/api/exceptions: the open exceptions.

Console users only (the HTTP API's JWT authorizer ConsoleJwt verified the ID token first);
paymux.console.api's operation "exceptions", which imports its own code on first use."""

from typing import Any

from paymux.console.api import operation_handler
from paymux.deps import deps
from paymux.observability import lambda_handler, setup_logging

setup_logging()
_operation = operation_handler("exceptions")


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _operation(deps(), event)
