"""Huifu 斗拱 I/O for e-CNY: signed JSON requests, verified answers and notifies.

Credentials (the account's secret): `product_id` (the product number Huifu assigned),
`merchant_private_key_pem` (the sys_id's RSA key; PEM, or the bare base64 Huifu's console
shows) and `huifu_public_key_pem` (Huifu's key for that sys_id).

Funds are never pooled. Direct mode: `account.mchid` is the merchant's own huifu_id, both
sys_id and every request's `data.huifu_id`. Provider mode: `mchid` is paymux's
service-provider (渠道商) huifu_id, the sys_id that signs; each call for a merchant names the
sub-merchant it onboarded (`SubMerchant.sub_mchid`) as `data.huifu_id`, so the money is that
sub-merchant's at Huifu.

Every request is `{"sys_id", "product_id", "data", "sign"}`; every answer `{"data", "sign"}`
is verified before a word of it is believed: an unsigned, unverifiable or non-200 answer is
ChannelUnavailable (outcome unknown), never a refusal."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from paymux.channels.base import (
    CallbackEvent,
    ChannelAccount,
    CreateRequest,
    HttpReply,
    QueryContext,
    RefundQueryContext,
    RefundRequest,
    RefundResult,
    StatementFile,
    SubMerchant,
    TradeResult,
    TradeState,
)
from paymux.channels.ecny.partner import QR, EcnyChannel
from paymux.channels.http import HttpClient
from paymux.channels.huifu import answers, notify, signing, transform
from paymux.clock import Clock
from paymux.errors import CallbackRejected, ChannelUnavailable, ConfigurationError, ValidationFailed

HEADERS = {"Content-Type": "application/json;charset=utf-8", "User-Agent": "paymux/0.1"}


class HuifuAcquirer:
    """paymux.channels.ecny.partner.EcnyAcquirer for Huifu 斗拱."""

    def __init__(
        self,
        account: ChannelAccount,
        credentials: Mapping[str, Any],
        http: HttpClient,
        clock: Clock,
        sub_merchant: SubMerchant | None,
    ) -> None:
        if sub_merchant is not None and account.mode != "provider":
            raise ConfigurationError(f"Huifu account {account.account_id} is direct: it acts for no one")
        try:
            self._product_id = str(credentials["product_id"])
            self._key = signing.SigningKey(str(credentials["merchant_private_key_pem"]))
            self._huifu = signing.HuifuPublicKey(str(credentials["huifu_public_key_pem"]))
        except KeyError as exc:
            raise ConfigurationError(
                f"Huifu account {account.account_id} needs product_id, merchant_private_key_pem "
                "and huifu_public_key_pem"
            ) from exc
        self._account = account
        self._sub_merchant = sub_merchant
        self._provider = account.mode == "provider"
        self._http = http
        self._clock = clock

    # -- requests ----------------------------------------------------------------------------
    @property
    def provider(self) -> bool:
        return self._provider

    def huifu_id(self) -> str:
        if not self._provider:
            return self._account.mchid
        if self._sub_merchant is None or not self._sub_merchant.sub_mchid:
            raise ConfigurationError(
                f"Huifu service-provider account {self._account.account_id} needs a sub-merchant here"
            )
        return self._sub_merchant.sub_mchid

    def post(self, path: str, data: Mapping[str, str]) -> dict[str, Any]:
        """The signed request's verified answer `data`."""
        envelope = {
            "sys_id": self._account.mchid,
            "product_id": self._product_id,
            "data": {k: v for k, v in data.items() if v != ""},
            "sign": self._key.sign(data),
        }
        url = self._account.base_url.rstrip("/") + path
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        response = self._http.request("POST", url, headers=HEADERS, body=body)
        if response.status != 200:
            raise ChannelUnavailable(f"Huifu answered HTTP {response.status}")
        try:
            answer = json.loads(response.body.decode("utf-8"))
            answer_data, sign = answer["data"], str(answer["sign"])
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise ChannelUnavailable("Huifu answered something that is not a signed JSON answer") from exc
        if not isinstance(answer_data, dict):
            raise ChannelUnavailable("Huifu's answer data is not an object")
        try:
            self._huifu.verify_data(answer_data, sign)
        except CallbackRejected as exc:
            raise ChannelUnavailable(f"unverifiable Huifu answer: {exc.message}") from exc
        return answer_data

    def _own(self, trade: TradeResult) -> TradeResult:
        return notify.provider_trade(trade) if self._provider else trade

    # -- payments ----------------------------------------------------------------------------
    def create_qr(self, request: CreateRequest) -> str:
        answer = self.post(transform.JSPAY_PATH, transform.create_data(request, self.huifu_id()))
        if answers.code_of(answer) not in answers.ACCEPTED:
            raise answers.refusal(answer, "jspay")
        code = str(answer.get("qr_code", ""))
        if not code:
            raise ChannelUnavailable("Huifu accepted the D_NATIVE order without a qr_code")
        return code

    def create_payer_code(self, request: CreateRequest) -> TradeResult | None:
        answer = self.post(transform.MICROPAY_PATH, transform.create_data(request, self.huifu_id()))
        trade = answers.payer_code_trade(answer, request.out_trade_no)
        return self._own(trade) if trade is not None else None

    def query(self, out_trade_no: str, context: QueryContext) -> TradeResult:
        """A failed QR code asked after its expiry timed out unpaid: CLOSED."""
        answer = self.post(transform.QUERY_PATH, transform.query_data(out_trade_no, self.huifu_id()))
        trade = answers.query_trade(answer, out_trade_no, expired=self._expired(context))
        return self._own(trade) if trade.state != TradeState.NOT_FOUND else trade

    def callback_trade(self, trade: TradeResult, context: QueryContext) -> TradeResult:
        """A notify's trade read as a query's is: its F after a QR code's expiry is CLOSED."""
        return answers.timed_out(trade, expired=self._expired(context))

    def _expired(self, context: QueryContext) -> bool:
        expires_at = context.expires_at
        return context.product == QR and expires_at is not None and self._clock() >= expires_at

    def refund(self, request: RefundRequest) -> RefundResult:
        """Accepted is at least PROCESSING; the notify or a refund query tells the end."""
        now = self._clock()
        if request.paid_at is not None and now - request.paid_at > transform.REFUND_WINDOW_SECONDS:
            raise ValidationFailed("Huifu refunds a payment for 360 days after it was paid")
        answer = self.post(transform.REFUND_PATH, transform.refund_data(request, self.huifu_id(), now))
        return self._refund_own(answers.refund_result(answer, request.out_refund_no, queried=False))

    def query_refund(self, out_refund_no: str, context: RefundQueryContext) -> RefundResult:
        data = transform.refund_query_data(out_refund_no, self.huifu_id(), context.sent_at, self._clock())
        answer = self.post(transform.REFUND_QUERY_PATH, data)
        return self._refund_own(answers.refund_result(answer, out_refund_no, queried=True))

    def _refund_own(self, result: RefundResult) -> RefundResult:
        if not self._provider:
            return result
        return notify.with_sub_merchant(result, self.huifu_id())

    # -- notifies ----------------------------------------------------------------------------
    def verify_notify(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        return notify.read(body, self._huifu, self._account)

    def notify_reply(self, event: CallbackEvent | None, error: Exception | None) -> HttpReply:
        return notify.reply(event, error)

    # -- statements --------------------------------------------------------------------------
    def fetch_statement(self, bill_date: date) -> StatementFile | None:
        from paymux.channels.huifu.statement import fetch  # noqa: PLC0415 - reconciliation only

        return fetch(self, self._http, bill_date, self._clock())


class HuifuEcnyChannel(EcnyChannel):
    provider = "huifu"
    refund_errors = answers.REFUND_ERRORS
    carried_fields = answers.CARRIED_FIELDS
    query_ladders = transform.QUERY_LADDERS
    refund_window_seconds = transform.REFUND_WINDOW_SECONDS
    # no close: a payment closed as timed out is still asked for a day (services/sweep_schedule)
    late_payment_watch_seconds = transform.LATE_PAYMENT_WATCH_SECONDS

    def __init__(
        self,
        account: ChannelAccount,
        credentials: Mapping[str, Any],
        http: HttpClient,
        clock: Clock,
        sub_merchant: SubMerchant | None = None,
    ) -> None:
        super().__init__(account, credentials, http, clock, sub_merchant)
        if account.mode == "provider":
            self.carried_fields = answers.PROVIDER_CARRIED_FIELDS
        self._acquirer = HuifuAcquirer(account, credentials, http, clock, sub_merchant)
