"""The trade bill (交易对账单) of the Huifu sandbox: `POST /v2/trade/check/filequery` with
`file_date` = trade day + 1 answers `file_details[].download_url` once the file is made (from
`ready_hour` Beijing time on the file day, or when forced), `task_details` with task_stat S
and no file for a day without trades, and neither before. The download is a zip holding
`<file_date>_<huifu_id>_order_1.csv`.

Huifu publishes no column list of that CSV: the sandbox writes a header of the API's own
field names (COLUMNS), successes only, payments (D_NATIVE/D_MICROPAY) and refunds (TRANS_REFUND,
pay_channel D); other wallets would be listed too, which an e-CNY reader must skip."""

from __future__ import annotations

import csv
import io
import secrets
import threading
import zipfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sandbox.huifu.orders import CHINA, Order, OrderBook, beijing
from sandbox.huifu.payments import Refused

COLUMNS = (
    "huifu_id", "trans_date", "trans_time", "trans_type", "trade_type", "pay_channel",
    "req_seq_id", "org_req_seq_id", "hf_seq_id", "trans_amt", "fee_amt", "trans_stat",
)  # fmt: skip
READY_HOUR = 12  # the skills repo advises fetching trade files after 12:00


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


class Bills:
    def __init__(self, book: OrderBook, clock: Callable[[], float], base_url: Callable[[], str]) -> None:
        self._book, self._clock, self._base_url = book, clock, base_url
        self._ready: dict[date, bool] = {}
        self._files: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.other_wallet_rows = True  # also list a WeChat row (a reader must skip it)

    def set_ready(self, day: date, ready: bool | None) -> None:
        if ready is None:
            self._ready.pop(day, None)
        else:
            self._ready[day] = ready

    def _is_ready(self, day: date) -> bool:
        if day in self._ready:
            return self._ready[day]
        file_day = datetime.combine(day + timedelta(days=1), datetime.min.time(), CHINA)
        return self._clock() >= (file_day + timedelta(hours=READY_HOUR)).timestamp()

    def rows(self, huifu_id: str, day: date) -> list[dict[str, str]]:
        wanted = day.strftime("%Y%m%d")
        lines: list[dict[str, str]] = []
        for order in self._book.all():
            if order.huifu_id != huifu_id:
                continue
            if (
                order.stat == "S"
                and order.end_time is not None
                and beijing(order.end_time, "%Y%m%d") == wanted
            ):
                lines.append(_payment(order))
            lines += [_refund(order, r) for r in order.refunds if r.stat == "S" and r.finished_at is not None
                      and beijing(r.finished_at, "%Y%m%d") == wanted]  # fmt: skip
        return lines

    def file_query(self, data: dict[str, Any]) -> dict[str, Any]:
        try:
            day = datetime.strptime(str(data.get("file_date", "")), "%Y%m%d").date() - timedelta(days=1)
        except ValueError as exc:
            raise Refused("10000000", "file_date不符合yyyyMMdd格式") from exc
        base = {"resp_code": "00000000", "resp_desc": "查询成功", "req_date": data.get("req_date", ""),
                "req_seq_id": data.get("req_seq_id", "")}  # fmt: skip
        if not self._is_ready(day):
            return {**base, "file_details": [], "task_details": []}
        huifu_id = str(data["huifu_id"])
        rows = self.rows(huifu_id, day)
        name = f"{data['file_date']}_{huifu_id}_order_1.csv"
        task = {"data_date": day.strftime("%Y%m%d"), "bill_type": "TRADE_BILL", "huifu_id": huifu_id,
                "task_stat": "S", "file_name": name.replace(".csv", ".zip")}  # fmt: skip
        if not rows:
            return {**base, "file_details": [], "task_details": [task]}
        token = secrets.token_hex(8)
        with self._lock:
            self._files[token] = _zip(name, rows, self.other_wallet_rows)
        url = f"{self._base_url()}/files/{token}.zip"
        detail = {"download_url": url, "file_date": data["file_date"], "file_id": token,
                  "file_Name": task["file_name"], "huifu_id": huifu_id,
                  "bill_type": "TRADE_BILL"}  # fmt: skip
        return {**base, "file_details": [detail], "task_details": [{**task, "download_url": url}]}

    def download(self, token: str) -> bytes | None:
        with self._lock:
            return self._files.get(token)


def _payment(order: Order) -> dict[str, str]:
    assert order.end_time is not None  # nosec B101 - callers pass paid orders
    return {
        "huifu_id": order.huifu_id, "trans_date": beijing(order.end_time, "%Y%m%d"),
        "trans_time": beijing(order.end_time, "%H%M%S"), "trans_type": "TRANS_PAY",
        "trade_type": order.trade_type, "pay_channel": "D", "req_seq_id": order.req_seq_id,
        "org_req_seq_id": "", "hf_seq_id": order.hf_seq_id, "trans_amt": _yuan(order.amount),
        "fee_amt": _yuan(order.fee), "trans_stat": "S",
    }  # fmt: skip


def _refund(order: Order, refund: Any) -> dict[str, str]:
    fee_back = -((order.fee * refund.amount) // order.amount)
    return {
        "huifu_id": order.huifu_id, "trans_date": beijing(refund.finished_at, "%Y%m%d"),
        "trans_time": beijing(refund.finished_at, "%H%M%S"), "trans_type": "TRANS_REFUND",
        "trade_type": order.trade_type, "pay_channel": "D", "req_seq_id": refund.req_seq_id,
        "org_req_seq_id": order.req_seq_id, "hf_seq_id": refund.hf_seq_id,
        "trans_amt": _yuan(refund.amount), "fee_amt": _yuan(fee_back), "trans_stat": "S",
    }  # fmt: skip


def _zip(name: str, rows: list[dict[str, str]], other_wallet: bool) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    if other_wallet:
        writer.writerow({**rows[0], "trade_type": "T_NATIVE", "pay_channel": "T", "trans_type": "TRANS_PAY",
                         "req_seq_id": "WX" + rows[0]["req_seq_id"], "org_req_seq_id": ""})  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, "\ufeff" + text.getvalue())
    return buffer.getvalue()
