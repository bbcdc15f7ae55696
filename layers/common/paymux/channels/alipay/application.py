"""The calls paymux's third-party application (第三方应用) makes for itself, not for a merchant:
exchanging a merchant's app_auth_code, refreshing its tokens, querying a token, and reading
Alipay's authorization-change notices. Mixed into AlipayChannel, whose signed-call and
freshness machinery they use; the protocol rules are in `authorization` (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from paymux.channels.alipay import authorization, signing
from paymux.channels.alipay.answers import notify_form
from paymux.channels.alipay.authorization import AppAuthGrant, AppAuthStatus, AuthNotice
from paymux.channels.base import ChannelAccount
from paymux.clock import Clock
from paymux.errors import CallbackRejected, ConfigurationError


class ThirdPartyApplication:
    _account: ChannelAccount
    _alipay_key: rsa.RSAPublicKey
    _clock: Clock
    _provider: bool

    def _call(
        self, method: str, content: Mapping[str, Any], *, for_merchant: bool = True, **extra: str
    ) -> dict[str, Any]:
        raise NotImplementedError  # AlipayChannel's

    def _authorizing(self) -> dict[str, str]:
        raise NotImplementedError  # AlipayChannel's

    def _check_age(self, sent: float) -> None:
        raise NotImplementedError  # AlipayChannel's

    def _own_application(self) -> None:
        if not self._provider:
            account = self._account.account_id
            raise ConfigurationError(f"Alipay account {account} is not a third-party application")

    def exchange_app_auth_code(self, code: str) -> AppAuthGrant:
        """The app_auth_code of a merchant's authorization (single use, 24 h) → its tokens."""
        self._own_application()
        content = authorization.exchange_content(code)
        answer = self._call(authorization.EXCHANGE_METHOD, content, for_merchant=False)
        return authorization.grant_from_answer(answer, self._clock())

    def refresh_app_auth(self, app_refresh_token: str) -> AppAuthGrant:
        """A new token pair before the old one expires (the old token lapses shortly after)."""
        self._own_application()
        content = authorization.refresh_content(app_refresh_token)
        answer = self._call(authorization.EXCHANGE_METHOD, content, for_merchant=False)
        return authorization.grant_from_answer(answer, self._clock())

    def query_app_auth(self) -> AppAuthStatus:
        """What Alipay holds about the sub-merchant's token (alipay.open.auth.token.app.query)."""
        self._own_application()
        content = {"app_auth_token": self._authorizing()["app_auth_token"]}
        answer = self._call(authorization.GRANT_QUERY_METHOD, content, for_merchant=False)
        return authorization.status_from_answer(answer, self._clock())

    def parse_auth_notice(self, headers: Mapping[str, str], body: bytes) -> AuthNotice:
        """An authorization-change notice to this application, verified like any notify."""
        self._own_application()
        form = notify_form(body)
        signing.verify_notify(self._alipay_key, form)
        if form.get("app_id") != self._account.appid:
            raise CallbackRejected("Alipay authorization notice for another application")
        notice, sent = authorization.notice_from_form(form)
        self._check_age(sent)
        return notice
