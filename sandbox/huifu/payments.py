"""The e-CNY trades of the Huifu sandbox: create (D_NATIVE QR code, D_MICROPAY payer code),
query, refund, refund query, the payer's side (pay, fail, a late payment), and notifies.

`resp_code` 00000000/00000100 is "accepted"; `trans_stat` is the trade's state: P (waiting:
a QR code not yet paid, a payer code the payer still confirms in the wallet), S, F. An
unpaid order past its `time_expire` is F. A payer code answers as scripted (default S)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.huifu.keys import sign_text
from sandbox.huifu.notify import Notification, NotifyDispatcher
from sandbox.huifu.orders import Order, OrderBook, Refund, beijing, hf_seq_id, parse_beijing

AMOUNT = re.compile(r"(\d{1,12})\.(\d{2})")
NOT_FOUND = ("23000001", "交易不存在")


class Refused(Exception):
    def __init__(self, code: str, desc: str) -> None:
        super().__init__(f"{code} {desc}")
        self.code, self.desc = code, desc


def _fen(text: Any, name: str) -> int:
    match = AMOUNT.fullmatch(str(text or ""))
    if match is None or int(match[1]) * 100 + int(match[2]) <= 0:
        raise Refused("10000000", f"{name}不符合金额格式")
    return int(match[1]) * 100 + int(match[2])


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _required(data: dict[str, Any], *names: str) -> None:
    for name in names:
        if not str(data.get(name, "")):
            raise Refused("10000000", f"{name}不能为空")


class Payments:
    def __init__(self, book: OrderBook, notifier: NotifyDispatcher, key: rsa.RSAPrivateKey,
                 clock: Callable[[], float], base_url: Callable[[], str]) -> None:  # fmt: skip
        self._book, self._notifier, self._key = book, notifier, key
        self._clock, self._base_url = clock, base_url
        self.payer_codes: dict[str, str] = {}  # auth_code → S | P | F
        self.fee_rate_bp = 60  # 0.60 %, the accounts' default fee_rate (reconciliation checks fees)
        self.auto_complete_refunds = True

    # -- creates -------------------------------------------------------------------------
    def _new(self, data: dict[str, Any], trade_type: str) -> Order:
        _required(data, "req_date", "req_seq_id", "huifu_id", "trans_amt", "goods_desc")
        now = self._clock()
        if data["req_date"] != beijing(now, "%Y%m%d"):
            raise Refused("10000000", "请求日期必须是当前日期")
        amount = _fen(data["trans_amt"], "trans_amt")
        expires = parse_beijing(str(data.get("time_expire", ""))) or now + 7200
        order = Order(
            huifu_id=data["huifu_id"], req_seq_id=data["req_seq_id"], req_date=data["req_date"],
            trade_type=trade_type, amount=amount, goods_desc=data["goods_desc"],
            notify_url=str(data.get("notify_url", "")), created_at=now, expires_at=expires,
            hf_seq_id=hf_seq_id(now), fee=(amount * self.fee_rate_bp + 5000) // 10000,
        )  # fmt: skip
        with self._book.lock:
            if not self._book.add(order):
                raise Refused("10000000", "请求流水号重复")
        return order

    def jspay(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("trade_type") != "D_NATIVE":
            raise Refused("10000000", f"不支持交易类型 {data.get('trade_type')}")
        order = self._new(data, "D_NATIVE")
        order.qr_code = f"{self._base_url()}/ecny/qr/{order.hf_seq_id}"
        return {**self.view(order, "00000000", "交易处理中"), "qr_code": order.qr_code}

    def micropay(self, data: dict[str, Any]) -> dict[str, Any]:
        _required(data, "auth_code", "risk_check_data")
        outcome = self.payer_codes.get(str(data["auth_code"]), "S")
        order = self._new(data, "D_MICROPAY")
        order.auth_code = str(data["auth_code"])
        if outcome == "F":
            order.stat = "F"
            return {**self.view(order, "90000000", "业务执行失败，付款码无效，请重新扫码")}
        if outcome == "S":
            self._settle(order, "S")
            return self.view(order, "00000000", "交易成功")
        if outcome != "P":
            return self.view(order, outcome, "沙箱: 未说明的应答码")
        return self.view(order, "00000100", "交易正在处理中")

    # -- queries -------------------------------------------------------------------------
    def _order(self, data: dict[str, Any]) -> Order:
        _required(data, "huifu_id")
        with self._book.lock:
            order = self._book.get(
                data["huifu_id"], str(data.get("org_req_date", "")), str(data.get("org_req_seq_id", ""))
            )
            if order is None and data.get("org_hf_seq_id"):
                order = next((o for o in self._book.all() if o.hf_seq_id == data["org_hf_seq_id"]), None)
        if order is None:
            raise Refused(*NOT_FOUND)
        return order

    def query(self, data: dict[str, Any]) -> dict[str, Any]:
        order = self._order(data)
        self.expire(order)
        return self.view(order, "00000000", "查询成功")

    def expire(self, order: Order) -> None:
        if order.stat == "P" and self._clock() > order.expires_at:
            order.stat = "F"  # timed out unpaid: 订单已关闭

    def view(self, order: Order, code: str, desc: str) -> dict[str, Any]:
        answer = {
            "resp_code": code, "resp_desc": desc, "huifu_id": order.huifu_id,
            "req_date": order.req_date, "req_seq_id": order.req_seq_id, "hf_seq_id": order.hf_seq_id,
            "trade_type": order.trade_type, "trans_amt": _yuan(order.amount), "trans_stat": order.stat,
            "delay_acct_flag": "N", "div_flag": "N",
        }  # fmt: skip
        if order.end_time is not None:
            answer["end_time"] = beijing(order.end_time)
            answer["out_trans_id"] = "DC" + order.hf_seq_id[-20:]
        return answer

    # -- the payer's side ----------------------------------------------------------------
    def pay(self, req_seq_id: str, *, late: bool = False) -> Order:
        """The payer pays (a QR code scanned, a pending payer code confirmed). `late`: the
        wallet's payment completes although the order already timed out at Huifu (the
        operator's side answered after the expiry): the order is paid and notified anyway."""
        with self._book.lock:
            order = self._book.find(req_seq_id)
            self.expire(order)
            if order.stat == "S" or (order.stat == "F" and not late):
                raise Refused("23000003", f"订单状态为 {order.stat}，不能支付")
        self._settle(order, "S")
        return order

    def fail(self, req_seq_id: str) -> Order:
        with self._book.lock:
            order = self._book.find(req_seq_id)
            order.stat = "F"
        self._notify(order.notify_url, self._notice(order), order.req_seq_id)
        return order

    def _settle(self, order: Order, stat: str) -> None:
        order.stat, order.end_time = stat, self._clock()
        self._notify(order.notify_url, self._notice(order), order.req_seq_id)

    def _notice(self, order: Order) -> dict[str, Any]:
        data = self.view(order, "00000000", "处理成功")
        data["trans_type"] = data.pop("trade_type")
        data["acct_date"] = order.req_date
        data["fee_amount"] = _yuan(order.fee)
        data["is_div"], data["is_delay_acct"] = "0", "0"
        data["dc_response"] = {"custom_bank_code": "C1010211000012", "custom_bank_name": "沙箱运营机构"}
        return data

    def notice_form(self, data: dict[str, Any]) -> dict[str, str]:
        """A notify's form as Huifu sends it: resp_data is a JSON text, signed as it is."""
        import json  # noqa: PLC0415

        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return {
            "resp_code": "10000",
            "resp_desc": "成功调用",
            "sign": sign_text(self._key, text),
            "resp_data": text,
        }

    def _notify(self, url: str, data: dict[str, Any], req_seq_id: str) -> None:
        if url:
            self._notifier.submit(Notification(url, self.notice_form(data), req_seq_id))

    # -- refunds -------------------------------------------------------------------------
    def refund(self, data: dict[str, Any]) -> dict[str, Any]:
        _required(data, "req_date", "req_seq_id", "huifu_id", "ord_amt", "org_req_date")
        now = self._clock()
        if data["req_date"] != beijing(now, "%Y%m%d"):
            raise Refused("10000000", "请求日期必须是当前日期")
        order = self._order(data)
        amount = _fen(data["ord_amt"], "ord_amt")
        with self._book.lock:
            if order.stat != "S":
                raise Refused("23000001", "原交易不存在或未成功")
            if amount > order.amount - order.refunded:
                raise Refused("23000003", "退款金额超过可退金额")
            refund = Refund(data["req_seq_id"], data["req_date"], amount, hf_seq_id(now), now,
                            str(data.get("notify_url", "")))  # fmt: skip
            if not self._book.add_refund(order, refund):
                raise Refused("10000000", "请求流水号重复")
        if self.auto_complete_refunds:
            self.finish_refund(order, refund)
        return self.refund_view(order, refund, "00000100", "交易处理中", queried=False)

    def finish_refund(self, order: Order, refund: Refund, stat: str = "S") -> None:
        refund.stat, refund.finished_at = stat, self._clock()
        data = self.refund_view(order, refund, "00000000", "处理成功", queried=False)
        data["trans_type"] = "TRANS_REFUND"
        self._notify(refund.notify_url, data, refund.req_seq_id)

    def refund_view(
        self, order: Order, refund: Refund, code: str, desc: str, *, queried: bool
    ) -> dict[str, Any]:
        prefix = "org_" if queried else ""
        answer = {
            "resp_code": code, "resp_desc": desc, "huifu_id": order.huifu_id,
            f"{prefix}req_date": refund.req_date, f"{prefix}req_seq_id": refund.req_seq_id,
            f"{prefix}hf_seq_id": refund.hf_seq_id, "ord_amt": _yuan(refund.amount),
            "trans_stat": refund.stat, "pay_channel": "D",
        }  # fmt: skip
        if not queried:
            answer["org_req_seq_id"] = order.req_seq_id  # the payment refunded
        if refund.finished_at is not None:
            answer["trans_finish_time"] = beijing(refund.finished_at)
        return answer

    def refund_query(self, data: dict[str, Any]) -> dict[str, Any]:
        _required(data, "huifu_id", "org_req_seq_id")
        with self._book.lock:
            found = self._book.refund(
                data["huifu_id"], str(data.get("org_req_date", "")), data["org_req_seq_id"]
            )
        if found is None:
            raise Refused(*NOT_FOUND)
        return self.refund_view(*found, "00000000", "查询成功", queried=True)
