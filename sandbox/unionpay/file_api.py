"""``POST /`` (the file host, 文件传输): txnType 76, txnSubType 01, fileType 00, settleDate MMDD.

The answer's ``fileContent`` is base64(zlib-deflate(zip)) and ``fileName`` names the zip. A day
whose file is not ready yet answers 98 文件不存在. A ready day without any transaction answers
00 without ``fileContent``/``fileName`` (the official SDK's ``deCodeFileContent`` expects that:
it writes a file only when ``fileContent`` is not empty).

When is a day ready? By default from ``file_ready_hour`` (Beijing time) on the next day;
``set_file_ready(day, True|False)`` overrides it per day.
"""

from __future__ import annotations

import base64
import threading
import zlib
from datetime import date, datetime, time, timedelta

from sandbox.unionpay import validation as check
from sandbox.unionpay.errors import SUCCESS_MSG, AcpError, format_error
from sandbox.unionpay.merchants import MerchantRegistry, SandboxMerchant
from sandbox.unionpay.request import Answer, Request
from sandbox.unionpay.statement import Layout, statement_zip
from sandbox.unionpay.store import PAID_CODES, Transaction, TransactionStore
from sandbox.unionpay.times import CST, day_from_mmdd

NOT_READY = AcpError("98", "文件不存在")


class FileApi:
    def __init__(
        self,
        store: TransactionStore,
        merchants: MerchantRegistry,
        tolerance: float,
        file_ready_hour: int,
        layout: Layout = "official",
    ) -> None:
        self._store = store
        self._merchants = merchants
        self._tolerance = tolerance
        self._ready_hour = file_ready_hour
        self._overrides: dict[date, bool] = {}
        self._lock = threading.Lock()
        self.layout: Layout = layout

    def set_file_ready(self, day: date, ready: bool | None) -> None:
        """Force ``day``'s file ready (True) or not ready (False); None: back to the rule."""
        with self._lock:
            if ready is None:
                self._overrides.pop(day, None)
            else:
                self._overrides[day] = ready

    def ready(self, day: date, now: float) -> bool:
        with self._lock:
            forced = self._overrides.get(day)
        if forced is not None:
            return forced
        opens = datetime.combine(day + timedelta(days=1), time(self._ready_hour), CST)
        return now >= opens.timestamp()

    def rows(self, mer_id: str, day: date) -> list[Transaction]:
        """The transactions booked on ``day`` (their settle date), in the order they ended."""
        booked = [
            txn
            for txn in self._store.all()
            if txn.mer_id == mer_id and txn.orig_resp_code in PAID_CODES and txn.settle_date == day
        ]
        return sorted(booked, key=lambda txn: txn.completed_at or 0.0)

    def handle(self, request: Request) -> Answer:
        fields = request.fields
        if (fields["txnType"], fields.get("txnSubType")) != ("76", "01"):
            raise AcpError("32", "无此交易权限[txnType]")
        check.check_txn_time(fields, request.now, self._tolerance)
        check.require(fields, "bizType", "fileType", "settleDate")
        if fields["fileType"] != "00":
            raise format_error("fileType", "无效")
        day = day_from_mmdd(fields["settleDate"], request.now)
        if day is None:
            raise format_error("settleDate")
        if not self.ready(day, request.now):
            raise NOT_READY
        answer = {
            "respCode": "00",
            "respMsg": SUCCESS_MSG,
            "fileType": "00",
            "settleDate": fields["settleDate"],
        }
        rows = self.rows(request.caller.mer_id, day)
        if not rows:
            return answer
        merchant = self._merchants.merchant(request.caller.mer_id) or SandboxMerchant(request.caller.mer_id)
        made = statement_zip(rows, merchant, day, self.layout)
        content = base64.b64encode(zlib.compress(made.zip_bytes)).decode("ascii")
        return answer | {"fileName": made.file_name, "fileContent": content}
