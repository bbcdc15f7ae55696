"""alipay.barcode: the payer's Alipay payment code (付款码), charged by `alipay.trade.pay` with
`scene=bar_code`, and reversed by `alipay.trade.cancel` (PROTOCOLS.md §2; docs/channels.md).
Pure: the client (channels/alipay/client.py) sends what this builds and hands back the
verified answers.

trade.pay answers (a signed answer only: an unsigned one is never believed, whatever it says,
because the request itself may have charged the payer):
- 10000: paid (trade_no, total_amount, gmt_payment, buyer_user_id);
- 10003: WAIT_BUYER_PAY, the payer is confirming (a password): the query ladder follows;
- 20000, ACQ.SYSTEM_ERROR, and 40004 codes that name an earlier trade of the same number
  (ACQ.TRADE_HAS_SUCCESS, ACQ.CONTEXT_INCONSISTENT) or none of `DEFINITE_FAILURES`: outcome
  unknown, the query ladder follows (and the reversal at its end);
- 40004 with one of `DEFINITE_FAILURES` (a bad or expired code, no funds, risk refusal, …):
  nothing was charged, the payment fails at once.

trade.cancel answers 10000 with `retry_flag` (Y: call again) and `action` (close: an unpaid
trade was closed; refund: a paid one was refunded to the payer; empty: nothing to do)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from paymux.channels.alipay import transform
from paymux.channels.base import CreateRequest, TradeResult, TradeState
from paymux.domain.money import fen_to_yuan
from paymux.errors import ChannelUnavailable

PRODUCT = "alipay.barcode"
PAY_METHOD = "alipay.trade.pay"
CANCEL_METHOD = "alipay.trade.cancel"
PAID, USER_PAYING, UNKNOWN = "10000", "10003", "20000"
# Every 5 s for a minute: the payer confirms on the phone, then the trade is cancelled.
LADDER: tuple[float, ...] = tuple(float(s) for s in range(5, 61, 5))
# 40004 sub_codes after which Alipay holds no charge of the code (its trade.pay error codes).
DEFINITE_FAILURES = frozenset(
    {
        "ACQ.PAYMENT_AUTH_CODE_INVALID",
        "ACQ.BUYER_BALANCE_NOT_ENOUGH",
        "ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH",
        "ACQ.ERROR_BALANCE_PAYMENT_DISABLE",
        "ACQ.BUYER_SELLER_EQUAL",
        "ACQ.TRADE_BUYER_NOT_MATCH",
        "ACQ.BUYER_ENABLE_STATUS_FORBID",
        "ACQ.PAYMENT_FAIL",
        "ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR",
        "ACQ.BUYER_PAYMENT_AMOUNT_MONTH_LIMIT_ERROR",
        "ACQ.PAYMENT_REQUEST_HAS_RISK",
        "ACQ.NO_PAYMENT_INSTRUMENTS_AVAILABLE",
        "ACQ.USER_FACE_PAYMENT_SWITCH_OFF",
        "ACQ.TRADE_HAS_CLOSE",
        "ACQ.INVALID_PARAMETER",
        "ACQ.TOTAL_FEE_EXCEED",
    }
)


def pay_content(request: CreateRequest) -> dict[str, Any]:
    auth_code = request.payer.get("auth_code", "")
    if not auth_code:
        raise ChannelUnavailable("alipay.barcode needs payer.auth_code")  # checked at the API first
    return {
        "out_trade_no": request.out_trade_no,
        "scene": "bar_code",
        "auth_code": auth_code,
        "product_code": "FACE_TO_FACE_PAYMENT",
        "subject": transform.biz_content(replace(request, product="alipay.qr"))["subject"],
        "total_amount": fen_to_yuan(request.amount),
    }


def pay_outcome(answer: Mapping[str, Any], request: CreateRequest) -> TradeResult | None:
    """A verified trade.pay answer: PAID, FAILED, or None (unknown or waiting: the ladder asks)."""
    code, sub_code = str(answer.get("code", "")), str(answer.get("sub_code") or "")
    if code == PAID:
        fields = {"trade_status": "TRADE_SUCCESS", **answer}
        return transform.trade_result(fields, request.out_trade_no, message="query")
    if code == "40004" and sub_code in DEFINITE_FAILURES:
        return TradeResult(
            out_trade_no=request.out_trade_no,
            state=TradeState.FAILED,
            raw_state=sub_code,
            carries=frozenset(),
        )
    return None  # 10003 WAIT_BUYER_PAY, 20000, system errors, unknown codes: asked again


def failure_message(answer: Mapping[str, Any]) -> str:
    return str(answer.get("sub_msg") or answer.get("msg") or "")


def cancel_outcome(answer: Mapping[str, Any]) -> str:
    """A verified trade.cancel answer of code 10000: what Alipay did ("closed", "refunded",
    "reversed"); retry_flag Y raises ChannelUnavailable (it is sent again)."""
    if answer.get("retry_flag") == "Y":
        raise ChannelUnavailable("Alipay asks for the cancel to be sent again (retry_flag=Y)")
    action = str(answer.get("action") or "")
    return {"close": "closed", "refund": "refunded"}.get(action, "reversed")
