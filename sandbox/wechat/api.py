"""The ``/v3/`` endpoints, after the request has been authenticated.

Each handler takes an ``ApiRequest`` whose ``mchid`` is the authenticated merchant and
returns an ``ApiResponse`` or raises ``ApiError`` with WeChat's own code and message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.message import Message
from typing import Any, Protocol
from urllib.parse import unquote

from sandbox.wechat import resources
from sandbox.wechat.crypto import random_alnum, random_digits, random_hex
from sandbox.wechat.errors import ApiError, param_error
from sandbox.wechat.merchant import MerchantRegistry, SandboxMerchant
from sandbox.wechat.store import Order, Refund, SandboxStore, cst, new_refund_id
from sandbox.wechat.validation import (
    ORDER_RULES,
    PRODUCT_RULES,
    REFUND_RULES,
    Rule,
    check_currency,
    check_mchid_matches,
    check_notify_url,
    check_time_expire,
    require_query,
    validate,
)

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
H5_SCENE_TYPES = frozenset({"iOS", "Android", "Wap"})
REFUND_FUNDS_ACCOUNTS = frozenset({"AVAILABLE", "UNSETTLED"})
CLOSE_RULES = (Rule("mchid", "直连商户号", str, required=True, minimum=1, maximum=32),)


@dataclass
class ApiRequest:
    method: str
    target: str  # the request target exactly as sent: the canonical URL that was signed
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes
    mchid: str = ""


@dataclass
class ApiResponse:
    status: int
    body: bytes = b""
    content_type: str | None = JSON_CONTENT_TYPE
    signed: bool = True  # file downloads carry no Wechatpay-Signature
    headers: dict[str, str] = field(default_factory=dict)


def json_response(payload: dict[str, Any], status: int = 200) -> ApiResponse:
    return ApiResponse(status, resources.dumps(payload))


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise param_error("请求体不是合法的JSON", location="body") from exc
    if not isinstance(payload, dict):
        raise param_error("请求体不是合法的JSON对象", location="body")
    return payload


def fingerprint(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class SandboxHooks(Protocol):
    """What the endpoints need from the sandbox around them."""

    def refund_accepted(self, refund: Refund) -> None: ...
    def refund_fault(self) -> ApiError | None: ...

    def reported_transaction(self, order: Order) -> dict[str, Any]: ...

    def openid_app(self, openid: str) -> str | None: ...


Handler = Callable[[ApiRequest, str], ApiResponse]


class PaymentApi:
    """Ordering, query, close and refund endpoints."""

    def __init__(
        self,
        store: SandboxStore,
        merchants: MerchantRegistry,
        clock: Callable[[], float],
        hooks: SandboxHooks,
        *,
        require_https_notify: bool,
    ) -> None:
        self._store = store
        self._merchants = merchants
        self._clock = clock
        self._hooks = hooks
        self._require_https = require_https_notify
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("POST", re.compile(r"/v3/pay/transactions/(native|jsapi|app|h5)"), self.create_order),
            ("GET", re.compile(r"/v3/pay/transactions/out-trade-no/([^/]+)"), self.query_order),
            ("GET", re.compile(r"/v3/pay/transactions/id/([^/]+)"), self.query_transaction),
            ("POST", re.compile(r"/v3/pay/transactions/out-trade-no/([^/]+)/close"), self.close),
            ("POST", re.compile(r"/v3/refund/domestic/(refunds)"), self.create_refund),
            ("GET", re.compile(r"/v3/refund/domestic/refunds/([^/]+)"), self.query_refund),
        ]

    def _merchant(self, mchid: str) -> SandboxMerchant:
        merchant = self._merchants.get(mchid)
        if merchant is None:  # authentication already found it; a race with nothing
            raise ApiError(400, "MCH_NOT_EXISTS", "商户号不存在")
        return merchant

    def create_order(self, request: ApiRequest, product: str) -> ApiResponse:
        trade_type = {"native": "NATIVE", "jsapi": "JSAPI", "app": "APP", "h5": "MWEB"}[product]
        body = parse_json_object(request.body)
        validate(body, ORDER_RULES + PRODUCT_RULES[trade_type])
        check_mchid_matches(request.mchid, body["mchid"])
        if body["appid"] not in self._merchant(request.mchid).appids:
            raise ApiError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        openid = (body.get("payer") or {}).get("openid")
        self.check_openid(body["appid"], openid)
        order = new_order(request, body, trade_type, self._clock(), require_https=self._require_https)
        order = replace(order, appid=body["appid"], payer_openid=openid)
        return json_response(self._store.create_order(order).prepay)

    def check_openid(self, appid: str, openid: str | None) -> None:
        """An openid the sandbox's web authorization gave in another appid is refused, as WeChat
        Pay refuses an openid that is not of the order's appid (openids it did not give are
        taken as they are: tests name made-up payers)."""
        owner = self._hooks.openid_app(openid) if openid else None
        if owner is not None and owner != appid:
            raise param_error("appid和openid不匹配", location="body")

    @staticmethod
    def prepay(trade_type: str, now: float) -> tuple[dict[str, str], str]:
        """The create answer and the token the sandbox pay page knows the order by."""
        if trade_type == "NATIVE":
            pr = random_alnum(9)
            return {"code_url": f"weixin://wxpay/bizpayurl?pr={pr}"}, pr
        prepay_id = f"wx{cst(now):%Y%m%d%H%M%S}{random_hex(20, upper=False)}"
        if trade_type == "MWEB":
            url = (
                "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb"
                f"?prepay_id={prepay_id}&package={random_digits(10)}"
            )
            return {"h5_url": url}, prepay_id
        return {"prepay_id": prepay_id}, prepay_id

    def reported(self, order: Order) -> dict[str, Any]:
        """The Transaction the sandbox signs for ``order`` (a misreport, if one is set)."""
        return self._hooks.reported_transaction(order)

    def _queried_mchid(self, request: ApiRequest) -> str:
        mchid = require_query(request.query, "mchid", "直连商户号")
        check_mchid_matches(request.mchid, mchid)
        return mchid

    def query_order(self, request: ApiRequest, out_trade_no: str) -> ApiResponse:
        order = self._store.order(self._queried_mchid(request), unquote(out_trade_no))
        if order is None:
            raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
        return json_response(self._hooks.reported_transaction(order))

    def query_transaction(self, request: ApiRequest, transaction_id: str) -> ApiResponse:
        mchid = self._queried_mchid(request)
        order = self._store.order_by_transaction(mchid, unquote(transaction_id))
        if order is None:
            raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
        return json_response(self._hooks.reported_transaction(order))

    def close(self, request: ApiRequest, out_trade_no: str) -> ApiResponse:
        body = parse_json_object(request.body)
        validate(body, CLOSE_RULES)
        check_mchid_matches(request.mchid, body["mchid"])
        self._store.close(request.mchid, unquote(out_trade_no))
        return ApiResponse(204, content_type=None)

    def create_refund(
        self, request: ApiRequest, _: str, partner: Callable[[dict[str, Any]], str] | None = None
    ) -> ApiResponse:
        """``partner`` (a service provider's refund) checks the body's sub_mchid and returns
        it: only that sub-merchant's orders can be refunded."""
        fault = self._hooks.refund_fault()  # a test's injected refusal, before anything is done
        if fault is not None:
            raise fault
        body = parse_json_object(request.body)
        sub_mchid = partner(body) if partner is not None else ""
        validate(body, REFUND_RULES)
        transaction_id, out_trade_no = body.get("transaction_id"), body.get("out_trade_no")
        if not transaction_id and not out_trade_no:
            raise param_error("transaction_id和out_trade_no必须二选一进行传参", location="body")
        check_currency(body["amount"]["currency"], "amount.currency")
        if body.get("notify_url"):
            check_notify_url(body["notify_url"], "notify_url", require_https=self._require_https)
        funds_account = body.get("funds_account", "AVAILABLE")
        if funds_account not in REFUND_FUNDS_ACCOUNTS:
            raise param_error("funds_account取值不合法", location="body", value=funds_account)
        order = self._refunded_order(request.mchid, transaction_id, out_trade_no, sub_mchid)
        now = self._clock()
        refund = Refund(
            mchid=request.mchid,
            out_refund_no=body["out_refund_no"],
            refund_id=new_refund_id(now),
            out_trade_no=order.out_trade_no,
            transaction_id=order.transaction_id or "",
            refund=body["amount"]["refund"],
            total=body["amount"]["total"],
            currency=body["amount"]["currency"],
            reason=body.get("reason"),
            notify_url=body.get("notify_url"),
            funds_account=funds_account,
            created_at=now,
            fingerprint=fingerprint(body),
            sub_mchid=sub_mchid,
        )
        stored, created = self._store.create_refund(refund, (request.mchid, order.out_trade_no))
        response = json_response(resources.refund(stored))
        if created:
            self._hooks.refund_accepted(stored)
        return response

    def _refunded_order(
        self, mchid: str, transaction_id: str | None, out_trade_no: str | None, sub_mchid: str
    ) -> Order:
        """The order a refund names, of this merchant (and, for a provider, of this sub-merchant)."""
        if transaction_id:
            order = self._store.order_by_transaction(mchid, transaction_id)
        else:
            order = self._store.order(mchid, str(out_trade_no))
        if order is None or order.sub_mchid != sub_mchid:
            raise ApiError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        return order

    def query_refund(self, request: ApiRequest, out_refund_no: str, sub_mchid: str = "") -> ApiResponse:
        """``sub_mchid``: a service provider's query, which finds only that sub-merchant's refunds."""
        refund = self._store.refund(request.mchid, unquote(out_refund_no))
        if refund is None or refund.sub_mchid != sub_mchid:
            raise ApiError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        return json_response(resources.refund(refund))


def new_order(
    request: ApiRequest, body: dict[str, Any], trade_type: str, now: float, *, require_https: bool
) -> Order:
    """The order an ordering request asks for, after the checks a direct and a partner order
    share (currency, notify URL, H5 scene); the caller fills in its app and payer."""
    currency = body["amount"].get("currency", "CNY")
    check_currency(currency, "amount.currency")
    check_notify_url(body["notify_url"], "notify_url", require_https=require_https)
    if trade_type == "MWEB" and body["scene_info"]["h5_info"]["type"] not in H5_SCENE_TYPES:
        raise param_error("scene_info.h5_info.type取值不合法", location="body")
    expires = body.get("time_expire")
    prepay, token = PaymentApi.prepay(trade_type, now)
    return Order(
        mchid=request.mchid,
        appid="",
        out_trade_no=body["out_trade_no"],
        trade_type=trade_type,
        description=body["description"],
        notify_url=body["notify_url"],
        total=body["amount"]["total"],
        currency=currency,
        attach=body.get("attach"),
        device_id=(body.get("scene_info") or {}).get("device_id", ""),
        created_at=now,
        expires_at=check_time_expire(expires).timestamp() if expires else None,
        fingerprint=fingerprint(body),
        prepay=prepay,
        pay_token=token,
        payer_openid=None,
    )
