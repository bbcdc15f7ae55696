"""The hosted checkout page (no merchant signature: the payer's browser):
GET /checkout/{session_id} (the page; `?via=qr` from the aggregated code),
GET /checkout/{session_id}/wechat (back from WeChat's authorization, `?code=` in the query),
GET /checkout/{session_id}/alipay (back from Alipay's, `?auth_code=` in the query) and
GET /checkout/{session_id}/return (to the merchant's return_url, signed);
GET and POST /pay/{app_id} (the merchant's static code: the payer types the amount)."""

from typing import Any

from paymux.api.http import Request
from paymux.checkout.flows import alipay_return, back_to_merchant, show, wechat_return
from paymux.checkout.static_code import code_page, pay_amount
from paymux.checkout.web import Answer, handle_page
from paymux.deps import deps
from paymux.observability import lambda_handler, setup_logging

setup_logging()


def _page(request: Request, lang: str) -> Answer:
    if request.path.startswith("/pay/"):
        return (
            pay_amount(deps(), request, lang)
            if request.method == "POST"
            else code_page(deps(), request, lang)
        )
    if request.path.endswith("/wechat"):
        return wechat_return(deps(), request, lang)
    if request.path.endswith("/alipay"):
        return alipay_return(deps(), request, lang)
    if request.path.endswith("/return"):
        return back_to_merchant(deps(), request, lang)
    return show(deps(), request, lang)


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_page(_page, event)
