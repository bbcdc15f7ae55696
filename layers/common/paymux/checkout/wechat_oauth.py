"""WeChat's web authorization (snsapi_base) for JSAPI: the payer's openid in the official
account's appid. The browser goes to WeChat's authorize URL and comes back to
`/checkout/{id}/wechat?code=…&state=…`: the code is read from the query string on the server,
never from the URL fragment (WeChat puts `?code=` before the `#`; a peer's hash-routed cashier
lost every payment to this), exchanged once for the openid, and never stored.

The hosts: open.weixin.qq.com and api.weixin.qq.com for an account at WeChat Pay's own API;
otherwise (the sandbox) the account's base URL. The AppSecret is the channel account's
credential `oauth_app_secret`."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

from paymux.channels.base import ChannelAccount
from paymux.deps import Deps
from paymux.errors import ChannelError, ChannelUnavailable, ConfigurationError, PaymuxError, ValidationFailed

WECHAT_PAY_API = "https://api.mch.weixin.qq.com"
OPEN_BASE = "https://open.weixin.qq.com"
API_BASE = "https://api.weixin.qq.com"
CODE = re.compile(r"[0-9A-Za-z_\-]{1,128}")
OPENID = re.compile(r"[0-9A-Za-z_\-]{1,128}")


def _bases(account: ChannelAccount) -> tuple[str, str]:
    if account.base_url.rstrip("/") == WECHAT_PAY_API:
        return OPEN_BASE, API_BASE
    return account.base_url.rstrip("/"), account.base_url.rstrip("/")


def authorize_url(account: ChannelAccount, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {
            "appid": account.appid,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
        },
        quote_via=quote,
    )
    return f"{_bases(account)[0]}/connect/oauth2/authorize?{query}#wechat_redirect"


def openid_for(d: Deps, account: ChannelAccount, code: str) -> str:
    """Exchanges the one-time `code`: ValidationFailed for a malformed or refused code (the
    payer starts again), ChannelUnavailable when WeChat cannot be reached."""
    if not CODE.fullmatch(code):
        raise ValidationFailed("the WeChat authorization code is missing or malformed")
    secret = str(d.channel_config.credentials(account.account_id).get("oauth_app_secret", ""))
    if not secret:
        raise ConfigurationError(f"channel account {account.account_id} has no oauth_app_secret for JSAPI")
    query = urlencode(
        {"appid": account.appid, "secret": secret, "code": code, "grant_type": "authorization_code"}
    )
    url = f"{_bases(account)[1]}/sns/oauth2/access_token?{query}"
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
