"""The Huifu 斗拱 endpoints the sandbox serves, for e-CNY (D_NATIVE, D_MICROPAY).

Every request is `{"sys_id", "product_id", "data", "sign"}`: the sys_id must be registered,
the product_id its own, and `sign` must verify with the sys_id's public key over the sorted
compact JSON of `data`; `data.huifu_id` must be the sys_id itself or a merchant it onboarded.
Every answer is `{"data", "sign"}` signed with the sandbox's own key."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.huifu.keys import GeneratedSysId, sign_text, sorted_json, verifies
from sandbox.huifu.orders import OrderBook
from sandbox.huifu.payments import Payments, Refused

Reply = tuple[int, dict[str, str], bytes]
JSON = {"Content-Type": "application/json;charset=utf-8"}


@dataclass
class SysIds:
    """Registered sys_ids and the merchants (huifu_ids) each may act for."""

    ids: dict[str, GeneratedSysId] = field(default_factory=dict)
    merchants: dict[str, set[str]] = field(default_factory=dict)

    def register(self, identity: GeneratedSysId, sub_merchants: tuple[str, ...] = ()) -> None:
        self.ids[identity.sys_id] = identity
        self.merchants.setdefault(identity.sys_id, {identity.sys_id}).update(sub_merchants)


class TradeApi:
    def __init__(self, book: OrderBook, payments: Payments, sys_ids: SysIds, key: rsa.RSAPrivateKey,
                 clock: Callable[[], float]) -> None:  # fmt: skip
        self._book, self._payments, self._sys_ids = book, payments, sys_ids
        self._key, self._clock = key, clock
        self.routes: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "/v3/trade/payment/jspay": payments.jspay,
            "/v3/trade/payment/micropay": payments.micropay,
            "/v3/trade/payment/scanpay/query": payments.query,
            "/v3/trade/payment/scanpay/refund": payments.refund,
            "/v3/trade/payment/scanpay/refundquery": payments.refund_query,
        }

    def signed(self, data: Mapping[str, Any]) -> Reply:
        body = {"data": dict(data), "sign": sign_text(self._key, sorted_json(data, drop_empty=False))}
        return 200, JSON, json.dumps(body, ensure_ascii=False).encode("utf-8")

    def handle(
        self, path: str, body: bytes, extra: Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]]
    ) -> Reply:
        route = self.routes.get(path) or extra.get(path)
        if route is None:
            return 404, JSON, b'{"resp_code":"404","resp_desc":"no such API"}'
        try:
            data = self._checked(body)
            answer = route(data)
        except Refused as exc:
            answer = {"resp_code": exc.code, "resp_desc": exc.desc}
        return self.signed(answer)

    def _checked(self, body: bytes) -> dict[str, Any]:
        try:
            envelope = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise Refused("10000000", "请求内容体不能为空或格式不正确") from exc
        if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), dict):
            raise Refused("10000000", "data 必须是 JSON 对象")
        identity = self._sys_ids.ids.get(str(envelope.get("sys_id", "")))
        if identity is None or envelope.get("product_id") != identity.product_id:
            raise Refused("22000000", "产品号不存在")
        data: dict[str, Any] = envelope["data"]
        if not verifies(identity.public_key, sorted_json(data), str(envelope.get("sign", ""))):
            raise Refused("10000000", "验签失败")
        if str(data.get("huifu_id", "")) not in self._sys_ids.merchants.get(identity.sys_id, set()):
            raise Refused("22000002", "商户信息不存在")
        return data
