"""``alipay.data.dataservice.bill.downloadurl.query`` and the download it points at.

The answer's ``bill_download_url`` lives 30 s by the sandbox clock (Alipay: "download it
within 30 s"); the download is a plain GET without signature, answered with the zip as
``application/octet-stream``. After 30 s the URL answers HTTP 200 with the text ``下载超时``
(not a zip); an unknown token answers 404. Any day (``yyyy-MM-dd``) or month (``yyyy-MM``)
up to today GMT+8 can be asked for — today included, unlike Alipay (T+1), so tests can
reconcile at once. A period without rows, a future one, or ``bill_type=signcustomer`` (the
sandbox keeps no account movements) answers ``40004 isp.bill_not_exist``.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from sandbox.alipay.bill import Period, bill_file_name, render_trade_bill
from sandbox.alipay.envelope import GatewayRequest
from sandbox.alipay.errors import business, invalid_parameter
from sandbox.alipay.store import SandboxStore
from sandbox.alipay.times import cst
from sandbox.alipay.validation import BILL_DAY, BILL_MONTH, text

DOWNLOAD_URL_LIFETIME_SECONDS = 30.0
BILL_METHOD = "alipay.data.dataservice.bill.downloadurl.query"


@dataclass(frozen=True)
class _BillFile:
    content: bytes
    expires_at: float


def period_of(bill_date: str) -> Period:
    try:
        if BILL_DAY.fullmatch(bill_date):
            day = date.fromisoformat(bill_date)
            return Period(day, day + timedelta(days=1), f"{day:%Y%m%d}")
        if BILL_MONTH.fullmatch(bill_date):
            first = date.fromisoformat(f"{bill_date}-01")
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return Period(first, following, f"{first:%Y%m}")
    except ValueError:
        pass
    raise invalid_parameter("参数无效：bill_date格式为yyyy-MM-dd或yyyy-MM")


class BillApi:
    def __init__(self, store: SandboxStore, clock: Callable[[], float], base_url: Callable[[], str]) -> None:
        self._store = store
        self._clock = clock
        self._base_url = base_url
        self._lock = threading.Lock()
        self._files: dict[str, _BillFile] = {}
        self.handlers = {BILL_METHOD: self.download_url}

    def download_url(self, request: GatewayRequest) -> dict[str, Any]:
        bill_type = text(request.biz, "bill_type", required=True)
        if bill_type not in ("trade", "signcustomer"):
            raise invalid_parameter("参数无效：bill_type只能是trade或signcustomer")
        period = period_of(text(request.biz, "bill_date", required=True))
        now = self._clock()
        if bill_type != "trade" or period.start > cst(now).date():
            raise business("isp.bill_not_exist", "账单不存在")
        app = request.merchant
        trades = [trade for trade in self._store.trades(now) if trade.app_id == app.app_id]
        refunds = [refund for refund in self._store.refunds() if refund.app_id == app.app_id]
        content = render_trade_bill(app, period, trades, refunds, now)
        if content is None:
            raise business("isp.bill_not_exist", "账单不存在")
        token = secrets.token_hex(16)
        with self._lock:
            self._files[token] = _BillFile(content, now + DOWNLOAD_URL_LIFETIME_SECONDS)
        query = urlencode(
            {
                "bizType": bill_type,
                "userId": f"{app.pid}0156",
                "fileType": "csv.zip",
                "bizDates": period.label,
                "downloadFileName": bill_file_name(app, period),
                "timestamp": str(int(now * 1000)),
                "token": token,
            }
        )
        return {"bill_download_url": f"{self._base_url()}/sandbox/bill/download?{query}"}

    def download(self, token: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            found = self._files.get(token)
        if found is None:
            return 404, {"Content-Type": "text/plain;charset=utf-8"}, "文件不存在".encode()
        if self._clock() > found.expires_at:
            return 200, {"Content-Type": "text/plain;charset=utf-8"}, "下载超时".encode()
        return 200, {"Content-Type": "application/octet-stream"}, found.content
