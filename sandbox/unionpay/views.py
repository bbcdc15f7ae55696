"""The sandbox's read-only view of a transaction (for tests and the local stack)."""

from __future__ import annotations

from typing import Any

from sandbox.unionpay.pages import pay_link
from sandbox.unionpay.store import Transaction


def transaction_view(txn: Transaction) -> dict[str, Any]:
    return {
        "merId": txn.mer_id,
        "orderId": txn.order_id,
        "txnTime": txn.txn_time,
        "txnType": txn.txn_type,
        "txnSubType": txn.txn_sub_type,
        "bizType": txn.biz_type,
        "channelType": txn.channel_type,
        "accessType": txn.access_type,
        "acqInsCode": txn.acq_ins_code,
        "txnAmt": txn.amount,
        "queryId": txn.query_id,
        "origQryId": txn.orig_query_id,
        "origRespCode": txn.orig_resp_code,
        "origRespMsg": txn.orig_resp_msg,
        "traceNo": txn.trace_no,
        "traceTime": txn.trace_time,
        "settleDate": txn.settle_date.isoformat() if txn.settle_date else "",
        "fee": txn.fee,
        "refunded": txn.refunded,
        "undone": txn.undone,
        "qrCode": txn.qr_code,
        "tn": txn.tn,
        "qrNo": txn.qr_no,
        "backUrl": txn.back_url,
        "frontUrl": txn.front_url,
        "payTimeout": txn.pay_timeout,
        "sandbox_pay_path": pay_link(txn),
    }
