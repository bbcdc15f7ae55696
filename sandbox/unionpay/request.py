"""A request that passed the envelope and signature checks, and the transaction it opens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sandbox.unionpay.merchants import Caller
from sandbox.unionpay.store import Transaction, new_query_id, new_trace_no

Answer = dict[str, str]  # an endpoint's fields, before the echo and the signature


@dataclass(frozen=True)
class Request:
    fields: Mapping[str, str]
    caller: Caller
    now: float  # the sandbox clock when it arrived


def new_transaction(
    request: Request,
    amount: int,
    *,
    front_url: str = "",
    pay_timeout: str = "",
    qr_code: str = "",
    tn: str = "",
    qr_no: str = "",
    orig_query_id: str = "",
) -> Transaction:
    """The transaction a checked request opens; UnionPay gives it its queryId and traceNo."""
    fields, trace_no = request.fields, new_trace_no()
    return Transaction(
        mer_id=request.caller.mer_id,
        order_id=fields["orderId"],
        txn_time=fields["txnTime"],
        txn_type=fields["txnType"],
        txn_sub_type=fields["txnSubType"],
        biz_type=fields["bizType"],
        channel_type=fields["channelType"],
        access_type=request.caller.access_type,
        acq_ins_code=request.caller.acq_ins_code,
        amount=amount,
        back_url=fields.get("backUrl", ""),
        created_at=request.now,
        query_id=new_query_id(request.now, trace_no),
        trace_no=trace_no,
        req_reserved=fields.get("reqReserved", ""),
        front_url=front_url,
        pay_timeout=pay_timeout,
        qr_code=qr_code,
        tn=tn,
        qr_no=qr_no,
        orig_query_id=orig_query_id,
    )
