"""What UnionPay writes: answers, notifies and front notifies, signed with signPubKeyCert.

Every message carries ``signMethod=01``, ``signPubKeyCert`` (the signing certificate, PEM with
CRLF line ends, part of the signed string) and ``signature``. Empty fields are left out.
"""

from __future__ import annotations

from collections.abc import Mapping

from sandbox.unionpay import signing
from sandbox.unionpay.certificates import UnionPayChain
from sandbox.unionpay.errors import SUCCESS_MSG
from sandbox.unionpay.store import Transaction
from sandbox.unionpay.times import mmdd

# Request fields every answer repeats (when the request had them).
ECHOED = (
    "version", "encoding", "bizType", "txnTime", "txnType", "txnSubType", "accessType",
    "acqInsCode", "merId", "orderId", "reqReserved", "subMerId", "subMerAbbr", "subMerName",
)  # fmt: skip
ISS_INS_CODE = "01020000"  # the payer's bank in QR notifies (an ICBC-like code)
GATEWAY_CARD = "622609******0048"  # the masked card of the official sample statement


class MessageSigner:
    def __init__(self, chain: UnionPayChain) -> None:
        self._chain = chain

    def sign(self, fields: Mapping[str, str]) -> dict[str, str]:
        signed = {key: value for key, value in fields.items() if value and key != "signature"}
        signed["signMethod"] = "01"
        signed["signPubKeyCert"] = self._chain.sign_pub_key_cert
        signed["signature"] = signing.sign(signed, self._chain.signing_key)
        return signed


def echo(request: Mapping[str, str]) -> dict[str, str]:
    return {name: request[name] for name in ECHOED if request.get(name)}


def result_fields(txn: Transaction) -> dict[str, str]:
    """The fields of an ended (paid) transaction, in answers, queries and notifies."""
    return {
        "queryId": txn.query_id,
        "traceNo": txn.trace_no,
        "traceTime": txn.trace_time,
        "txnAmt": str(txn.amount),
        "currencyCode": "156",
        "settleAmt": str(txn.amount),
        "settleCurrencyCode": "156",
        "settleDate": mmdd(txn.settle_date) if txn.settle_date else "",
    }


def transaction_fields(txn: Transaction) -> dict[str, str]:
    """What identifies the transaction itself (as its own request carried it)."""
    return {
        "version": "5.1.0",
        "encoding": "UTF-8",
        "bizType": txn.biz_type,
        "txnType": txn.txn_type,
        "txnSubType": txn.txn_sub_type,
        "accessType": txn.access_type,
        "acqInsCode": txn.acq_ins_code,
        "merId": txn.mer_id,
        "orderId": txn.order_id,
        "txnTime": txn.txn_time,
        "reqReserved": txn.req_reserved,
    }


def notify_fields(txn: Transaction, resp_msg: str = SUCCESS_MSG) -> dict[str, str]:
    """A 5.1.0 back notify (or, with ``resp_msg="success"``, a front notify) of a paid
    consume, refund or undo."""
    fields = transaction_fields(txn) | result_fields(txn) | {"respCode": "00", "respMsg": resp_msg}
    if txn.orig_query_id:
        fields["origQryId"] = txn.orig_query_id
    elif txn.biz_type == "000201":
        fields |= {"accNo": txn.card or GATEWAY_CARD, "payCardType": "01", "exchangeRate": "0"}
    else:
        fields["issInsCode"] = ISS_INS_CODE
    return fields
