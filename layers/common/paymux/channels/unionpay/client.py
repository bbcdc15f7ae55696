"""UnionPay ACP 5.1.0 I/O: signed requests, verified answers and notifies (PROTOCOLS.md §3).

Credentials (the account's secret): `signing_pfx` (base64 PKCS#12 of the merchant's signing
certificate; certId is its decimal serial), `signing_pfx_password`, `root_cert` and
`middle_cert` (UnionPay's CA chain, PEM) and `environment` ("production" | "test").

Direct mode: `account.mchid` is the merchant's merId (accessType 0). Provider mode: the account
is an acquirer, `mchid` its institution code (acqInsCode, accessType 1), and every call for a
merchant sends the merId it assigned that sub-merchant (`SubMerchant.sub_mchid`).

Every answer is verified (signature, signPubKeyCert chained to the configured middle and
root, CN) before a word of it is believed: an unsigned or unverifiable answer is
ChannelUnavailable (outcome unknown), never a refusal. Order ids are paymux's numbers as they
are; every request's txnTime is its send time as stored with its attempt or refund before it
was sent (CreateRequest/RefundRequest.sent_at), and a query names the original's orderId and
txnTime again (QueryContext/RefundQueryContext.sent_at)."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from paymux.channels.base import (
    ChannelAccount,
    CreateRequest,
    CreateResult,
    QueryContext,
    RefundQueryContext,
    RefundRequest,
    RefundResult,
    RefundState,
    StatementFile,
    StatementRow,
    SubMerchant,
    TextLimit,
    TradeResult,
)
from paymux.channels.http import HttpClient
from paymux.channels.unionpay import answers, certificates, form, signing, transform
from paymux.channels.unionpay.notifies import UnionPayNotifies
from paymux.channels.unionpay.transform import Access
from paymux.clock import Clock
from paymux.errors import CallbackRejected, ConfigurationError, ValidationFailed
from paymux.errors import ChannelUnavailable as Unavailable

if TYPE_CHECKING:  # the file transfer is imported by reconciliation only (cold start)
    from paymux.channels.unionpay.file_answer import FileAnswer

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded;charset=UTF-8"
HEADERS = {"Content-Type": FORM_CONTENT_TYPE, "User-Agent": "paymux/0.1"}


class UnionPayChannel(UnionPayNotifies):
    provider = "unionpay"
    amount_unit: Literal["fen", "yuan"] = "fen"
    products = frozenset(transform.PRODUCTS)
    refund_errors = answers.REFUND_ERRORS
    carried_fields = answers.CARRIED_FIELDS
    # paymux sends UnionPay no merchant text (no orderDesc or reqReserved): nothing to limit.
    create_limits: tuple[TextLimit, ...] = ()
    refund_limits: tuple[TextLimit, ...] = ()
    # UnionPay publishes no query rate per merchant; these stay well under what its demos do.
    query_rate_per_second = 20.0
    query_concurrency = 4
    query_ladders = transform.QUERY_LADDERS
    # A payer-presented code is charged by the create request itself: an unknown answer to it
    # may have taken the money, so it is never sent again elsewhere (services/payments.submit).
    charging_products = frozenset({"unionpay.barcode"})
    refund_window_seconds = transform.REFUND_WINDOW_SECONDS

    def __init__(
        self,
        account: ChannelAccount,
        credentials: Mapping[str, Any],
        http: HttpClient,
        clock: Clock,
        sub_merchant: SubMerchant | None = None,
    ) -> None:
        if sub_merchant is not None and account.mode != "provider":
            raise ConfigurationError(f"UnionPay account {account.account_id} is direct: it acts for no one")
        self._account = account
        self._sub_merchant = sub_merchant
        self._provider = account.mode == "provider"
        if self._provider:
            self.carried_fields = answers.PROVIDER_CARRIED_FIELDS
        self._http = http
        self._clock = clock
        try:
            pfx = base64.b64decode(str(credentials["signing_pfx"]), validate=True)
            root, middle = str(credentials["root_cert"]), str(credentials["middle_cert"])
        except (KeyError, ValueError) as exc:  # binascii.Error is a ValueError
            raise ConfigurationError(
                f"UnionPay account {account.account_id} needs signing_pfx (base64), root_cert and middle_cert"
            ) from exc
        self._key = signing.SigningKey.from_pkcs12(pfx, str(credentials.get("signing_pfx_password", "")))
        environment = str(credentials.get("environment", "production"))
        self._chain = certificates.TrustChain.from_pem(root, middle, environment=environment)

    # -- requests ----------------------------------------------------------------------------
    def _access(self) -> Access:
        if not self._provider:
            return Access(self._account.mchid)
        if self._sub_merchant is None or not self._sub_merchant.sub_mchid:
            raise ConfigurationError(
                f"UnionPay acquirer account {self._account.account_id} needs a sub-merchant for this call"
            )
        return Access(self._sub_merchant.sub_mchid, acq_ins_code=self._account.mchid)

    def _url(self, path: str) -> str:
        return self._account.base_url.rstrip("/") + path

    def _post(self, path: str, fields: Mapping[str, str]) -> dict[str, str]:
        """A signed request to a back endpoint; its verified answer."""
        return self.post_signed(self._url(path), fields)

    def post_signed(self, url: str, fields: Mapping[str, str]) -> dict[str, str]:
        """Signs `fields`, POSTs them to `url` and returns the verified answer."""
        body = form.encode_form(self._key.sign(fields)).encode()
        response = self._http.request("POST", url, headers=HEADERS, body=body)
        if response.status != 200:
            raise Unavailable(f"UnionPay answered HTTP {response.status}")
        try:
            answer = form.parse_form(response.body.decode("utf-8"))
        except (UnicodeDecodeError, CallbackRejected) as exc:
            raise Unavailable("UnionPay answered something that is not a k=v form") from exc
        self._verify(answer)
        return answer

    def _verify(self, answer: Mapping[str, str], signed: bytes | None = None) -> None:
        try:
            certificates.verify_message(answer, self._chain, self._clock(), signed)
        except CallbackRejected as exc:
            raise Unavailable(f"unverifiable UnionPay answer: {exc.message}") from exc

    def post_for_file(self, url: str, fields: Mapping[str, str]) -> FileAnswer:
        """As post_signed, for the file transfer: the answer goes to /tmp and is read from
        there in bounded memory (file_answer), verified before its file is unpacked."""
        from paymux.channels.unionpay.download import fetch_verified  # noqa: PLC0415 - reconciliation only

        body = form.encode_form(self._key.sign(fields)).encode()
        return fetch_verified(self._http, url, HEADERS, body, self._verify)

    # -- payments ----------------------------------------------------------------------------
    def create(self, request: CreateRequest) -> CreateResult:
        spec = transform.PRODUCTS[request.product]
        fields = transform.create_fields(request, self._access())
        if spec.endpoint == "front":
            # the payer's browser POSTs these signed fields to UnionPay (an auto-submitted form);
            # UnionPay has no order until it does
            signed = self._key.sign(fields)
            action = {"type": "form_post", "url": self._url(transform.FRONT_PATH), "fields": signed}
            return CreateResult(action)
        if spec.endpoint == "app":  # the in-app consume: its tn goes to UnionPay's app SDK
            tn = answers.app_tn(self._post(transform.APP_PATH, fields))
            return CreateResult({"type": "unionpay_app", "tn": tn})
        answer = self._post(transform.BACK_PATH, fields)
        if request.product == "unionpay.barcode":
            trade = answers.sync_trade(answer, request.out_trade_no)
            trade = self._own(trade, answer) if trade is not None else None
            return CreateResult({"type": "payer_code"}, trade=trade)
        answers.outcome_of(answer, "QR code apply")
        code = answer.get("qrCode", "")
        if not code:
            raise Unavailable("UnionPay accepted the QR code apply without a qrCode")
        return CreateResult({"type": "qr_code", "code_url": code})

    def _own(self, trade: TradeResult, fields: Mapping[str, str]) -> TradeResult:
        return answers.provider_trade(trade, fields) if self._provider else trade

    def query(self, out_trade_no: str, *, context: QueryContext | None = None) -> TradeResult:
        """By the attempt's orderId and the txnTime it was sent with (`context.sent_at`).
        origRespCode 00/A6 PAID, 03/04/05 OPEN, other FAILED (OPEN for a front transaction
        before its payTimeout, `context.expires_at`: the payer may still pay it); no such order
        (34) NOT_FOUND, but OPEN for a gateway or WAP form before its payTimeout: its order
        exists only once the payer submitted the form, which the payer can still do."""
        context = context or QueryContext()
        fields = transform.query_fields(out_trade_no, self._access(), context.sent_at)
        answer = self._post(transform.QUERY_PATH, fields)
        spec = transform.PRODUCTS.get(context.product)
        before_timeout = context.expires_at is not None and self._clock() < context.expires_at
        final = not (spec is not None and spec.front_like and before_timeout)
        form_pending = spec is not None and spec.endpoint == "front" and before_timeout
        trade = answers.query_trade(answer, out_trade_no, final=final, form_pending=form_pending)
        return self._own(trade, answer) if trade.raw_state != answers.NOT_FOUND else trade

    def close(self, out_trade_no: str) -> None:
        """UnionPay has no close: an unpaid QR code or gateway order lapses at its payTimeout
        (the payment's expires_at, sent with every front order; a QR code's apply is valid
        until UnionPay's own validity ends), and cancelling a paid one (undo, 31) moves money,
        which a close must never do. Nothing is sent; the caller's query after close tells
        whether it was paid meanwhile."""
        transform.order_id(out_trade_no)

    def refund(self, request: RefundRequest) -> RefundResult:
        """An undo (31) for the full amount on the payment's own clearing day, else a refund
        (04), each with a new orderId (the out_refund_no) and origQryId = the payment's
        queryId. Accepted is PROCESSING: the notify or a query tells the result."""
        now = self._clock()
        if request.paid_at is not None and now - request.paid_at > transform.REFUND_WINDOW_SECONDS:
            raise ValidationFailed("UnionPay refunds a payment for 11 months after it was paid")
        txn_type = transform.refund_type(request, now)
        spec = transform.PRODUCTS.get(request.product)
        biz_type = spec.biz_type if spec else "000000"
        fields = transform.refund_fields(request, self._access(), txn_type, biz_type)
        answer = self._post(transform.BACK_PATH, fields)
        answers.outcome_of(answer, "undo" if txn_type == transform.UNDO else "refund")
        return RefundResult(
            out_refund_no=request.out_refund_no,
            state=RefundState.PROCESSING,
            amount=request.amount,
            channel_refund_no=answer.get("queryId", ""),
            raw_status=f"txnType {txn_type} accepted",
            sub_mchid=self._sub_merchant.sub_mchid if self._provider and self._sub_merchant else "",
        )

    def query_refund(
        self, out_refund_no: str, out_trade_no: str = "", *, context: RefundQueryContext | None = None
    ) -> RefundResult:
        """By the refund's own orderId and the txnTime it was sent with (`context.sent_at`;
        out_trade_no is for other providers)."""
        sent_at = context.sent_at if context is not None else None
        fields = transform.query_fields(out_refund_no, self._access(), sent_at)
        answer = self._post(transform.QUERY_PATH, fields)
        result = answers.refund_result(answer, out_refund_no, queried=True)
        return replace(result, sub_mchid=answer.get("merId", "")) if self._provider else result

    # -- statements --------------------------------------------------------------------------
    def download_statement(self, bill_date: date) -> Iterator[StatementRow]:
        bill = self.fetch_statement(bill_date)
        if bill is not None:
            yield from bill.rows

    def fetch_statement(self, bill_date: date) -> StatementFile | None:
        """The reconciliation file of clearing day `bill_date` (txnType 76), None for a day
        without one; StatementNotReady (98) until UnionPay has made it."""
        from paymux.channels.unionpay.download import fetch  # noqa: PLC0415 - reconciliation only

        return fetch(self, self._access(), bill_date)

    @property
    def account(self) -> ChannelAccount:
        return self._account

    @property
    def now(self) -> float:
        return self._clock()
