"""WeChat Pay API v3 requests: signed with the merchant's key, their answers verified with
WeChat Pay's keys, an error answer read into a ChannelError. Mixed into WeChatPayChannel,
which holds the account, the keys and the HTTP client."""

from __future__ import annotations

import json
import secrets
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from paymux.channels.base import ChannelAccount
from paymux.channels.http import HttpClient, HttpResponse
from paymux.channels.wechat import signing
from paymux.clock import Clock
from paymux.errors import CallbackRejected, ChannelError, ChannelUnavailable

# Errors after which another account may safely be tried: WeChat created no order.
_SAFE_TO_RETRY_ELSEWHERE = frozenset(
    {
        "SIGN_ERROR",
        "MCH_NOT_EXISTS",
        "APPID_MCHID_NOT_MATCH",
        "NO_AUTH",
        "RULE_LIMIT",
        "FREQUENCY_LIMITED",
    }
)


class WeChatPayGateway:
    _account: ChannelAccount
    _http: HttpClient
    _clock: Clock
    _private_key: rsa.RSAPrivateKey
    _serial_no: str
    _keys: dict[str, rsa.RSAPublicKey]
    _preferred_serial: str

    # -- requests ----------------------------------------------------------------------------
    def _headers(self, method: str, canonical_url: str, payload: str) -> dict[str, str]:
        timestamp = str(int(self._clock()))
        nonce = secrets.token_hex(16).upper()
        headers = {
            "Authorization": signing.authorization(
                private_key=self._private_key,
                mchid=self._account.mchid,
                serial_no=self._serial_no,
                method=method,
                canonical_url=canonical_url,
                body=payload,
                timestamp=timestamp,
                nonce=nonce,
            ),
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "paymux/0.1",
        }
        if self._preferred_serial:
            headers["Wechatpay-Serial"] = self._preferred_serial
        return headers

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, serial: str = ""
    ) -> HttpResponse:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")) if body is not None else ""
        headers = self._headers(method, path, payload)
        if serial:  # the key the body's encrypted fields are for
            headers["Wechatpay-Serial"] = serial
        url = self._account.base_url.rstrip("/") + path
        response = self._http.request(method, url, headers=headers, body=payload.encode())
        if 200 <= response.status < 300:
            try:
                signing.verify(response.headers, response.body, self._keys, self._clock())
            except CallbackRejected as exc:
                raise ChannelUnavailable(f"unverifiable WeChat Pay response: {exc.message}") from exc
        elif response.status >= 500:
            code = _answer(response)[0] or f"HTTP_{response.status}"
            raise ChannelUnavailable(f"WeChat Pay answered HTTP {response.status}", channel_code=code)
        return response

    @staticmethod
    def _error(response: HttpResponse) -> ChannelError:
        code, message = _answer(response)
        if code in {"SYSTEM_ERROR", "SYSTEMERROR"}:
            return ChannelUnavailable(f"WeChat Pay {code}: {message}", channel_code=code)
        return ChannelError(
            f"WeChat Pay {code or response.status}: {message}",
            channel_code=code or f"HTTP_{response.status}",
            retryable_elsewhere=code in _SAFE_TO_RETRY_ELSEWHERE,
        )


def _answer(response: HttpResponse) -> tuple[str, str]:
    """An error answer's code and message (WeChat's JSON, or the start of whatever came)."""
    try:
        doc = json.loads(response.body)
        return str(doc.get("code", "")), str(doc.get("message", ""))
    except (ValueError, AttributeError):
        return "", response.body[:200].decode(errors="replace")
