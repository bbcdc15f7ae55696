"""``POST /gateway/api/backTransReq.do``: consumes by QR code, refunds (04) and undos (31).

* 01/07 (bizType 000000): apply for a merchant-presented QR code → ``qrCode``; the payer pays
  later (the pay page, or ``pay``) and the result comes by back notify.
* 01/06 (bizType 000000): the payer's code (``qrNo``) → a synchronous result: 00 paid,
  03/04/05 unknown (settled later), or a failure code (``script_payer_code``).
* 04 refund: a new orderId, ``origQryId`` = the consume's queryId, any amount up to what is
  left, repeatedly, for 11 months after the consume; answered 00 (accepted), ended later.
* 31 undo: the full amount, only on the consume's own clearing day.

``POST /gateway/api/appTransReq.do`` (``handle_app``): the in-app consume 01/01 (bizType 000201,
channelType 08) → ``tn``, which the merchant's app hands UnionPay's app SDK; the payer pays
there later (``pay``) and the result comes by back notify, as for a QR code.
"""

from __future__ import annotations

import secrets
from datetime import date

from sandbox.unionpay import validation as check
from sandbox.unionpay.errors import SUCCESS_MSG, AcpError, format_error
from sandbox.unionpay.messages import result_fields
from sandbox.unionpay.payments import Payments, resp_msg
from sandbox.unionpay.request import Answer, Request, new_transaction
from sandbox.unionpay.store import PAID_CODES, UNKNOWN_CODES, Transaction, TransactionStore
from sandbox.unionpay.times import clearing_day

REFUND_MONTHS = 11


class BackApi:
    def __init__(
        self,
        store: TransactionStore,
        payments: Payments,
        tolerance: float,
    ) -> None:
        self._store = store
        self._payments = payments
        self._tolerance = tolerance

    def handle(self, request: Request) -> Answer:
        fields = request.fields
        check.check_txn_time(fields, request.now, self._tolerance)
        kind = (fields["txnType"], fields.get("txnSubType", ""))
        if kind == ("01", "07"):
            return self._apply_qr(request)
        if kind == ("01", "06"):
            return self._payer_code(request)
        if fields["txnType"] == "04":
            return self._refund(request)
        if fields["txnType"] == "31":
            return self._undo(request)
        raise AcpError("32", "无此交易权限[txnType]")

    def handle_app(self, request: Request) -> Answer:
        fields = request.fields
        check.check_txn_time(fields, request.now, self._tolerance)
        if (fields["txnType"], fields.get("txnSubType", "")) != ("01", "01"):
            raise AcpError("32", "无此交易权限[txnType]")
        tn = f"{secrets.randbelow(10**21):021d}"
        self._consume(request, tn=tn, kind=(("000201",), ("08",)))
        return {"respCode": "00", "respMsg": SUCCESS_MSG, "tn": tn}

    def _consume(
        self,
        request: Request,
        *,
        qr_code: str = "",
        tn: str = "",
        qr_no: str = "",
        kind: tuple[tuple[str, ...], tuple[str, ...]] = (("000000",), ("07", "08")),
    ) -> Transaction:
        fields = request.fields
        check.check_kind(fields, *kind)
        check.check_order_id(fields)
        amount = check.check_amount(fields)
        check.check_url(fields, "backUrl")
        pay_timeout = check.check_pay_timeout(fields, request.now)
        txn = new_transaction(request, amount, pay_timeout=pay_timeout, qr_code=qr_code, tn=tn, qr_no=qr_no)
        return self._store.add(txn)

    def _apply_qr(self, request: Request) -> Answer:
        qr_code = f"https://qr.95516.com/00010000/{secrets.randbelow(10**20):020d}"
        self._consume(request, qr_code=qr_code)
        return {"respCode": "00", "respMsg": SUCCESS_MSG, "qrCode": qr_code}

    def _payer_code(self, request: Request) -> Answer:
        check.require(request.fields, "qrNo")
        qr_no = request.fields["qrNo"]
        txn = self._consume(request, qr_no=qr_no)
        code = self._payments.payer_code_outcome(qr_no)
        ended = self._payments.end(txn, code)
        answer = {"respCode": code, "respMsg": resp_msg(code)}
        if code in PAID_CODES:
            answer |= result_fields(ended)
        elif code in UNKNOWN_CODES:
            answer["queryId"] = ended.query_id
        return answer

    def _against_original(self, request: Request) -> tuple[Transaction, Transaction]:
        fields = request.fields
        check.require(fields, "bizType", "txnSubType", "channelType")
        if fields["txnSubType"] != "00":
            raise format_error("txnSubType", "无效")
        check.check_order_id(fields)
        amount = check.check_amount(fields)
        check.check_url(fields, "backUrl")
        orig_query_id = check.check_orig_query_id(fields)
        original = self._store.by_query_id(orig_query_id)
        if original is None or original.mer_id != request.caller.mer_id or not original.paid:
            raise AcpError("35", "原交易不存在或状态不正确")
        txn = new_transaction(request, amount, orig_query_id=orig_query_id)
        return original, txn

    def _refund(self, request: Request) -> Answer:
        original, txn = self._against_original(request)
        assert original.settle_date is not None  # a paid consume has its clearing day
        if clearing_day(request.now) > _add_months(original.settle_date, REFUND_MONTHS):
            raise AcpError("35", "原交易超过退货期限")
        stored = self._store.add_against_original(txn)
        if self._payments.auto_complete_refunds:
            stored = self._payments.end(stored, "00")
        return _accepted(stored)

    def _undo(self, request: Request) -> Answer:
        original, txn = self._against_original(request)
        if txn.amount != original.amount:
            raise AcpError("36", "撤销金额必须与原交易金额一致")
        if original.settle_date != clearing_day(request.now):
            raise AcpError("35", "原交易已跨清算日，不能撤销，请发起退货")
        return _accepted(self._payments.end(self._store.add_against_original(txn), "00"))


def _accepted(txn: Transaction) -> Answer:
    return {
        "respCode": "00",
        "respMsg": SUCCESS_MSG,
        "queryId": txn.query_id,
        "origQryId": txn.orig_query_id,
        "txnAmt": str(txn.amount),
        "currencyCode": "156",
    }


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")
