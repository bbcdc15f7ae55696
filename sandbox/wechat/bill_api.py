"""``GET /v3/bill/tradebill`` (apply for a bill) and ``GET /v3/billdownload/file`` (fetch it).

The apply answer gives ``hash_value`` = SHA1 of the uncompressed CSV and a one-time
``download_url`` valid for 5 minutes. The download is a signed request like any other, and its
answer carries no ``Wechatpay-Signature``. With ``tar_type=GZIP`` the file is gzipped; the
hash is still that of the uncompressed bill, as in WeChat's official download sample.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sandbox.wechat.api import ApiRequest, ApiResponse, Handler, json_response
from sandbox.wechat.bill import BILL_TYPES, render_trade_bill
from sandbox.wechat.errors import ApiError, invalid_request, param_error
from sandbox.wechat.merchant import MerchantRegistry
from sandbox.wechat.store import SandboxStore, cst
from sandbox.wechat.validation import BILL_DATE, require_query

DOWNLOAD_URL_LIFETIME_SECONDS = 300


@dataclass(frozen=True)
class _BillFile:
    mchid: str
    content: bytes  # as served: gzipped when tar_type=GZIP
    expires_at: float


class BillApi:
    def __init__(
        self,
        store: SandboxStore,
        merchants: MerchantRegistry,
        clock: Callable[[], float],
        base_url: Callable[[], str],
    ) -> None:
        self._store = store
        self._merchants = merchants
        self._clock = clock
        self._base_url = base_url
        self._lock = threading.Lock()
        self._files: dict[str, _BillFile] = {}
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/v3/bill/(tradebill)"), self.apply),
            ("GET", re.compile(r"/v3/billdownload/(file)"), self.download),
        ]

    def _bill_date(self, request: ApiRequest) -> date:
        raw = require_query(request.query, "bill_date", "账单日期")
        try:
            if not BILL_DATE.fullmatch(raw):
                raise ValueError(raw)
            bill_date = date.fromisoformat(raw)
        except ValueError as exc:
            raise param_error("bill_date格式不正确，应为YYYY-MM-DD", location="query") from exc
        if bill_date > cst(self._clock()).date():
            raise invalid_request("账单日期不能晚于当前日期")
        return bill_date

    def apply(self, request: ApiRequest, _: str) -> ApiResponse:
        bill_date = self._bill_date(request)
        bill_type = request.query.get("bill_type") or "ALL"
        if bill_type not in BILL_TYPES:
            raise param_error("bill_type取值不合法", location="query", value=bill_type)
        tar_type = request.query.get("tar_type") or ""
        if tar_type not in ("", "GZIP"):
            raise param_error("tar_type取值不合法", location="query", value=tar_type)
        merchant = self._merchants.get(request.mchid)
        fee_rate_bp = merchant.fee_rate_bp if merchant else 0
        orders = [order for order in self._store.orders() if order.mchid == request.mchid]
        refunds = [refund for refund in self._store.refunds() if refund.mchid == request.mchid]
        sub_mchid = request.query.get("sub_mchid") or ""
        if sub_mchid:  # a provider's bill of one sub-merchant (without: all of them)
            if merchant is None or not merchant.service_provider:
                raise param_error("sub_mchid仅限服务商使用", location="query", value=sub_mchid)
            self._merchants.bound_sub_merchant(request.mchid, sub_mchid)
            orders = [order for order in orders if order.sub_mchid == sub_mchid]
            refunds = [refund for refund in refunds if refund.sub_mchid == sub_mchid]
        csv = render_trade_bill(bill_date, bill_type, orders, refunds, fee_rate_bp)
        if csv is None:
            raise ApiError(400, "NO_STATEMENT_EXIST", "账单不存在")
        token = secrets.token_urlsafe(24)
        served = gzip.compress(csv, mtime=0) if tar_type == "GZIP" else csv
        expires_at = self._clock() + DOWNLOAD_URL_LIFETIME_SECONDS
        with self._lock:
            self._files[token] = _BillFile(request.mchid, served, expires_at)
        return json_response(
            {
                "hash_type": "SHA1",
                "hash_value": hashlib.sha1(csv).hexdigest(),  # noqa: S324  (WeChat's choice)
                "download_url": f"{self._base_url()}/v3/billdownload/file?token={token}",
            }
        )

    def download(self, request: ApiRequest, _: str) -> ApiResponse:
        token = require_query(request.query, "token", "下载令牌")
        with self._lock:
            bill = self._files.get(token)
        if bill is None or bill.mchid != request.mchid:
            raise param_error("token无效", location="query")
        if self._clock() > bill.expires_at:
            raise invalid_request("下载链接已过期，请重新申请账单")
        return ApiResponse(200, bill.content, content_type="application/octet-stream", signed=False)
