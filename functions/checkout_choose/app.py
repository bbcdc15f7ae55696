"""POST /checkout/{session_id}/pay — the payer chooses a method on the checkout page (a form
post: method=…); answers the next step (the code, a redirect, a channel form or JSAPI)."""

from typing import Any

from paymux.api.http import Request
from paymux.checkout.flows import pay
from paymux.checkout.web import Answer, handle_page
from paymux.deps import deps
from paymux.observability import lambda_handler, setup_logging

setup_logging()


def _choose(request: Request, lang: str) -> Answer:
    return pay(deps(), request, lang)


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_page(_choose, event)
