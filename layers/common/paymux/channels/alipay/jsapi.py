"""Alipay's in-app payment (product `alipay.jsapi`): a page open inside the Alipay app pays with
`AlipayJSBridge.call("tradePay", {tradeNO})`, the trade made beforehand by the server with
`alipay.trade.create` (product_code JSAPI_PAY) for one buyer. The buyer is the payer's id in the
app, from Alipay's user authorization: `alipay.system.oauth.token` (grant_type and code are
request parameters, not biz_content) exchanges the auth_code the page came back with for it:
`open_id` for an application created after 2023 (sent as `buyer_open_id`), else `user_id`
(2088 and 12 digits, sent as `buyer_id`). Pure mapping; the I/O is the channel's (client.py)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from paymux.channels.alipay import transform
from paymux.channels.base import ChannelAccount, CreateRequest
from paymux.errors import BadRequest, ChannelError

PRODUCT = "alipay.jsapi"
OAUTH_METHOD = "alipay.system.oauth.token"
USER_ID = re.compile(r"2088[0-9]{12}")
OPEN_ID = re.compile(r"[0-9A-Za-z_\-]{1,128}")
# Alipay's user authorization page is served by openauth beside the gateway's openapi host.
AUTHORIZE_HOSTS = {
    "openapi.alipay.com": "openauth.alipay.com",
    "openapi-sandbox.dl.alipaydev.com": "openauth-sandbox.dl.alipaydev.com",
}
AUTHORIZE_PATH = "/oauth2/publicAppAuthorize.htm"


def buyer(payer_id: str) -> dict[str, str]:
    """A user_id is `buyer_id`; anything else is the app's `buyer_open_id`."""
    return {"buyer_id": payer_id} if USER_ID.fullmatch(payer_id) else {"buyer_open_id": payer_id}


def trade_content(request: CreateRequest) -> dict[str, Any]:
    payer_id = str(request.payer.get("openid") or "")
    if not OPEN_ID.fullmatch(payer_id):
        raise BadRequest("alipay.jsapi needs payer.openid (the payer's open_id or user_id in the app)")
    return transform.biz_content(request) | buyer(payer_id)


def action(answer: dict[str, Any]) -> dict[str, Any]:
    """What the page passes to AlipayJSBridge tradePay."""
    trade_no = str(answer.get("trade_no") or "")
    if not trade_no:
        raise ChannelError("Alipay's trade.create answer has no trade_no")
    return {"type": "alipay_jsapi", "trade_no": trade_no, "out_trade_no": str(answer.get("out_trade_no", ""))}


def payer_id(answer: dict[str, Any]) -> str:
    """The open_id (else the user_id) of an alipay.system.oauth.token answer."""
    found = str(answer.get("open_id") or answer.get("user_id") or "")
    if not OPEN_ID.fullmatch(found):
        raise ChannelError("Alipay's authorization answer names no user (open_id or user_id)")
    return found


def authorize_url(account: ChannelAccount, app_id: str, redirect_uri: str, state: str) -> str:
    """The silent user authorization (scope auth_base) of `app_id`: Alipay sends the browser back
    to `redirect_uri` with `auth_code` and `state` in the query string."""
    parts = urlsplit(account.base_url)
    host = AUTHORIZE_HOSTS.get(parts.hostname or "", parts.netloc)
    query = urlencode(
        {"app_id": app_id, "scope": "auth_base", "redirect_uri": redirect_uri, "state": state},
        quote_via=quote,
    )
    return f"{parts.scheme}://{host}{AUTHORIZE_PATH}?{query}"
