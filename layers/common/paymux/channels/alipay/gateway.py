"""Alipay's gateway: signed OpenAPI requests and their verified answers. Mixed into
AlipayChannel, which holds the account, the keys and the HTTP client."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric import rsa

from paymux.channels.alipay import answers, signing, transform
from paymux.channels.alipay.answers import SUCCESS
from paymux.channels.base import ChannelAccount, SubMerchant
from paymux.channels.http import HttpClient
from paymux.clock import Clock
from paymux.errors import CallbackRejected, ChannelUnavailable, ConfigurationError


class AlipayGateway:
    _account: ChannelAccount
    _sub_merchant: SubMerchant | None
    _http: HttpClient
    _clock: Clock
    _private_key: rsa.RSAPrivateKey
    _alipay_key: rsa.RSAPublicKey
    _provider: bool

    # -- requests ----------------------------------------------------------------------------
    def _authorizing(self) -> dict[str, str]:
        """The public parameter that makes a call the authorizing merchant's (none in direct
        mode); a third-party application without a sub-merchant acts for nobody."""
        if not self._provider:
            return {}
        if self._sub_merchant is None:
            raise ConfigurationError(
                f"Alipay third-party account {self._account.account_id} needs a sub-merchant for this call"
            )
        return {"app_auth_token": self._sub_merchant.app_auth_token}

    def _signed(
        self,
        method: str,
        content: Mapping[str, Any],
        extra: Mapping[str, str] | None = None,
        *,
        for_merchant: bool = True,
    ) -> dict[str, str]:
        public = dict(extra or {}) | (self._authorizing() if for_merchant else {})
        params = {
            "app_id": self._account.appid,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": signing.SIGN_TYPE,
            "timestamp": transform.china_time(self._clock()),
            "version": "1.0",
            "biz_content": json.dumps(content, ensure_ascii=False, separators=(",", ":")),
            **public,
        }
        return signing.sign_request(self._private_key, params)

    def _call(
        self, method: str, content: Mapping[str, Any], *, for_merchant: bool = True, **extra: str
    ) -> dict[str, Any]:
        """A verified answer object (code 10000, or a business error raised as ChannelError)."""
        answer = self._answer(method, content, extra, for_merchant=for_merchant)
        if str(answer.get("code")) != SUCCESS:
            raise answers.error(answer)
        return answer

    def _answer(
        self,
        method: str,
        content: Mapping[str, Any],
        extra: Mapping[str, str],
        *,
        for_merchant: bool = True,
        unsigned_refusals: bool = True,
    ) -> dict[str, Any]:
        """The verified answer object, whatever its code. An unsigned refusal is raised as one
        only with `unsigned_refusals` (never for a request that may have charged the payer)."""
        body = urlencode(self._signed(method, content, extra, for_merchant=for_merchant)).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded;charset=utf-8",
            "Accept": "application/json",
            "User-Agent": "paymux/0.1",
        }
        response = self._http.request("POST", self._account.base_url, headers=headers, body=body)
        if response.status != 200:
            raise ChannelUnavailable(f"Alipay answered HTTP {response.status}")
        text = response.body.decode("utf-8", errors="replace")
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise ChannelUnavailable("Alipay answered something that is not JSON") from exc
        if not isinstance(document, dict):
            raise ChannelUnavailable("Alipay answered something that is not a JSON object")
        if "sign" not in document:
            # Gateway-level refusals (bad signature, unknown app) may come unsigned. An unsigned
            # answer is only ever believed as a refusal, never as a success.
            answer = document.get(answers.response_key(method)) or document.get("error_response") or {}
            if unsigned_refusals and isinstance(answer, dict) and answer.get("code") not in (None, SUCCESS):
                raise answers.error(answer)
            raise ChannelUnavailable(f"Alipay answer to {method} is not signed")
        try:
            return signing.verify_response(self._alipay_key, text, method)
        except CallbackRejected as exc:
            raise ChannelUnavailable(f"unverifiable Alipay answer: {exc.message}") from exc
