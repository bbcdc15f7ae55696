"""``POST /gateway/api/queryTrans.do``: txnType 00, by the original ``orderId`` + ``txnTime``.

``respCode`` is the outcome of the query itself; ``origRespCode``/``origRespMsg`` that of the
transaction asked about. An order UnionPay has no transaction for (unknown, or a QR code /
gateway form the payer never completed) answers 34 查无此交易[2600000].
"""

from __future__ import annotations

from sandbox.unionpay import validation as check
from sandbox.unionpay.errors import NOT_FOUND_MSG, SUCCESS_MSG, AcpError
from sandbox.unionpay.messages import result_fields
from sandbox.unionpay.request import Answer, Request
from sandbox.unionpay.store import PAID_CODES, TransactionStore


class QueryApi:
    def __init__(self, store: TransactionStore) -> None:
        self._store = store

    def handle(self, request: Request) -> Answer:
        fields = request.fields
        if fields["txnType"] != "00":
            raise AcpError("32", "无此交易权限[txnType]")
        check.require(fields, "bizType", "txnSubType", "txnTime")
        order_id = check.check_order_id(fields)
        txn = self._store.get(request.caller.mer_id, order_id)
        if txn is None or txn.txn_time != fields["txnTime"] or txn.orig_resp_code is None:
            raise AcpError("34", NOT_FOUND_MSG)
        answer = {
            "respCode": "00",
            "respMsg": SUCCESS_MSG,
            "origRespCode": txn.orig_resp_code,
            "origRespMsg": txn.orig_resp_msg,
            "queryId": txn.query_id,
            "txnAmt": str(txn.amount),
            "currencyCode": "156",
        }
        if txn.orig_resp_code in PAID_CODES:
            answer |= result_fields(txn)
        if txn.orig_query_id:
            answer["origQryId"] = txn.orig_query_id
        return answer
