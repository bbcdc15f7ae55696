"""The e-CNY partner-adapter interface, and the channel every adapter is used through.

An acquirer (Huifu 斗拱 today: paymux.channels.huifu) speaks its own protocol; what paymux needs
of it is `EcnyAcquirer`. `EcnyChannel` is the paymux Channel on top, with what is e-CNY's
rather than any acquirer's:

- products `ecny.qr` (a QR code the payer scans with a wallet app) and `ecny.barcode` (the
  payer's wallet code, read by the cashier: the create itself charges it);
- no close: the acquirers found do not close an e-CNY order (Huifu: "银联、数字货币订单不支持
  关单"). An unpaid order lapses at its expiry, which the create sends; queries tell the rest,
  and a payment that arrives after paymux closed the order is refunded automatically
  (services/duplicates, PAID_AFTER_CLOSE);
- a payer code's pending answer is confirmed by queries (the payer-code ladder, 5 s … 60 s);
  on its timeout there is no reversal to send (none is in Huifu's public API, and its close
  excludes e-CNY): the order is queried until it is final, and refunded if it was paid after
  paymux gave up on it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any, ClassVar, Literal, Protocol

from paymux.channels.base import (
    CallbackEvent,
    ChannelAccount,
    CreateRequest,
    CreateResult,
    HttpReply,
    QueryContext,
    RefundErrorTable,
    RefundQueryContext,
    RefundRequest,
    RefundResult,
    StatementFile,
    StatementRow,
    SubMerchant,
    TextLimit,
    TradeResult,
)
from paymux.channels.http import HttpClient
from paymux.clock import Clock

QR, PAYER_CODE = "ecny.qr", "ecny.barcode"


class EcnyAcquirer(Protocol):
    """One acquirer's e-CNY API, already signed and verified: every method raises a
    ChannelError (ChannelUnavailable when the outcome is unknown), never returns "invalid"."""

    def create_qr(self, request: CreateRequest) -> str:
        """The code the payer scans (its URL text)."""
        ...

    def create_payer_code(self, request: CreateRequest) -> TradeResult | None:
        """Charges `request.payer["auth_code"]`: the trade when the answer says it (paid or
        failed), None when the payer still confirms it in the wallet."""
        ...

    def query(self, out_trade_no: str, context: QueryContext) -> TradeResult: ...
    def callback_trade(self, trade: TradeResult, context: QueryContext) -> TradeResult:
        """A verified notify's trade in its attempt's context (an expiry that changes what F means)."""
        ...

    def refund(self, request: RefundRequest) -> RefundResult: ...
    def query_refund(self, out_refund_no: str, context: RefundQueryContext) -> RefundResult: ...

    def verify_notify(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """A notify verified (CallbackRejected on anything wrong) and read."""
        ...

    def notify_reply(self, event: CallbackEvent | None, error: Exception | None) -> HttpReply: ...
    def fetch_statement(self, bill_date: date) -> StatementFile | None: ...


class EcnyChannel:
    """A paymux Channel over an EcnyAcquirer (`_acquirer`, made by the subclass)."""

    amount_unit: Literal["fen", "yuan"] = "yuan"
    products = frozenset({QR, PAYER_CODE})
    charging_products = frozenset({PAYER_CODE})
    create_limits: tuple[TextLimit, ...] = ()
    refund_limits: tuple[TextLimit, ...] = ()
    query_rate_per_second = 10.0
    query_concurrency = 4
    provider: ClassVar[str]
    refund_errors: ClassVar[RefundErrorTable]
    carried_fields: Mapping[str, frozenset[str]]
    _acquirer: EcnyAcquirer

    def __init__(
        self,
        account: ChannelAccount,
        credentials: Mapping[str, Any],
        http: HttpClient,
        clock: Clock,
        sub_merchant: SubMerchant | None = None,
    ) -> None:
        self._account = account
        self._clock = clock

    def create(self, request: CreateRequest) -> CreateResult:
        if request.product == PAYER_CODE:
            trade = self._acquirer.create_payer_code(request)
            return CreateResult({"type": "payer_code"}, trade=trade)
        return CreateResult({"type": "qr_code", "code_url": self._acquirer.create_qr(request)})

    def query(self, out_trade_no: str, *, context: QueryContext | None = None) -> TradeResult:
        return self._acquirer.query(out_trade_no, context or QueryContext())

    def close(self, out_trade_no: str) -> None:
        """Nothing is sent: e-CNY orders cannot be closed at the acquirer (module docstring);
        the caller's query after close says whether it was paid meanwhile."""

    def refund(self, request: RefundRequest) -> RefundResult:
        return self._acquirer.refund(request)

    def query_refund(
        self, out_refund_no: str, out_trade_no: str = "", *, context: RefundQueryContext | None = None
    ) -> RefundResult:
        return self._acquirer.query_refund(out_refund_no, context or RefundQueryContext())

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        return self._acquirer.verify_notify(headers, body)

    def callback_ack(self, error: Exception | None) -> HttpReply:
        return self._acquirer.notify_reply(None, error)

    def callback_trade(self, trade: TradeResult, context: QueryContext) -> TradeResult:
        """A verified callback's trade as its attempt's context makes it (services/callbacks)."""
        return self._acquirer.callback_trade(trade, context)

    def event_ack(self, event: CallbackEvent, error: Exception | None) -> HttpReply:
        """The answer to a verified notify (Huifu's names its req_seq_id)."""
        return self._acquirer.notify_reply(event, error)

    def download_statement(self, bill_date: date) -> Iterator[StatementRow]:
        bill = self.fetch_statement(bill_date)
        if bill is not None:
            yield from bill.rows

    def fetch_statement(self, bill_date: date) -> StatementFile | None:
        return self._acquirer.fetch_statement(bill_date)

    @property
    def account(self) -> ChannelAccount:
        return self._account
