"""WeChat's web authorization (snsapi_base) for JSAPI: the payer's openid in one appid. The
browser goes to WeChat's authorize URL and comes back to `/checkout/{id}/wechat?code=…&state=…`:
the code is read from the query string on the server, never from the URL fragment (WeChat puts
`?code=` before the `#`; a peer's hash-routed cashier lost every payment to this), exchanged
once for the openid, and never stored.

An openid belongs to the appid that authorized it, so the payment must be created on a route
whose payer appid is that one (`Route.payer_appid`: the account's appid directly; in service-provider
mode the binding's sub_appid, else the provider's sp_appid, as channels/wechat/partner.py sends
sub_openid or sp_openid). The appid chosen for the authorization travels in `state`, bound to the
session by an HMAC under the merchant app's secret (paymux.checkout.oauth_state), so it cannot
be swapped for another on the way back; the payment is then routed to that appid only.

The hosts: open.weixin.qq.com and api.weixin.qq.com for an account at WeChat Pay's own API;
otherwise (the sandbox) the account's base URL. The AppSecret: for the account's own appid (and
the sp_appid) the channel account's credential `oauth_app_secret`; for a binding's sub_appid the
binding's secret `oauth_app_secret` (the sub-merchant's official account)."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

from paymux.channels.base import ChannelAccount
from paymux.deps import Deps
from paymux.errors import ChannelError, ChannelUnavailable, ConfigurationError, PaymuxError, ValidationFailed
from paymux.services.routing import Route

WECHAT_PAY_API = "https://api.mch.weixin.qq.com"
OPEN_BASE = "https://open.weixin.qq.com"
API_BASE = "https://api.weixin.qq.com"
CODE = re.compile(r"[0-9A-Za-z_\-]{1,128}")
OPENID = re.compile(r"[0-9A-Za-z_\-]{1,128}")


def _bases(account: ChannelAccount) -> tuple[str, str]:
    if account.base_url.rstrip("/") == WECHAT_PAY_API:
        return OPEN_BASE, API_BASE
    return account.base_url.rstrip("/"), account.base_url.rstrip("/")


def authorize_url(route: Route, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {
            "appid": route.payer_appid,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
        },
        quote_via=quote,
    )
    return f"{_bases(route.account)[0]}/connect/oauth2/authorize?{query}#wechat_redirect"


def _app_secret(d: Deps, route: Route) -> str:
    account, binding = route
    if binding is not None and binding.sub_appid:
        secret = str(d.bindings.secret(binding).get("oauth_app_secret", ""))
        owner = f"binding {binding.binding_id} (sub_appid {binding.sub_appid})"
    else:
        secret = str(d.channel_config.credentials(account.account_id).get("oauth_app_secret", ""))
        owner = f"channel account {account.account_id}"
    if not secret:
        raise ConfigurationError(f"{owner} has no oauth_app_secret for JSAPI")
    return secret


def openid_for(d: Deps, route: Route, code: str) -> str:
    """Exchanges the one-time `code` in `route`'s payer appid: ValidationFailed for a malformed
    code, ChannelError for a refused one (the payer starts again), ChannelUnavailable when
    WeChat cannot be reached."""
    if not CODE.fullmatch(code):
        raise ValidationFailed("the WeChat authorization code is missing or malformed")
    query = urlencode(
        {
            "appid": route.payer_appid,
            "secret": _app_secret(d, route),
            "code": code,
            "grant_type": "authorization_code",
        }
    )
    url = f"{_bases(route.account)[1]}/sns/oauth2/access_token?{query}"
    try:
        response = d.http.request("GET", url, headers={"Accept": "application/json"})
        answer = json.loads(response.body)
    except PaymuxError:
        raise
    except (ValueError, OSError) as exc:
        raise ChannelUnavailable("WeChat's authorization could not be reached") from exc
    if response.status != 200 or not isinstance(answer, dict):
        raise ChannelUnavailable(f"WeChat's authorization answered HTTP {response.status}")
    if answer.get("errcode"):
        raise ChannelError(
            f"WeChat refused the authorization code ({answer.get('errcode')})",
            channel_code=str(answer["errcode"]),
        )
    openid = str(answer.get("openid", ""))
    if not OPENID.fullmatch(openid):  # never "undefined" or empty: a peer stored exactly that
        raise ChannelError("WeChat's authorization answer has no openid")
    return openid
