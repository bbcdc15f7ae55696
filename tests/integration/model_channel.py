"""A model of a payment channel for property tests: the channel's own truth about trades and
refunds, kept independently of paymux, with the faults real channels have.

It behaves like WeChat Pay where it matters to the state machines: creates and refunds are
idempotent on their out_ numbers, a paid trade cannot be closed, a closed trade cannot be paid,
refunds never exceed what was paid, a refund may end ABNORMAL (the money left the merchant but
did not reach the payer) and later SUCCESS. Faults: a request lost before the channel applies it,
an answer lost after it applied it (both look like a timeout to paymux), a transient refusal
(system error), callbacks lost, duplicated and delivered late, out of order."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from paymux.channels.base import (
    CallbackEvent,
    ChannelAccount,
    CreateRequest,
    CreateResult,
    HttpReply,
    RefundRequest,
    RefundResult,
    RefundState,
    StatementFile,
    StatementRow,
    TradeResult,
    TradeState,
)
from paymux.channels.wechat import transform as wechat_transform
from paymux.errors import CallbackRejected, ChannelError, ChannelUnavailable

NEXT_CREATE = "<next create>"  # a fault for an order not created yet
NEXT_REFUND = "<next refund>"  # ... and for a refund not placed yet
NEXT_CALL = "<next call>"  # the next call of any kind (a sweep's order is the due index's)
Fault = Literal["none", "lost_request", "lost_answer", "system_error", "refused", "no_permission"]
# Refusals, by the codes WeChat Pay gives them: transient, definitive, and one a person must fix.
REFUSALS = {
    "system_error": "SYSTEM_ERROR",
    "refused": "INVALID_REQUEST",
    "no_permission": "NO_AUTH",
}


@dataclass
class ModelTrade:
    out_trade_no: str
    amount: int
    state: TradeState = TradeState.OPEN
    channel_trade_no: str = ""
    paid_at: float | None = None


@dataclass
class ModelRefund:
    out_refund_no: str
    out_trade_no: str
    amount: int
    state: RefundState = RefundState.PROCESSING
    channel_refund_no: str = ""


@dataclass
class ModelChannelState:
    """What the channel knows, shared by every client built for the account."""

    trades: dict[str, ModelTrade] = field(default_factory=dict)
    refunds: dict[str, ModelRefund] = field(default_factory=dict)
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # sent, not yet delivered
    # The next call about a trade or refund (by its out_ number) meets this fault: keyed by
    # subject so that a replay hits the same call whatever order a sweep takes.
    faults: dict[str, Fault] = field(default_factory=dict)
    sequence: int = 0
    # Alipay's precreate: the trade exists only once a payer scans the code, so a close
    # before that finds nothing to close, and the code can still be paid afterwards.
    trade_on_scan: bool = False
    offered: dict[str, int] = field(default_factory=dict)  # QR codes handed out: amount
    expires: dict[str, float] = field(default_factory=dict)  # ... and when they expire

    def take_fault(self, subject: str) -> Fault:
        return self.faults.pop(NEXT_CALL, None) or self.faults.pop(subject, "none")

    def number(self, prefix: str) -> str:
        self.sequence += 1
        return f"{prefix}{self.sequence:08d}"

    # -- what happens at the channel without paymux asking -----------------------------------
    def pay(self, out_trade_no: str, now: float) -> bool:
        if now > self.expires.get(out_trade_no, 0):
            return False  # an expired code cannot be paid (WeChat's time_expire, Alipay's timeout)
        if self.trade_on_scan and out_trade_no in self.offered and out_trade_no not in self.trades:
            self.trades[out_trade_no] = ModelTrade(out_trade_no, self.offered[out_trade_no])
        trade = self.trades.get(out_trade_no)
        if trade is None or trade.state != TradeState.OPEN:
            return False  # nothing to pay: unknown, closed, or paid already
        trade.state, trade.paid_at = TradeState.PAID, now
        trade.channel_trade_no = self.number("42000")
        self.callbacks.append({"kind": "payment", "out_trade_no": out_trade_no, "id": self.number("EV")})
        return True

    def settle_refund(self, out_refund_no: str, outcome: RefundState) -> bool:
        """PROCESSING → SUCCESS or ABNORMAL (the money left the merchant's balance, the payer's
        card refused it); ABNORMAL → SUCCESS (re-issued, or the bank took it after all)."""
        refund = self.refunds.get(out_refund_no)
        allowed = {
            RefundState.PROCESSING: {RefundState.SUCCESS, RefundState.ABNORMAL},
            RefundState.ABNORMAL: {RefundState.SUCCESS},
        }
        if refund is None or outcome not in allowed.get(refund.state, set()):
            return False
        refund.state = outcome
        self.callbacks.append({"kind": "refund", "out_refund_no": out_refund_no, "id": self.number("EV")})
        return True

    def refunded(self, out_trade_no: str) -> int:
        """Money committed to refunds of a trade (every refund that is not refused)."""
        return sum(r.amount for r in self.refunds.values() if r.out_trade_no == out_trade_no)

    def raw_refund_status(self, refund: ModelRefund) -> str:
        return refund.state.value


class ModelChannel:
    """The client paymux talks to: each call may meet the state's next fault."""

    provider = "wechat"
    amount_unit: Literal["fen", "yuan"] = "fen"
    products = frozenset({"wechat.native"})
    # it speaks WeChat Pay's codes and carries what WeChat Pay's messages carry
    refund_errors = wechat_transform.REFUND_ERRORS
    carried_fields = wechat_transform.CARRIED_FIELDS
    create_limits = wechat_transform.CREATE_LIMITS
    refund_limits = wechat_transform.REFUND_LIMITS

    def __init__(self, account: ChannelAccount, state: ModelChannelState, clock: Any) -> None:
        self._account = account
        self._state = state
        self._clock = clock
        self.notify_urls: list[str] = []

    def _call[T](self, subject: str, apply: Any) -> T:
        fault = self._state.take_fault(subject)
        if fault == "lost_request":
            raise ChannelUnavailable("model: the request timed out before the channel saw it")
        if fault in REFUSALS:
            raise ChannelError(f"model: refused ({fault})", channel_code=REFUSALS[fault])
        result: T = apply()
        if fault == "lost_answer":
            raise ChannelUnavailable("model: the answer was lost after the channel applied it")
        return result

    def create(self, request: CreateRequest) -> CreateResult:
        def apply() -> CreateResult:
            self._state.offered.setdefault(request.out_trade_no, request.amount)
            self._state.expires.setdefault(request.out_trade_no, request.expires_at)
            if not self._state.trade_on_scan:
                self._state.trades.setdefault(
                    request.out_trade_no, ModelTrade(request.out_trade_no, request.amount)
                )
            return CreateResult({"type": "qr_code", "code_url": f"weixin://model/{request.out_trade_no}"})

        self.notify_urls.append(request.notify_url)
        subject = NEXT_CREATE if NEXT_CREATE in self._state.faults else request.out_trade_no
        return self._call(subject, apply)

    def trade_result(self, out_trade_no: str) -> TradeResult:
        trade = self._state.trades.get(out_trade_no)
        if trade is None:
            return TradeResult(out_trade_no, TradeState.NOT_FOUND)
        return TradeResult(
            out_trade_no,
            trade.state,
            amount=trade.amount,
            currency="CNY",
            channel_trade_no=trade.channel_trade_no,
            paid_at=trade.paid_at,
            mchid=self._account.mchid,
            appid=self._account.appid,
            raw_state={TradeState.PAID: "SUCCESS", TradeState.OPEN: "NOTPAY"}.get(trade.state, "CLOSED"),
        )

    def query(self, out_trade_no: str, *, context: object = None) -> TradeResult:
        return self._call(out_trade_no, lambda: self.trade_result(out_trade_no))

    def close(self, out_trade_no: str) -> None:
        def apply() -> None:
            trade = self._state.trades.get(out_trade_no)
            if trade is not None and trade.state == TradeState.PAID:
                raise ChannelError("model: order paid", channel_code="ORDERPAID")
            if trade is not None:
                trade.state = TradeState.CLOSED

        self._call(out_trade_no, apply)

    def refund_result(self, out_refund_no: str) -> RefundResult:
        refund = self._state.refunds.get(out_refund_no)
        if refund is None:
            return RefundResult(out_refund_no, RefundState.NOT_FOUND)
        raw = self._state.raw_refund_status(refund)
        return RefundResult(
            out_refund_no,
            refund.state,
            amount=refund.amount,
            channel_refund_no=refund.channel_refund_no,
            raw_status=raw,
        )

    def refund(self, request: RefundRequest) -> RefundResult:
        def apply() -> RefundResult:
            existing = self._state.refunds.get(request.out_refund_no)
            if existing is not None:
                return self.refund_result(request.out_refund_no)
            trade = self._state.trades.get(request.out_trade_no)
            if trade is None or trade.state != TradeState.PAID:
                raise ChannelError("model: trade not paid", channel_code="RESOURCE_NOT_EXISTS")
            if self._state.refunded(request.out_trade_no) + request.amount > trade.amount:
                raise ChannelError("model: refund exceeds the paid amount", channel_code="INVALID_REQUEST")
            self._state.refunds[request.out_refund_no] = ModelRefund(
                request.out_refund_no,
                request.out_trade_no,
                request.amount,
                channel_refund_no=self._state.number("50300"),
            )
            return self.refund_result(request.out_refund_no)

        self.notify_urls.append(request.notify_url)
        subject = NEXT_REFUND if NEXT_REFUND in self._state.faults else request.out_refund_no
        if request.out_refund_no in self._state.refunds and self._state.faults.get(subject) == "refused":
            del self._state.faults[subject]  # a replay of a refund it holds is never refused for good
        return self._call(subject, apply)

    def query_refund(self, out_refund_no: str, out_trade_no: str, *, context: object = None) -> RefundResult:
        return self._call(out_refund_no, lambda: self.refund_result(out_refund_no))

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        try:
            message = json.loads(body)
        except ValueError as exc:
            raise CallbackRejected("model: not a callback") from exc
        if message["kind"] == "payment":
            return CallbackEvent(message["id"], "payment", trade=self.trade_result(message["out_trade_no"]))
        return CallbackEvent(message["id"], "refund", refund=self.refund_result(message["out_refund_no"]))

    def callback_ack(self, error: Exception | None) -> HttpReply:
        if error is None:
            return HttpReply(204)
        return HttpReply(401 if isinstance(error, CallbackRejected) else 500, '{"code":"FAIL"}')

    def download_statement(self, bill_date: date) -> Iterator[StatementRow]:
        return iter(())

    def fetch_statement(self, bill_date: date) -> StatementFile | None:
        return None
