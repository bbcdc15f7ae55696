"""The interface every provider implements, and the normalised values crossing it.

Amounts crossing this interface are always integer fen; each provider converts to its own unit
(`amount_unit`) inside its transform module."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable


class TradeState(StrEnum):
    """A channel's view of one attempt, mapped exhaustively from each provider's own states."""

    NOT_FOUND = "NOT_FOUND"  # the channel has no such order (yet)
    OPEN = "OPEN"  # created, not paid
    PAID = "PAID"  # money taken (even if refunded since)
    CLOSED = "CLOSED"  # closed/revoked without payment
    FAILED = "FAILED"


AccountMode = Literal["direct", "provider"]


@dataclass(frozen=True, slots=True)
class SubMerchant:
    """The merchant a provider-mode account acts for (one binding). Its names follow the
    channel: WeChat Pay's `sub_mchid`/`sub_appid`; for an Alipay third-party application the
    authorizing merchant's `user_id` (2088…, a notify's seller_id) and its `auth_app_id`, with
    its `app_auth_token` (kept in Secrets Manager, never in DynamoDB); for UnionPay the merId an
    acquirer assigned."""

    binding_id: str
    merchant_id: str
    sub_mchid: str = ""
    sub_appid: str = ""
    app_auth_token: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class ChannelAccount:
    """One merchant account at a provider, as configured (credentials are fetched separately).
    `direct`: the merchant `owner`'s own account; `provider`: paymux's service-provider account,
    used only on behalf of a bound sub-merchant (SubMerchant)."""

    account_id: str
    provider: str
    products: tuple[str, ...]
    mchid: str
    appid: str
    base_url: str
    weight: int = 1
    enabled: bool = True
    priority: int = 100
    fee_rate: str = "0.0060"
    mode: AccountMode = "direct"
    owner: str = ""  # the merchant a direct account belongs to ("" on a provider account)


@dataclass(frozen=True, slots=True)
class TextLimit:
    """The most a channel takes in one of its text fields, filled from the merchant request's
    `field` (a dotted path, e.g. `subject`). WeChat Pay counts UTF-8 bytes, Alipay characters:
    each channel's transform declares its own, and requests are checked against them before
    anything is written (paymux.services.channel_limits)."""

    field: str
    channel_field: str
    maximum: int
    unit: Literal["bytes", "characters"]

    def size(self, text: str) -> int:
        return len(text.encode("utf-8")) if self.unit == "bytes" else len(text)


@dataclass(frozen=True, slots=True)
class CreateRequest:
    out_trade_no: str
    product: str
    amount: int
    currency: str
    subject: str
    notify_url: str
    expires_at: float
    return_url: str = ""
    payer: Mapping[str, str] = field(default_factory=dict)
    attach: str = ""
    # when the request is sent, as stored with the attempt before it is sent (UnionPay's
    # txnTime, which a query must name again); None: the channel takes its own clock
    sent_at: float | None = None


# The fields of a channel's word about a trade that are checked against the order and its
# account before it changes anything (services/outcomes.check_trade), with their names.
CHECKED_FIELD_LABELS = {"amount": "amount", "currency": "currency", "mchid": "merchant id", "appid": "app id"}
CHECKED_FIELDS: frozenset[str] = frozenset(CHECKED_FIELD_LABELS)


@dataclass(frozen=True, slots=True)
class TradeResult:
    """A channel's word about one attempt. Absent fields are None/"" (never a default value).
    `carries` names the checked fields this kind of message always has (each transform says
    which, per message type; docs/channels.md lists them): a PAID result missing one of them is
    incomplete and never applied. A field outside `carries` is still compared when present."""

    out_trade_no: str
    state: TradeState
    amount: int | None = None
    currency: str = ""
    channel_trade_no: str = ""
    paid_at: float | None = None
    mchid: str = ""
    appid: str = ""
    raw_state: str = ""
    carries: frozenset[str] = CHECKED_FIELDS
    # provider mode: the sub-merchant the channel says the trade belongs to (SubMerchant names)
    sub_mchid: str = ""
    sub_appid: str = ""
    # the channel's clearing day (ISO YYYY-MM-DD) when its message names one (UnionPay's
    # settleDate): a payment is reconciled on this day's statement, not on its paid day
    settle_date: str = ""
    # when the attempt's request was sent, as the channel's message names it (UnionPay's
    # txnTime), None when it names none: checked against the send time stored with the attempt
    sent_at: float | None = None


@dataclass(frozen=True, slots=True)
class CreateResult:
    """What the payer needs to pay, e.g. {"type": "qr_code", "code_url": …}. `trade`: the
    channel's word about the trade when its create answer already says one (a payer-presented
    code is paid, failed or unknown synchronously); the services apply it exactly like a query
    answer, checks included. None when the create only starts the payment."""

    action: dict[str, Any]
    trade: TradeResult | None = None


class RefundState(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    PROCESSING = "PROCESSING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"  # definitive: nothing was (or will be) refunded
    ABNORMAL = "ABNORMAL"  # the money left the merchant but did not reach the payer


class RefundErrorClass(StrEnum):
    """What a channel's refusal of a refund request means (each channel's transform declares
    its table): only a DEFINITIVE one fails the refund; a TRANSIENT one is retried with the same
    out_refund_no and backoff; NEEDS_PERSON (and any code a table does not name) keeps the refund
    open, its reservation held, for an operator. Nothing is guessed."""

    DEFINITIVE = "definitive"
    TRANSIENT = "transient"
    NEEDS_PERSON = "needs_person"


RefundErrorTable = Mapping[str, RefundErrorClass]  # channel code ("isp.*": a prefix) → class


def classify_refund_error(table: RefundErrorTable, code: str, *, outcome_unknown: bool) -> RefundErrorClass:
    """No usable answer (timeout, 5xx, unverifiable) is transient whatever its code."""
    if outcome_unknown:
        return RefundErrorClass.TRANSIENT
    if code in table:
        return table[code]
    prefixes = (k[:-1] for k in table if k.endswith("*"))
    match = max((p for p in prefixes if code.startswith(p)), key=len, default=None)
    return table[match + "*"] if match is not None else RefundErrorClass.NEEDS_PERSON


@dataclass(frozen=True, slots=True)
class RefundRequest:
    out_trade_no: str
    out_refund_no: str
    amount: int
    total: int  # the payment's amount (WeChat wants it with every refund)
    currency: str
    reason: str
    notify_url: str
    # what some channels refund by (UnionPay: origQryId, undo on the payment's clearing day)
    product: str = ""
    channel_trade_no: str = ""
    paid_at: float | None = None
    settle_date: str = ""  # the payment's clearing day (TradeResult.settle_date), "" if none
    # when the refund was asked for: what a channel decides by must not change when the same
    # refund is sent again later (UnionPay: undo or refund, by the clearing day it was asked on)
    requested_at: float | None = None
    # when the refund was first sent, as stored with it before that (UnionPay's txnTime): every
    # resend of the same refund sends this again, so it stays the same message
    sent_at: float | None = None


@dataclass(frozen=True, slots=True)
class QueryContext:
    """What paymux stored about an attempt when it sent it, for a channel whose query names
    more than the number (UnionPay: orderId + the original txnTime) or whose answer means
    something else before the payment's expiry (UnionPay's front transactions: a failure before
    payTimeout is "not paid yet"). Channels that need none of it ignore it."""

    sent_at: float | None = None  # when the attempt's create was sent (CreateRequest.sent_at)
    product: str = ""  # the attempt's product
    expires_at: float | None = None  # the payment's expiry (what a front order's payTimeout was)


@dataclass(frozen=True, slots=True)
class RefundQueryContext:
    """What paymux stored about a refund when it sent it (RefundRequest.sent_at)."""

    sent_at: float | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    out_refund_no: str
    state: RefundState
    amount: int | None = None
    channel_refund_no: str = ""
    succeeded_at: float | None = None
    raw_status: str = ""
    sub_mchid: str = ""
    settle_date: str = ""  # as TradeResult.settle_date
    sent_at: float | None = None  # as TradeResult.sent_at, of the refund's own request


@dataclass(frozen=True, slots=True)
class AbnormalRefundRequest:
    """Re-issue an ABNORMAL refund (WeChat Pay's apply-abnormal-refund): to the merchant's bank
    account, or to another debit card of the payer (then bank_type, bank_account, real_name)."""

    channel_refund_no: str
    out_refund_no: str
    to: Literal["MERCHANT_BANK_CARD", "USER_BANK_CARD"]
    bank_type: str = ""
    bank_account: str = field(default="", repr=False)
    real_name: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class CallbackEvent:
    """A verified, decrypted callback. `event_id` identifies the notification at the provider."""

    event_id: str
    kind: Literal["payment", "refund"]
    trade: TradeResult | None = None
    refund: RefundResult | None = None


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    body: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One record of a channel statement. `amount` and `fee` are fen (a refund's fee is the
    fee given back, so usually negative); `occurred_at` is ISO 8601 UTC with a Z; `status` is
    "SUCCESS" for a payment and a `RefundState` value for a refund."""

    out_trade_no: str
    kind: Literal["payment", "refund"]
    amount: int
    fee: int
    channel_trade_no: str
    status: str
    occurred_at: str
    out_refund_no: str = ""
    channel_refund_no: str = ""
    mchid: str = ""
    appid: str = ""
    currency: str = ""
    # The checked fields (CHECKED_FIELDS) this statement format has for every row; the others
    # are compared only when present. Reconciliation never repairs from an incomplete row.
    carries: frozenset[str] = CHECKED_FIELDS
    sub_mchid: str = ""
    # the clearing day the statement books the row on, for channels that book by it
    # (UnionPay's settleDate; as TradeResult.settle_date), "" otherwise
    settle_date: str = ""


@dataclass(frozen=True, slots=True)
class StatementSummary:
    """The statement's own totals (fen), already checked against its detail rows."""

    records: int = 0
    payment_total: int = 0
    refund_total: int = 0
    fee_total: int = 0


@runtime_checkable
class StreamedRows(Protocol):
    """Rows read as they are iterated (a file on disk, line by line), whose totals check runs
    at their end: `summary` is known, and checked, once they were read to the end."""

    def __iter__(self) -> Iterator[StatementRow]: ...
    @property
    def summary(self) -> StatementSummary: ...


class QuickMatch(Protocol):
    """Takes a paid row (SUCCESS) as matched from its checked fields alone, before a
    StatementRow is built for it: True when it is counted and done, False when the row must
    come as a StatementRow after all (RouteMatch.quick)."""

    def __call__(
        self,
        out_trade_no: str,
        amount: int,
        fee: int,
        currency: str,
        mchid: str,
        appid: str,
        sub_mchid: str,
        carries: frozenset[str],
    ) -> bool: ...


@runtime_checkable
class QuickRows(Protocol):
    """Rows whose reader can offer each paid row to a QuickMatch first: most rows of a day
    match, and the StatementRow of a row that matches would only be thrown away."""

    def stream(self, quick: QuickMatch | None) -> Iterator[StatementRow]: ...


@dataclass(frozen=True, slots=True)
class StatementFile:
    """A day's statement as downloaded: the file (archived as is) and its rows.

    Two forms, both accepted everywhere: in memory (`raw` the file's bytes, `rows` any iterable
    of rows, `summary` its checked totals), or streamed (`path` the file on local disk, /tmp,
    with `sha1` computed while it was downloaded; `rows` a StreamedRows read from it and
    `summary` None until then: see `final_summary`)."""

    raw: bytes
    rows: Iterable[StatementRow]
    summary: StatementSummary | None
    content_type: str = "text/csv; charset=utf-8"
    extension: str = "csv"
    path: str = ""
    sha1: str = ""

    def final_summary(self) -> StatementSummary:
        """The statement's totals, once its rows were read (a streamed file checks them at its end)."""
        if self.summary is not None:
            return self.summary
        if isinstance(self.rows, StreamedRows):
            return self.rows.summary
        raise TypeError("a StatementFile without summary needs StreamedRows")


class Channel(Protocol):
    provider: str
    amount_unit: Literal["fen", "yuan"]
    products: frozenset[str]
    refund_errors: RefundErrorTable
    # message type ("callback", "query", "statement") → the CHECKED_FIELDS it always carries
    carried_fields: Mapping[str, frozenset[str]]
    create_limits: tuple[TextLimit, ...]  # the create request's text the channel is sent
    refund_limits: tuple[TextLimit, ...]  # the refund request's
    # Sweeper queries one merchant account may take: a rate and calls in flight (class
    # attributes; services/query_pool defaults them for a class that declares none). Optional
    # `query_ladder`: seconds after creation of the first checks (services/sweep_schedule).
    query_rate_per_second: float
    query_concurrency: int
    # Optional `charging_products`: products whose create request itself takes the payer's
    # money (payer-presented codes); an unknown answer to one is never retried elsewhere.
    # Optional `reversible_products` (⊆ charging_products) with a `reverse` method: the
    # Reversible contract below; their ladder's end is the payer's time to pay.

    def create(self, request: CreateRequest) -> CreateResult: ...
    def query(self, out_trade_no: str, *, context: QueryContext | None = None) -> TradeResult: ...
    def close(self, out_trade_no: str) -> None: ...
    def refund(self, request: RefundRequest) -> RefundResult: ...
    def query_refund(
        self, out_refund_no: str, out_trade_no: str, *, context: RefundQueryContext | None = None
    ) -> RefundResult: ...
    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent: ...
    def callback_ack(self, error: Exception | None) -> HttpReply: ...
    def download_statement(self, bill_date: date) -> Iterator[StatementRow]: ...
    def fetch_statement(self, bill_date: date) -> StatementFile | None:
        """The statement of `bill_date` (the channel's own calendar day), None when the
        channel has none for that day (no trades)."""
        ...


@runtime_checkable
class Reversible(Protocol):
    """A channel whose payer-presented codes can be reversed (WeChat Pay's reverse, Alipay's
    trade.cancel, an acquirer's undo of a consume): declared by `reversible_products` and
    `reverse`, used by services/reversal for every such product.

    The contract, for one attempt (`out_trade_no`) of one of `reversible_products`:
    - `reverse` is sent only after the product's query ladder (`query_ladders[product]`) has
      ended with the trade still unpaid (USERPAYING, or no answer at all), or when the
      merchant or expiry closes the payment, never within 30 s of the pay call (a trade may
      not exist yet), and after the payment was claimed for it (`reversal_started_at`, so a
      PAID word meanwhile is applied only by the reversal). It must leave the channel unable to take the
      payer's money for that trade: an unpaid trade is closed, a trade paid meanwhile is given
      back to the payer by the channel itself.
    - It returns the channel's word for what it did ("closed", "refunded", "reversed",
      "not_found" for a trade the channel does not have), kept in the payment's event. The
      caller then queries the trade and applies that answer (checks included):
      REVOKED/CLOSED ends the payment CLOSED, PAYERROR FAILED, NOT_FOUND CLOSED (watched
      afterwards: a late charge is refunded), PAID SUCCESS only after a refused reverse (PAID
      after an accepted one is asked again, never taken as paid on one read; after a few
      such rounds no reverse is sent again and operators decide: services/reversal_review).
    - It raises ChannelUnavailable whenever the outcome is not known, including the channel's
      own "call me again" (WeChat's recall=Y, Alipay's retry_flag=Y): the reversal is sent
      again later (the sweeper), never guessed. A definitive refusal is a ChannelError: the
      query after it tells what the trade is.
    - Sending it again for the same trade is harmless (the channels answer a repeated reverse
      or cancel of a reversed trade as done)."""

    reversible_products: frozenset[str]

    def reverse(self, out_trade_no: str, *, context: QueryContext | None = None) -> str: ...
