"""Both directions of WeChat Pay v3 signing.

Merchant → WeChat: ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
signature="…",timestamp="…",serial_no="…"`` over ``METHOD\\nURL\\nTS\\nNONCE\\nBODY\\n``.
WeChat → merchant (responses and callbacks): ``Wechatpay-*`` headers over ``TS\\nNONCE\\nBODY\\n``.
The error messages are the ones WeChat returns (all 401 ``SIGN_ERROR``).
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.wechat.crypto import SigningKey, random_digits, random_hex, rsa_sign, rsa_verify
from sandbox.wechat.errors import sign_error
from sandbox.wechat.merchant import MerchantRegistry

AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
MAX_SKEW_SECONDS = 300
SIGN_TEST_PREFIX = "WECHATPAY/SIGNTEST/"

MSG_BAD_FORMAT = "Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》"
MSG_BAD_SCHEME = "HTTP头Authorization认证类型不正确"
MSG_STALE = "Http头Authorization中的timestamp与发起请求的时间不得超过5分钟"
MSG_BAD_SERIAL = "商户证书序列号有误。请使用签名私钥匹配的证书序列号"
MSG_BAD_SIGNATURE = "签名错误"

_PAIR = re.compile(r'([a-z_]+)="([^"]*)"')
_FIELDS = frozenset({"mchid", "nonce_str", "signature", "timestamp", "serial_no"})


@dataclass(frozen=True)
class MerchantAuthorization:
    mchid: str
    nonce_str: str
    signature: str
    timestamp: str
    serial_no: str


def parse_authorization(header: str | None) -> MerchantAuthorization:
    """Parse the header strictly: one space after the scheme, ``key="value"`` pairs joined by
    bare commas, in any order, each of the five exactly once."""
    if not header:
        raise sign_error(MSG_BAD_FORMAT)
    scheme, _, params = header.partition(" ")
    if scheme != AUTH_SCHEME:
        raise sign_error(MSG_BAD_SCHEME)
    pairs: dict[str, str] = {}
    for item in params.split(","):
        match = _PAIR.fullmatch(item)
        if match is None or match.group(1) in pairs:
            raise sign_error(MSG_BAD_FORMAT)
        pairs[match.group(1)] = match.group(2)
    if set(pairs) != _FIELDS or not all(pairs.values()):
        raise sign_error(MSG_BAD_FORMAT)
    return MerchantAuthorization(**pairs)


def request_message(method: str, canonical_url: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    head = f"{method}\n{canonical_url}\n{timestamp}\n{nonce}\n".encode()
    return head + body + b"\n"


def verify_request(
    header: str | None,
    *,
    method: str,
    canonical_url: str,
    body: bytes,
    merchants: MerchantRegistry,
    now: float,
) -> str:
    """Check a merchant request as WeChat does and return the authenticated mchid.

    The timestamp is checked before the signature (WeChat answers a stale request with the
    staleness message even when its signature is forged).
    """
    auth = parse_authorization(header)
    if not auth.timestamp.isdigit():
        raise sign_error(MSG_BAD_FORMAT)
    if abs(now - int(auth.timestamp)) > MAX_SKEW_SECONDS:
        raise sign_error(MSG_STALE)
    if merchants.get(auth.mchid) is None:
        raise sign_error(MSG_BAD_SIGNATURE)
    key = merchants.public_key(auth.mchid, auth.serial_no)
    if key is None:
        raise sign_error(MSG_BAD_SERIAL)
    message = request_message(method, canonical_url, auth.timestamp, auth.nonce_str, body)
    if not rsa_verify(key, message, auth.signature):
        raise sign_error(MSG_BAD_SIGNATURE)
    return auth.mchid


def new_request_id() -> str:
    """Shaped like WeChat's, e.g. ``08CFCBF1930610C20518C6B5C05520DC9A012898E905-269546525``."""
    return f"08{random_hex(42)}-{random_digits(9)}"


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


class ResponseSigner:
    """Signs responses and callbacks with one of WeChat's keys, using the injected clock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock

    def headers(self, body: bytes, key: SigningKey) -> dict[str, str]:
        timestamp = str(int(self._clock()))
        nonce = random_hex(32)
        signature = rsa_sign(key.private_key, response_message(timestamp, nonce, body))
        return self._headers(timestamp, nonce, signature, key.serial)

    def probe_headers(self, key: SigningKey) -> dict[str, str]:
        """A ``WECHATPAY/SIGNTEST/`` probe: headers that look right but never verify."""
        timestamp = str(int(self._clock()))
        garbage = base64.b64encode(secrets.token_bytes(256)).decode("ascii")
        return self._headers(timestamp, random_hex(32), SIGN_TEST_PREFIX + garbage, key.serial)

    @staticmethod
    def _headers(timestamp: str, nonce: str, signature: str, serial: str) -> dict[str, str]:
        return {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": serial,
            "Wechatpay-Signature-Type": SIGNATURE_TYPE,
        }
