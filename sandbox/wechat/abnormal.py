"""``POST /v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund`` (发起异常退款): an
ABNORMAL refund is paid out again, to the merchant's bank account (``MERCHANT_BANK_CARD``) or to
another debit card of the payer (``USER_BANK_CARD``, with ``bank_type`` and the encrypted
``bank_account`` and ``real_name``). The refund becomes PROCESSING again; it then completes
like any refund (SUCCESS and its REFUND.SUCCESS callback).

Sensitive fields are RSA-OAEP (SHA-1) encrypted with the key the request names in
``Wechatpay-Serial`` (WeChat Pay's public key or a platform certificate); the sandbox decrypts
them with that key's private half, as WeChat does, and refuses what it cannot read."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from sandbox.wechat import resources
from sandbox.wechat.api import ApiRequest, ApiResponse, Handler, json_response, parse_json_object
from sandbox.wechat.crypto import SigningKey
from sandbox.wechat.errors import ApiError, invalid_request, param_error
from sandbox.wechat.merchant import MerchantRegistry
from sandbox.wechat.store import Refund, SandboxStore
from sandbox.wechat.validation import OUT_REFUND_NO, Rule, validate

TYPES = frozenset({"USER_BANK_CARD", "MERCHANT_BANK_CARD"})
BANK_TYPES = frozenset(
    {"CMB_DEBIT", "COMM_DEBIT", "ABC_DEBIT", "CCB_DEBIT", "ICBC_DEBIT", "BOC_DEBIT", "PAB_DEBIT"}
    | {"SPDB_DEBIT", "CITIC_DEBIT", "CEB_DEBIT", "CMBC_DEBIT", "CIB_DEBIT", "GDB_DEBIT", "PSBC_DEBIT"}
    | {"NBCB_DEBIT"}
)
_OAEP = padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA1()),  # noqa: S303 - WeChat Pay's encryption scheme
    algorithm=hashes.SHA1(),  # noqa: S303
    label=None,
)
RULES: tuple[Rule, ...] = (
    Rule("out_refund_no", "商户退款单号", str, True, 1, 64, OUT_REFUND_NO),
    Rule("type", "异常退款处理方式", str, True, 1, 32),
    Rule("bank_type", "开户银行", str, maximum=16),
    Rule("bank_account", "收款银行卡号", str, maximum=2048),
    Rule("real_name", "收款用户姓名", str, maximum=2048),
)


class AbnormalHooks(Protocol):
    def refund_accepted(self, refund: Refund) -> None: ...
    def sensitive_key(self, serial: str) -> SigningKey | None: ...


class AbnormalRefundApi:
    def __init__(
        self,
        store: SandboxStore,
        hooks: AbnormalHooks,
        clock: Callable[[], float],
        merchants: MerchantRegistry,
    ) -> None:
        self._store = store
        self._merchants = merchants
        self._hooks = hooks
        self._clock = clock
        pattern = re.compile(r"/v3/refund/domestic/refunds/([^/]+)/apply-abnormal-refund")
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = [("POST", pattern, self.apply)]

    def apply(self, request: ApiRequest, refund_id: str) -> ApiResponse:
        body = parse_json_object(request.body)
        sub_mchid = self._sub_mchid(request.mchid, body)
        validate(body, RULES)
        if body["type"] not in TYPES:
            raise param_error("type取值不合法", location="body", value=body["type"])
        refund = self._store.refund(request.mchid, body["out_refund_no"])
        if refund is None or refund.refund_id != refund_id or refund.sub_mchid != sub_mchid:
            raise ApiError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        if refund.status != "ABNORMAL":
            raise invalid_request("退款单状态不是退款异常，不能发起异常退款")
        if body["type"] == "USER_BANK_CARD":
            account = self._user_card(body, request.headers.get("Wechatpay-Serial") or "")
            channel = "OTHER_BANKCARD"
        else:
            account, channel = "商户基本账户", "OTHER_BALANCE"
        reissued = self._store.reissue_refund(request.mchid, body["out_refund_no"], channel, account)
        response = json_response(resources.refund(reissued))
        self._hooks.refund_accepted(reissued)
        return response

    def _sub_mchid(self, mchid: str, body: dict[str, str]) -> str:
        """A provider names the sub-merchant (sub_mchid, required and bound); a direct merchant
        must not send the partner field."""
        merchant = self._merchants.get(mchid)
        if merchant is None or not merchant.service_provider:
            if "sub_mchid" in body:
                raise param_error("直连商户不能传入sub_mchid", location="body", value=body["sub_mchid"])
            return ""
        validate(body, (Rule("sub_mchid", "子商户号", str, required=True, minimum=1, maximum=32),))
        self._merchants.bound_sub_merchant(mchid, body["sub_mchid"])
        return body["sub_mchid"]

    def _user_card(self, body: dict[str, str], serial: str) -> str:
        if body.get("bank_type") not in BANK_TYPES:
            raise param_error("bank_type取值不合法", location="body", value=body.get("bank_type"))
        key = self._hooks.sensitive_key(serial)
        if key is None:
            raise param_error("请求头Wechatpay-Serial缺失或不正确", location="header", value=serial)
        number = _decrypt(key, body.get("bank_account", ""), "bank_account")
        _decrypt(key, body.get("real_name", ""), "real_name")
        if not number.isdigit() or not 12 <= len(number) <= 19:
            raise param_error("收款银行卡号不正确", location="body")
        return f"{body['bank_type']} 尾号{number[-4:]}"


def _decrypt(key: SigningKey, value: str, field: str) -> str:
    try:
        plain = key.private_key.decrypt(base64.b64decode(value, validate=True), _OAEP)
        text = plain.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise param_error(f"{field}解密失败，请使用微信支付公钥或平台证书加密", location="body") from exc
    if not text:
        raise param_error(f"{field}不能为空", location="body")
    return text
