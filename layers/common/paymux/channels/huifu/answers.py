"""What Huifu 斗拱's verified answers and notifies mean (pure, no I/O, nothing guessed).

Sources: huifurepo/dg-payment-skills `huifu-pay-integration/references/` (aggregation-order-
response.md, aggregation-query-payment-query.md, aggregation-refund.md, aggregation-refund-
query.md, aggregation-async-webhook.md) and the micropay codes of the public PHP wrapper of
the official API (cccdl/dougong-pay `PaymentMicropay.php`).

- `resp_code` is about the request: 00000000 accepted, 00000100 in process; neither is a
  payment. `trans_stat` is the trade's word: S succeeded, F failed, P in process, I initial.
- A query's 23000001 (交易不存在) is NOT_FOUND; 91111119 (通道异常), 98888888 and 99999999
  (系统错误/异常) and 20000001 (并发冲突) are no usable answer: ChannelUnavailable.
- A create refused with a 1xxxxxxx or 2xxxxxxx code (parameters, product or merchant
  configuration) made nothing at Huifu: another account may be tried. A payer code refused
  with 90000000 (付款码无效/已过期/交易存在风险) is a failed payment. Any other code of a
  micropay's verified answer is one Huifu documents no meaning of for a payer code: the code
  may have been charged, so it is pending and the payer-code ladder's queries decide.
- A failed (F) QR code past its expiry timed out unpaid (CLOSED, watched for a late payment),
  whether a query or a notify says it; before its expiry a failure is a failure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from paymux.channels.base import RefundErrorClass, RefundResult, RefundState, TradeResult, TradeState
from paymux.channels.huifu import transform
from paymux.errors import ChannelError, ChannelUnavailable

ACCEPTED = frozenset({"00000000", "00000100"})
NOT_FOUND = "23000001"
UNAVAILABLE = frozenset({"91111119", "98888888", "99999999", "20000001"})
PAYER_CODE_REFUSED = "90000000"
REFUND_TRANS_TYPE = "TRANS_REFUND"  # a refund query's trade_type (and, unconfirmed, its notify's)

# What each message always carries of the checked fields: huifu_id and trans_amt (ord_amt for
# a refund). Huifu names no currency (CNY only); a provider message's huifu_id is the
# sub-merchant's (TradeResult.sub_mchid), so it carries no account id of its own.
CARRIED_FIELDS: dict[str, frozenset[str]] = {
    "callback": frozenset({"amount", "mchid"}),
    "query": frozenset({"amount", "mchid"}),
    "statement": frozenset({"amount", "mchid"}),
}
PROVIDER_CARRIED_FIELDS: dict[str, frozenset[str]] = {m: c - {"mchid"} for m, c in CARRIED_FIELDS.items()}

_T, _P, _D = RefundErrorClass.TRANSIENT, RefundErrorClass.NEEDS_PERSON, RefundErrorClass.DEFINITIVE
# A refund request's refusals (aggregation-refund-query.md's codes; the refund page lists
# none of its own): busy and system errors are sent again; a malformed request, or an
# original Huifu does not find, is for a person; nothing else is guessed.
REFUND_ERRORS: dict[str, RefundErrorClass] = {
    "91111119": _T,
    "98888888": _T,
    "99999999": _T,
    "20000001": _T,
    "10000000": _P,
    "21000000": _P,
    "22000000": _P,
    "23000001": _P,
    "23000003": _D,  # 金额不足/超过可退金额: refused as it stands
}

_STATES = {"S": TradeState.PAID, "F": TradeState.FAILED, "P": TradeState.OPEN, "I": TradeState.OPEN}
_REFUND_STATES = {
    "S": RefundState.SUCCESS,
    "F": RefundState.FAILED,
    "P": RefundState.PROCESSING,
    "I": RefundState.PROCESSING,
}


def code_of(data: Mapping[str, Any]) -> str:
    return str(data.get("resp_code", ""))


def refusal(data: Mapping[str, Any], what: str) -> ChannelError:
    """The error a not-accepted answer is (resp_code outside ACCEPTED)."""
    code = code_of(data)
    message = f"Huifu {what} {code}: {data.get('resp_desc', '')}"
    if code in UNAVAILABLE or not code:
        return ChannelUnavailable(message, channel_code=code)
    nothing_made = code[:1] in ("1", "2")
    return ChannelError(message, channel_code=code, retryable_elsewhere=nothing_made)


def trade_result(data: Mapping[str, Any], out_trade_no: str, state: TradeState, message: str) -> TradeResult:
    paid_at = transform.parse_time(str(data.get("end_time", ""))) if state == TradeState.PAID else None
    return TradeResult(
        out_trade_no=str(data.get("req_seq_id") or out_trade_no),
        state=state,
        amount=transform.fen(str(data.get("trans_amt", ""))),
        channel_trade_no=str(data.get("hf_seq_id", "")),
        paid_at=paid_at,
        mchid=str(data.get("huifu_id", "")),
        raw_state=f"{code_of(data)}/{data.get('trans_stat', '')}",
        carries=CARRIED_FIELDS[message],
    )


def stated(data: Mapping[str, Any], out_trade_no: str, message: str, *, expired: bool) -> TradeResult:
    """The trade a verified query answer or notify says (trans_stat). A failed QR code past
    its expiry is closed (it timed out unpaid); a failure before it is a failure."""
    state = _STATES.get(str(data.get("trans_stat", "")))
    if state is None:
        raise ChannelUnavailable(f"Huifu trans_stat {data.get('trans_stat')!r} is not one it documents")
    return timed_out(trade_result(data, out_trade_no, state, message), expired=expired)


def timed_out(trade: TradeResult, *, expired: bool) -> TradeResult:
    """A failed trade of a QR code past its expiry is closed: it timed out unpaid."""
    return replace(trade, state=TradeState.CLOSED) if trade.state == TradeState.FAILED and expired else trade


def query_trade(data: Mapping[str, Any], out_trade_no: str, *, expired: bool) -> TradeResult:
    code = code_of(data)
    if code == NOT_FOUND:
        return TradeResult(out_trade_no=out_trade_no, state=TradeState.NOT_FOUND, raw_state=code)
    if code not in ACCEPTED:
        raise refusal(data, "query")
    return stated(data, out_trade_no, "query", expired=expired)


def payer_code_trade(data: Mapping[str, Any], out_trade_no: str) -> TradeResult | None:
    """A micropay answer: S paid, F (or 90000000) failed, P None (the payer confirms in the
    wallet: the payer-code ladder asks). A code that made nothing (1xxxxxxx, 2xxxxxxx) or is no
    usable answer raises; any other code may have charged the payer's code: None, the ladder
    asks, never a failure (a failed payment is not watched)."""
    code = code_of(data)
    if code == PAYER_CODE_REFUSED:
        return trade_result(data, out_trade_no, TradeState.FAILED, "query")
    if not code or code in UNAVAILABLE or code[:1] in ("1", "2"):
        raise refusal(data, "micropay")
    if code not in ACCEPTED:
        return None
    trade = stated(data, out_trade_no, "query", expired=False)
    return None if trade.state == TradeState.OPEN else trade


def refund_result(data: Mapping[str, Any], out_refund_no: str, *, queried: bool) -> RefundResult:
    """A refund's answer, query answer (queried: the number is org_req_seq_id) or notify."""
    code = code_of(data)
    if queried and code == NOT_FOUND:
        return RefundResult(out_refund_no=out_refund_no, state=RefundState.NOT_FOUND, raw_status=code)
    if code not in ACCEPTED:
        raise refusal(data, "refund")
    channel = str(data.get("pay_channel", ""))
    if channel and channel != transform.ECNY_PAY_CHANNEL:
        raise ChannelUnavailable(f"Huifu refund {out_refund_no} is of pay_channel {channel}, not e-CNY (D)")
    stat = str(data.get("trans_stat", ""))
    state = _REFUND_STATES.get(stat, RefundState.PROCESSING)
    number = data.get("org_req_seq_id") if queried else data.get("req_seq_id")
    finished = transform.parse_time(str(data.get("trans_finish_time", "")))
    return RefundResult(
        out_refund_no=str(number or out_refund_no),
        state=state,
        amount=transform.fen(str(data.get("ord_amt", ""))),
        channel_refund_no=str(data.get("org_hf_seq_id" if queried else "hf_seq_id", "")),
        succeeded_at=finished if state == RefundState.SUCCESS else None,
        raw_status=f"{code}/{stat}",
    )
