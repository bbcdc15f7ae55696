"""Alipay's in-app payment from the checkout (`alipay.jsapi`): the page open inside the Alipay
app sends the payer through Alipay's silent user authorization (scope auth_base) in the payer
app of the best route, that app in a state bound to the session (paymux.checkout.oauth_state);
Alipay comes back to `/checkout/{id}/alipay?auth_code=…&state=…` (the query string, read on the
server), the code is exchanged once by that app's channel (`alipay.system.oauth.token`: the
payer's open_id, or user_id for an application made before open_id) and the payment is created
by `alipay.trade.create` on a route of that app; the page hands its trade_no to
`AlipayJSBridge.call("tradePay")` (channels/alipay/jsapi.py)."""

from __future__ import annotations

import re

from paymux.deps import Deps
from paymux.errors import ConfigurationError, ValidationFailed
from paymux.services.routes import route_channel
from paymux.services.routing import Route

AUTH_CODE = re.compile(r"[0-9A-Za-z_\-]{1,128}")


def authorize_url(route: Route, redirect_uri: str, state: str) -> str:
    from paymux.channels.alipay.jsapi import authorize_url as alipay_authorize  # noqa: PLC0415

    return alipay_authorize(route.account, route.payer_appid, redirect_uri, state)


def open_id_for(d: Deps, route: Route, auth_code: str) -> str:
    """The payer's id in the route's app: ValidationFailed for a malformed code, ChannelError
    for one Alipay refuses (used before, expired), ChannelUnavailable when it cannot be asked."""
    if not AUTH_CODE.fullmatch(auth_code):
        raise ValidationFailed("the Alipay authorization code is missing or malformed")
    identity = getattr(route_channel(d, route), "payer_identity", None)  # AlipayChannel's
    if route.account.provider != "alipay" or not callable(identity):
        raise ConfigurationError(f"account {route.account.account_id} is not an Alipay account")
    return str(identity(auth_code))
