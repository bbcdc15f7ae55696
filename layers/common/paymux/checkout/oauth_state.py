"""The `state` of a wallet's user authorization (WeChat's OAuth, Alipay's 网页授权) started from
the checkout: the app the authorization is asked in and an expiry, bound by an HMAC under the
merchant app's secret to the session, the wallet and a random nonce that only the payer's
browser holds (an HttpOnly cookie set when the authorization starts, paymux.checkout.flows).

So on the way back nobody can swap the app (whose route would receive an id that is not of
it), reuse the state for another session, or replay it later; and a link made by someone who
saw the session's URL (their own code with a state of their own) fails in the payer's browser,
whose cookie holds another nonce, instead of creating the payment for the wrong openid.

Both wallets take a-zA-Z0-9 in state (WeChat at most 128 bytes, Alipay 100 characters): the app
id, the expiry (10 decimal digits of Unix seconds), then a 32-hex tag."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets as random

from paymux.errors import ValidationFailed

STATE = re.compile(r"([0-9A-Za-z]{1,64})([0-9]{10})([0-9a-f]{32})")
NONCE = re.compile(r"[0-9a-f]{32}")
NONCE_COOKIE = "paymux_oauth"
STATE_SECONDS = 600  # the payer confirms in the wallet in seconds; a later state is refused


def new_nonce() -> str:
    return random.token_hex(16)


def nonce_cookie(nonce: str) -> str:
    """The Set-Cookie of the browser's nonce: sent back on the wallet's top-level GET return
    (SameSite=Lax), never readable by script, only to the checkout's paths."""
    return f"{NONCE_COOKIE}={nonce}; Max-Age={STATE_SECONDS}; Path=/checkout; Secure; HttpOnly; SameSite=Lax"


def _tag(secret: str, wallet: str, session_id: str, appid: str, expires: str, nonce: str) -> str:
    message = f"paymux-checkout-oauth\n{wallet}\n{session_id}\n{appid}\n{expires}\n{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def oauth_state(secret: str, wallet: str, session_id: str, appid: str, nonce: str, now: float) -> str:
    expires = f"{int(now) + STATE_SECONDS:010d}"
    return appid + expires + _tag(secret, wallet, session_id, appid, expires, nonce)


def state_appid(secrets: list[str], wallet: str, session_id: str, state: str, nonce: str, now: float) -> str:
    """The app `state` carries when it was made for this session, wallet and browser (`nonce`,
    from its cookie) under one of the app's secrets and has not expired; ValidationFailed
    otherwise (swapped, of another session or browser, expired, or malformed)."""
    found = STATE.fullmatch(state)
    if found is None:
        raise ValidationFailed("the authorization state is malformed")
    if not NONCE.fullmatch(nonce):
        raise ValidationFailed("the browser holds no authorization nonce")
    appid, expires, tag = found.groups()
    if not any(hmac.compare_digest(_tag(s, wallet, session_id, appid, expires, nonce), tag) for s in secrets):
        raise ValidationFailed("the authorization state is not this session's or this browser's")
    if int(expires) < now:
        raise ValidationFailed("the authorization state has expired")
    return appid
