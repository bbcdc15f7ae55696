"""The service-provider (服务商) endpoints: a provider (sp_mchid, authenticated by its own API
certificate) places, queries, closes and refunds orders for a sub-merchant bound to it.

``POST /v3/pay/partner/transactions/{native,jsapi,app,h5}`` takes sp_appid, sp_mchid, sub_mchid,
optional sub_appid; the JSAPI payer is ``sp_openid`` or ``sub_openid`` (one of them; sub_openid
needs sub_appid). Query ``…/out-trade-no/{no}?sp_mchid=&sub_mchid=`` (and ``…/id/{id}``), close
``…/out-trade-no/{no}/close`` with ``{sp_mchid, sub_mchid}``. Refunds are the direct paths with
``sub_mchid`` in the body (create) or the query (``GET …/refunds/{no}?sub_mchid=``). A sub_mchid
not bound to the provider → 403 ``NO_AUTH 受理关系不存在``; a merchant that is not a provider →
403 ``NO_AUTH``; an order of another sub-merchant is not found."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

from sandbox.wechat.api import (
    ApiRequest,
    ApiResponse,
    Handler,
    PaymentApi,
    json_response,
    new_order,
    parse_json_object,
)
from sandbox.wechat.errors import ApiError, param_error
from sandbox.wechat.merchant import MerchantRegistry, SandboxMerchant
from sandbox.wechat.store import Order, SandboxStore
from sandbox.wechat.validation import (
    ORDER_RULES,
    PRODUCT_RULES,
    Rule,
    require_query,
    validate,
)

_SUB_MCHID = Rule("sub_mchid", "子商户号", str, required=True, minimum=1, maximum=32)
PARTNER_ORDER_RULES: tuple[Rule, ...] = (
    Rule("sp_appid", "服务商应用ID", str, required=True, minimum=1, maximum=32),
    Rule("sp_mchid", "服务商户号", str, required=True, minimum=1, maximum=32),
    Rule("sub_appid", "子商户应用ID", str, minimum=1, maximum=32),
    _SUB_MCHID,
    *(rule for rule in ORDER_RULES if rule.path not in ("appid", "mchid", "payer")),
)
_PARTNER_PAYER = (
    Rule("payer", "支付者", dict, required=True),
    Rule("payer/sp_openid", "用户服务标识", str, minimum=1, maximum=128),
    Rule("payer/sub_openid", "用户子标识", str, minimum=1, maximum=128),
)
PARTNER_PRODUCT_RULES: dict[str, tuple[Rule, ...]] = {
    "NATIVE": (),
    "APP": (),
    "JSAPI": _PARTNER_PAYER,
    "MWEB": PRODUCT_RULES["MWEB"],
}
CLOSE_RULES = (Rule("sp_mchid", "服务商户号", str, required=True, minimum=1, maximum=32), _SUB_MCHID)
NOT_A_PROVIDER = "商户号该产品权限未开通，请前往商户平台>产品中心检查后重试"
_TRADE_TYPES = {"native": "NATIVE", "jsapi": "JSAPI", "app": "APP", "h5": "MWEB"}


def _check_sp_mchid(authenticated: str, given: str) -> None:
    if given != authenticated:
        raise ApiError(400, "PARAM_ERROR", "http header中的mchid与请求中的sp_mchid不匹配")


def _check_payer(body: dict[str, Any]) -> tuple[str, str]:
    """(the payer's openid, which field named it): sp_openid or sub_openid, exactly as WeChat
    asks (one of them; sub_openid only with sub_appid, which it belongs to)."""
    payer = body["payer"]
    if payer.get("sub_openid"):
        if not body.get("sub_appid"):
            message = "sub_appid与sub_openid必须同时传入，sub_openid为sub_appid下的用户标识"
            raise param_error(message, location="body")
        return str(payer["sub_openid"]), "sub_openid"
    if payer.get("sp_openid"):
        return str(payer["sp_openid"]), "sp_openid"
    raise param_error("payer.sp_openid与payer.sub_openid必须二选一进行传参", location="body")


class PartnerApi:
    def __init__(
        self,
        store: SandboxStore,
        merchants: MerchantRegistry,
        clock: Callable[[], float],
        payments: PaymentApi,
        *,
        require_https_notify: bool,
    ) -> None:
        self._store = store
        self._merchants = merchants
        self._clock = clock
        self._payments = payments
        self._require_https = require_https_notify
        prefix = "/v3/pay/partner/transactions"
        # the refund paths are the direct ones: a provider's request goes here, a direct
        # merchant's to PaymentApi (these routes are matched first)
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("POST", re.compile(rf"{prefix}/(native|jsapi|app|h5)"), self.create_order),
            ("GET", re.compile(rf"{prefix}/out-trade-no/([^/]+)"), self.query_order),
            ("GET", re.compile(rf"{prefix}/id/([^/]+)"), self.query_transaction),
            ("POST", re.compile(rf"{prefix}/out-trade-no/([^/]+)/close"), self.close),
            ("POST", re.compile(r"/v3/refund/domestic/(refunds)"), self.create_refund),
            ("GET", re.compile(r"/v3/refund/domestic/refunds/([^/]+)"), self.query_refund),
        ]

    def _provider(self, mchid: str) -> SandboxMerchant:
        merchant = self._merchants.get(mchid)
        if merchant is None or not merchant.service_provider:
            raise ApiError(403, "NO_AUTH", NOT_A_PROVIDER)
        return merchant

    def _is_provider(self, mchid: str) -> bool:
        merchant = self._merchants.get(mchid)
        return merchant is not None and merchant.service_provider

    def _check_apps(self, provider: SandboxMerchant, body: dict[str, Any]) -> None:
        if body["sp_appid"] not in provider.appids:
            raise ApiError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配，请检查后再试")
        sub = self._merchants.bound_sub_merchant(provider.mchid, body["sub_mchid"])
        if body.get("sub_appid") and body["sub_appid"] not in sub.appids:
            raise ApiError(400, "APPID_MCHID_NOT_MATCH", "sub_appid和sub_mchid不匹配，请检查后再试")

    def create_order(self, request: ApiRequest, product: str) -> ApiResponse:
        provider = self._provider(request.mchid)
        trade_type = _TRADE_TYPES[product]
        body = parse_json_object(request.body)
        validate(body, PARTNER_ORDER_RULES + PARTNER_PRODUCT_RULES[trade_type])
        _check_sp_mchid(request.mchid, body["sp_mchid"])
        self._check_apps(provider, body)
        openid, payer_kind = _check_payer(body) if trade_type == "JSAPI" else (None, "sp_openid")
        app = body.get("sub_appid", "") if payer_kind == "sub_openid" else body["sp_appid"]
        self._payments.check_openid(app, openid)
        order = new_order(request, body, trade_type, self._clock(), require_https=self._require_https)
        order = replace(
            order,
            appid=body["sp_appid"],
            payer_openid=openid,
            sub_mchid=body["sub_mchid"],
            sub_appid=body.get("sub_appid", ""),
            payer_kind=payer_kind,
        )
        return json_response(self._store.create_order(order).prepay)

    def _queried_sub_mchid(self, request: ApiRequest) -> str:
        self._provider(request.mchid)
        _check_sp_mchid(request.mchid, require_query(request.query, "sp_mchid", "服务商户号"))
        sub_mchid = require_query(request.query, "sub_mchid", "子商户号")
        self._merchants.bound_sub_merchant(request.mchid, sub_mchid)
        return sub_mchid

    def _reported(self, order: Order | None, sub_mchid: str) -> ApiResponse:
        if order is None or order.sub_mchid != sub_mchid:  # another sub-merchant's: not found
            raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
        return json_response(self._payments.reported(order))

    def query_order(self, request: ApiRequest, out_trade_no: str) -> ApiResponse:
        sub_mchid = self._queried_sub_mchid(request)
        return self._reported(self._store.order(request.mchid, unquote(out_trade_no)), sub_mchid)

    def query_transaction(self, request: ApiRequest, transaction_id: str) -> ApiResponse:
        sub_mchid = self._queried_sub_mchid(request)
        order = self._store.order_by_transaction(request.mchid, unquote(transaction_id))
        return self._reported(order, sub_mchid)

    def close(self, request: ApiRequest, out_trade_no: str) -> ApiResponse:
        self._provider(request.mchid)
        body = parse_json_object(request.body)
        validate(body, CLOSE_RULES)
        _check_sp_mchid(request.mchid, body["sp_mchid"])
        self._merchants.bound_sub_merchant(request.mchid, body["sub_mchid"])
        order = self._store.order(request.mchid, unquote(out_trade_no))
        if order is not None and order.sub_mchid == body["sub_mchid"]:  # else: nothing to close
            self._store.close(request.mchid, order.out_trade_no)
        return ApiResponse(204, content_type=None)

    def _refund_sub_mchid(self, mchid: str) -> Callable[[dict[str, Any]], str]:
        def check(body: dict[str, Any]) -> str:
            validate(body, (_SUB_MCHID,))
            self._merchants.bound_sub_merchant(mchid, body["sub_mchid"])
            return str(body["sub_mchid"])

        return check

    def create_refund(self, request: ApiRequest, name: str) -> ApiResponse:
        if not self._is_provider(request.mchid):
            return self._payments.create_refund(request, name)
        return self._payments.create_refund(request, name, partner=self._refund_sub_mchid(request.mchid))

    def query_refund(self, request: ApiRequest, out_refund_no: str) -> ApiResponse:
        if not self._is_provider(request.mchid):
            return self._payments.query_refund(request, out_refund_no)
        sub_mchid = require_query(request.query, "sub_mchid", "子商户号")
        self._merchants.bound_sub_merchant(request.mchid, sub_mchid)
        return self._payments.query_refund(request, out_refund_no, sub_mchid)
