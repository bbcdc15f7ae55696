"""The `state` of a wallet's user authorization (WeChat's OAuth, Alipay's 网页授权) started from
the checkout: the app the authorization is asked in, bound to the session and the wallet by an
HMAC under the merchant app's secret, so that on the way back nobody can swap it for another app
(whose route would receive an id that is not of it) or reuse it for another session.

Both wallets take a-zA-Z0-9 in state (WeChat at most 128 bytes, Alipay 100 characters): the app
id, then a 32-hex tag."""

from __future__ import annotations

import hashlib
import hmac
import re

from paymux.errors import ValidationFailed

STATE = re.compile(r"([0-9A-Za-z]{1,64})([0-9a-f]{32})")


def _tag(secret: str, wallet: str, session_id: str, appid: str) -> str:
    message = f"paymux-checkout-oauth\n{wallet}\n{session_id}\n{appid}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def oauth_state(secret: str, wallet: str, session_id: str, appid: str) -> str:
    return appid + _tag(secret, wallet, session_id, appid)


def state_appid(secrets: list[str], wallet: str, session_id: str, state: str) -> str:
    """The app `state` carries when it was made for this session and wallet under one of the
    app's secrets; ValidationFailed otherwise (swapped, of another session, or malformed)."""
    found = STATE.fullmatch(state)
    if found is None:
        raise ValidationFailed("the authorization state is malformed")
    appid, tag = found.groups()
    if not any(hmac.compare_digest(_tag(s, wallet, session_id, appid), tag) for s in secrets):
        raise ValidationFailed("the authorization state is not this session's")
    return appid
