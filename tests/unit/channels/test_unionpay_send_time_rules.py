"""UnionPay's txnTime is the request's send time, stored with its attempt or refund before it
is sent (CreateRequest/RefundRequest.sent_at), and a query names the original's again
(QueryContext/RefundQueryContext): never the number's issue time, which is stale for an
automatic refund, a create sent again after a crash, or a refund placed long after its number.
A front transaction's failure is final only after its payTimeout (the payment's expiry), which
the QR code apply (07) is sent with too."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from paymux.channels.base import QueryContext, RefundQueryContext, RefundRequest, TradeState
from paymux.channels.unionpay import transform
from paymux.clock import CHINA
from paymux.domain.ids import attempt_out_trade_no, new_payment_id
from paymux.domain.refund import automatic_refund_id, out_refund_no
from paymux.errors import ChannelUnavailable
from tests.unit.channels.test_unionpay_client import NOW, ScriptedUnionPay, _channel, _request, _signed

LATER = NOW + 3 * 86400 + 17  # three days after the number was issued


def _automatic_refund(sent_at: float | None) -> RefundRequest:
    number = attempt_out_trade_no(new_payment_id(NOW), 1)
    return RefundRequest(
        out_trade_no=number,
        out_refund_no=out_refund_no(automatic_refund_id(number)),
        amount=1999,
        total=1999,
        currency="CNY",
        reason="paid after the order was closed",
        notify_url="https://api.example.com/cb",
        product="unionpay.qr",
        channel_trade_no="782612011030050000001",
        requested_at=sent_at,
        sent_at=sent_at,
    )


def test_a_create_is_sent_with_its_stored_send_time() -> None:
    http = ScriptedUnionPay([_signed(respCode="00", qrCode="https://qr.95516.com/00010000/1")])
    request = replace(_request(), sent_at=LATER)

    _channel(http).create(request)

    assert http.sent[0][1]["txnTime"] == transform.txn_time(LATER)
    assert http.sent[0][1]["txnTime"] != transform.txn_time(transform.issued_at(request.out_trade_no))


def test_an_automatic_refund_is_sent_at_its_own_time_not_its_attempts() -> None:
    http = ScriptedUnionPay([_signed(respCode="00", queryId="782612041030220000009")])
    request = _automatic_refund(sent_at=LATER)

    _channel(http, now=LATER).refund(request)

    assert http.sent[0][1]["txnTime"] == transform.txn_time(LATER)
    assert http.sent[0][1]["orderId"] == request.out_refund_no


def test_a_refund_sent_again_sends_the_same_txn_time() -> None:
    http = ScriptedUnionPay([_signed(respCode="03"), _signed(respCode="00")])
    request = _automatic_refund(sent_at=LATER)
    first = _channel(http, now=LATER)
    with pytest.raises(ChannelUnavailable, match="03"):
        first.refund(request)

    _channel(http, now=LATER + 86400).refund(request)  # a day later, the same refund

    assert http.sent[0][1]["txnTime"] == http.sent[1][1]["txnTime"] == transform.txn_time(LATER)


def test_the_query_names_the_original_requests_order_id_and_txn_time() -> None:
    http = ScriptedUnionPay([_signed(respCode="34"), _signed(respCode="34")])
    channel = _channel(http, now=LATER + 600)
    number = attempt_out_trade_no(new_payment_id(NOW), 1)
    refund_no = out_refund_no(automatic_refund_id(number))

    channel.query(number, context=QueryContext(sent_at=LATER, product="unionpay.qr"))
    channel.query_refund(refund_no, number, context=RefundQueryContext(sent_at=LATER + 1))

    assert (http.sent[0][1]["orderId"], http.sent[0][1]["txnTime"]) == (number, transform.txn_time(LATER))
    assert (http.sent[1][1]["orderId"], http.sent[1][1]["txnTime"]) == (
        refund_no,
        transform.txn_time(LATER + 1),
    )


def _failed_query(number: str) -> dict[str, str]:
    return _signed(
        respCode="00", origRespCode="31", origRespMsg="交易失败", orderId=number, txnAmt="1999", queryId="Q9"
    )


@pytest.mark.parametrize("product", ["unionpay.gateway", "unionpay.wap", "unionpay.qr"])
def test_a_front_failure_before_pay_timeout_is_not_paid_yet_and_final_after(product: str) -> None:
    number = attempt_out_trade_no(new_payment_id(NOW), 1)
    context = QueryContext(sent_at=NOW, product=product, expires_at=NOW + 7200)

    before = _channel(ScriptedUnionPay([_failed_query(number)]), now=NOW + 7199).query(
        number, context=context
    )
    after = _channel(ScriptedUnionPay([_failed_query(number)]), now=NOW + 7200).query(number, context=context)

    assert before.state == TradeState.OPEN
    assert after.state == TradeState.FAILED and after.raw_state == "orig:31"


def test_a_back_transaction_failure_is_final_at_once() -> None:
    number = attempt_out_trade_no(new_payment_id(NOW), 1)
    context = QueryContext(sent_at=NOW, product="unionpay.barcode", expires_at=NOW + 7200)

    trade = _channel(ScriptedUnionPay([_failed_query(number)]), now=NOW + 60).query(number, context=context)

    assert trade.state == TradeState.FAILED


def test_the_qr_code_apply_is_sent_with_the_payments_expiry_as_pay_timeout() -> None:
    http = ScriptedUnionPay([_signed(respCode="00", qrCode="https://qr.95516.com/00010000/1")])
    request = _request("unionpay.qr")

    _channel(http).create(request)

    sent = http.sent[0][1]
    expiry = datetime.fromtimestamp(request.expires_at, CHINA)
    assert (sent["txnSubType"], sent["payTimeout"]) == ("07", expiry.strftime("%Y%m%d%H%M%S"))
    assert len(sent["payTimeout"]) == 14 and sent["payTimeout"] > sent["txnTime"]
