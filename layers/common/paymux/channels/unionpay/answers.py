"""What UnionPay's verified answers and notifies mean, as the official demos define it
(PROTOCOLS.md §3.3, RESEARCH.md §1.3): pure, no I/O, nothing guessed.

- A transaction request's respCode: 00 accepted (not paid: the notify or a query says),
  03/04/05/01/12/34/60 unknown (query later), anything else refused.
- A query's respCode is about the query; with 00, origRespCode is the transaction's: 00 and A6
  succeeded, 03/04/05 still unknown, anything else failed. respCode 34 (no such order) is
  unknown, never failed; 10/11 (a malformed query) is our fault: ChannelUnavailable.
- A front transaction's (gateway, WAP, and the QR code apply: the payer acts after the
  request) failure is final only after its payTimeout: before it the payer may try again and
  pay the same order, so the answer is "not paid yet" (RESEARCH.md §1.3, after the official
  demo's query page `Form_6_5_Query.aspx.cs`: after payTimeout, anything but 00/A6 failed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from paymux.channels.base import RefundErrorClass, RefundResult, RefundState, TradeResult, TradeState
from paymux.channels.unionpay import transform
from paymux.errors import ChannelError, ChannelUnavailable

ACCEPTED = "00"
SUCCEEDED = frozenset({"00", "A6"})  # A6: succeeded with defects (部分成功)
SYNC_UNKNOWN = frozenset({"03", "04", "05", "01", "12", "34", "60"})
QUERY_UNKNOWN = frozenset({"03", "04", "05"})
NOT_FOUND = "34"
MALFORMED_QUERY = frozenset({"10", "11"})

# What each message always carries of the checked fields (docs/channels.md). A notify and a
# query answer name merId and txnAmt; currencyCode is compared when sent. A provider (acquirer)
# message's merId is the sub-merchant's (TradeResult.sub_mchid); its acqInsCode, the
# account's mchid, is compared when present.
CARRIED_FIELDS: dict[str, frozenset[str]] = {
    "callback": frozenset({"amount", "mchid"}),
    "query": frozenset({"amount", "mchid"}),
    "statement": frozenset({"amount", "mchid"}),
}
PROVIDER_CARRIED_FIELDS: dict[str, frozenset[str]] = {
    message: carried - {"mchid"} for message, carried in CARRIED_FIELDS.items()
}

_T, _P, _D = RefundErrorClass.TRANSIENT, RefundErrorClass.NEEDS_PERSON, RefundErrorClass.DEFINITIVE
# respCodes of a refund (04) or undo (31) request (docs/channels.md, "Refund codes").
# The rule: UnionPay's official refund demo (Form_6_4_Refund, the .NET demo kept at
# Varorbc/PaySharp@4ffa9c47:document/银联支付(Unionpay)/upacp_demo_b2c/demo/api_01_gateway/
# Form_6_4_Refund.aspx.cs, the PHP app demo at hectorqin/lpays@ddc5185b:src/libs/upacp_apple_pay/
# demo/api_05_app/Form_6_4_Refund.php): 00 accepted; 03/04/05 "处理超时，请稍后查询" (query,
# then the same message again); "其他应答码做以失败处理". The meanings are those of the spec's
# appendix (《平台接入接口规范-第5部分-附录》, which the demo names; read from public copies of
# its table). Definitive: only codes whose meaning says this request was refused as it stands;
# a code that could mean our own earlier send already moved the money (35, 45) or that we must
# fix (10, 11), and every code not named here, keeps the refund open and reserved for a person.
REFUND_ERRORS: dict[str, RefundErrorClass] = {
    # unknown (the demo's 03/04/05, and 01/12/34/60 of PROTOCOLS.md §3.3): queried, then sent
    # again, the same orderId and txnTime
    **dict.fromkeys(sorted(SYNC_UNKNOWN), _T),
    "02": _T,  # 系统未开放或暂时关闭，请稍后再试: not taken, sent again later
    "06": _T,  # 系统繁忙，请稍后再试
    "37": _T,  # 已超过最大查询次数或操作过于频繁
    "10": _P,  # 报文格式错误: a malformed request, ours to fix
    "11": _P,  # 验证签名失败: the account's key or certificate
    "30": _D,  # 交易未通过
    "31": _D,  # 商户状态不正确
    "32": _D,  # 无此交易权限
    "33": _D,  # 交易金额超限
    "36": _D,  # 与原交易信息不符
    "35": _P,  # 原交易不存在或状态不正确: also what a refunded-in-full original answers
    "45": _P,  # 原交易已被成功退货或已被成功撤销: perhaps by this very refund's first send
}


def outcome_of(fields: Mapping[str, str], what: str) -> None:
    """Raises unless a transaction request's answer is 00 (accepted)."""
    code = fields.get("respCode", "")
    if code == ACCEPTED:
        return
    message = f"UnionPay {what} {code}: {fields.get('respMsg', '')}"
    if code in SYNC_UNKNOWN:
        raise ChannelUnavailable(message, channel_code=code)
    raise ChannelError(message, channel_code=code or "no_respCode")


def app_tn(fields: Mapping[str, str]) -> str:
    """The in-app consume's answer (appTransReq.do): respCode 00 and its tn (交易流水号), which
    the merchant's app passes to UnionPay's app SDK; UnionPay has the order from then on."""
    outcome_of(fields, "app consume")
    tn = fields.get("tn", "")
    if not tn:
        raise ChannelUnavailable("UnionPay accepted the app consume without a tn")
    return tn


def _amount(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def trade_result(
    fields: Mapping[str, str], out_trade_no: str, state: TradeState, raw_state: str, message: str
) -> TradeResult:
    """The trade a verified notify, query answer or payer-code answer describes."""
    paid_at = None
    settle = ""
    named: float | None
    try:
        sent = named = transform.parse_txn_time(fields.get("txnTime", ""))
    except ValueError:
        sent, named = transform.issued_at(out_trade_no), None
    if state == TradeState.PAID:
        paid_at = sent
        # a paid answer without (a readable) settleDate clears on the day its txnTime falls in
        settle = (
            transform.settle_day(fields.get("settleDate", ""), sent)
            or transform.clearing_day(sent).isoformat()
        )
    currency = fields.get("currencyCode", "")
    return TradeResult(
        out_trade_no=str(fields.get("orderId") or out_trade_no),
        state=state,
        amount=_amount(fields.get("txnAmt", "")),
        currency=transform.PROTOCOL_CURRENCY if currency == transform.CURRENCY_CODE else currency,
        channel_trade_no=fields.get("queryId", ""),
        paid_at=paid_at,
        mchid=fields.get("merId", ""),
        raw_state=raw_state,
        carries=CARRIED_FIELDS[message],
        settle_date=settle,
        sent_at=named,
    )


def provider_trade(trade: TradeResult, fields: Mapping[str, str]) -> TradeResult:
    """An acquirer's message: merId is the sub-merchant, acqInsCode the account."""
    return replace(
        trade,
        mchid=fields.get("acqInsCode", ""),
        sub_mchid=fields.get("merId", ""),
        carries=trade.carries - {"mchid"},
    )


def query_trade(
    fields: Mapping[str, str], out_trade_no: str, *, final: bool = True, form_pending: bool = False
) -> TradeResult:
    """A verified query answer about a consume; `final` False for a front transaction asked
    before its payTimeout, whose failure is then OPEN (not paid yet). `form_pending` for a
    gateway/WAP form asked before its payTimeout: no such order (34) is then OPEN too, as
    UnionPay has none until the payer posts the form, which the payer can still do."""
    code = fields.get("respCode", "")
    if code == NOT_FOUND:
        state = TradeState.OPEN if form_pending else TradeState.NOT_FOUND
        return TradeResult(out_trade_no=out_trade_no, state=state, raw_state=code)
    if code in MALFORMED_QUERY or code != ACCEPTED:
        raise ChannelUnavailable(f"UnionPay query {code}: {fields.get('respMsg', '')}", channel_code=code)
    original = fields.get("origRespCode", "")
    if original in SUCCEEDED:
        state = TradeState.PAID
    elif original in QUERY_UNKNOWN or not original:
        state = TradeState.OPEN
    elif not final:
        state = TradeState.OPEN  # the payer may still pay the same order until payTimeout
    else:
        state = TradeState.FAILED  # failed transactions get no notify: this is the word
    return trade_result(fields, out_trade_no, state, f"orig:{original}", "query")


def sync_trade(fields: Mapping[str, str], out_trade_no: str) -> TradeResult | None:
    """A payer-code consume's (01/06) answer: 00/A6 paid, unknown codes None (the back
    ladder asks), anything else failed."""
    code = fields.get("respCode", "")
    if code in SUCCEEDED:
        return trade_result(fields, out_trade_no, TradeState.PAID, code, "query")
    if code in SYNC_UNKNOWN:
        return None
    return trade_result(fields, out_trade_no, TradeState.FAILED, code, "query")


def refund_result(fields: Mapping[str, str], out_refund_no: str, *, queried: bool) -> RefundResult:
    """A verified refund/undo notify (queried False) or query answer (True)."""
    code = fields.get("respCode", "")
    if queried:
        if code == NOT_FOUND:
            return RefundResult(out_refund_no=out_refund_no, state=RefundState.NOT_FOUND, raw_status=code)
        if code != ACCEPTED:
            raise ChannelUnavailable(f"UnionPay refund query {code}", channel_code=code)
        code = fields.get("origRespCode", "")
    if code in SUCCEEDED:
        state = RefundState.SUCCESS
    elif code in QUERY_UNKNOWN or not code:
        state = RefundState.PROCESSING
    else:
        state = RefundState.FAILED
    try:
        sent: float | None = transform.parse_txn_time(fields.get("txnTime", ""))
    except ValueError:
        sent = None
    return RefundResult(
        out_refund_no=str(fields.get("orderId") or out_refund_no),
        state=state,
        amount=_amount(fields.get("txnAmt", "")),
        channel_refund_no=fields.get("queryId", ""),
        succeeded_at=sent if state == RefundState.SUCCESS else None,
        raw_status=code,
        settle_date=transform.settle_day(fields.get("settleDate", ""), sent) if sent else "",
        sent_at=sent,
    )
