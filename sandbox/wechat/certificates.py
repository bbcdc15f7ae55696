"""``GET /v3/certificates``: the platform certificates, each AES-GCM-encrypted with the
merchant's APIv3 key (associated data ``certificate``). A merchant on the WeChat Pay public
key alone gets WeChat's "no platform certificate" answer."""

from __future__ import annotations

import re
from collections.abc import Callable

from sandbox.wechat.api import ApiRequest, ApiResponse, Handler, json_response
from sandbox.wechat.crypto import SigningKey, aes_gcm_encrypt, random_alnum
from sandbox.wechat.errors import ApiError
from sandbox.wechat.merchant import MerchantRegistry
from sandbox.wechat.store import rfc3339

NO_PLATFORM_CERTIFICATE = (
    "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥。"
    "可查看指引 https://pay.weixin.qq.com/doc/v3/merchant/4012153196"
)


class CertificateApi:
    def __init__(self, merchants: MerchantRegistry, platform_keys: Callable[[], list[SigningKey]]) -> None:
        self._merchants = merchants
        self._platform_keys = platform_keys
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/v3/(certificates)"), self.certificates),
        ]

    def certificates(self, request: ApiRequest, _: str) -> ApiResponse:
        merchant = self._merchants.get(request.mchid)
        keys = self._platform_keys()
        if merchant is None or not keys:
            raise ApiError(404, "RESOURCE_NOT_EXISTS", NO_PLATFORM_CERTIFICATE)
        data = []
        for key in keys:
            if key.certificate_pem is None or key.not_before is None or key.not_after is None:
                continue
            nonce = random_alnum(12)
            ciphertext = aes_gcm_encrypt(merchant.apiv3_key, nonce, "certificate", key.certificate_pem)
            data.append(
                {
                    "serial_no": key.serial,
                    "effective_time": rfc3339(key.not_before.timestamp()),
                    "expire_time": rfc3339(key.not_after.timestamp()),
                    "encrypt_certificate": {
                        "algorithm": "AEAD_AES_256_GCM",
                        "nonce": nonce,
                        "associated_data": "certificate",
                        "ciphertext": ciphertext,
                    },
                }
            )
        return json_response({"data": data})
