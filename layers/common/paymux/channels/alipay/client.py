"""Alipay OpenAPI (gateway v1, RSA2, public-key mode) I/O: signed requests, verified answers and
notifies (PROTOCOLS.md §2).

Credentials: `app_private_key_pem` (the application's key, signs requests) and
`alipay_public_key_pem` (Alipay's key, verifies answers and notifies; not the app's public
key). Public-key-certificate mode (app_cert_sn/alipay_root_cert_sn) is not supported.

`alipay.qr` (precreate) and `alipay.jsapi` (trade.create, channels/alipay/jsapi.py) are
server-to-server calls. Page, wap and app payments are signed
requests handed to the payer (a gateway URL, or the app's order string); Alipay creates the
trade when the payer opens it, so those creates cannot fail over to another account.

Third-party application mode (account.mode "provider", 第三方应用): the account is paymux's
application, and every call for a merchant carries that merchant's `app_auth_token` (from its
SubMerchant), page/wap/app requests and bills included. Without a sub_merchant such a channel
can only verify notifies and handle the application's own authorization calls
(exchange_app_auth_code, refresh_app_auth, parse_auth_notice)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, ClassVar, Literal
from urllib.parse import urlencode

from paymux.channels import download
from paymux.channels.alipay import barcode, jsapi, mini_program, signing, statement, transform
from paymux.channels.alipay.application import ThirdPartyApplication
from paymux.channels.alipay.gateway import AlipayGateway
from paymux.channels.alipay.notifies import AlipayNotifies
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
    TradeResult,
    TradeState,
)
from paymux.channels.http import HttpClient
from paymux.clock import Clock
from paymux.errors import ChannelError, ChannelUnavailable, ConfigurationError


# The notifies' and the gateway's methods come before ThirdPartyApplication's stand-ins for them.
class AlipayChannel(AlipayNotifies, AlipayGateway, ThirdPartyApplication):
    provider = "alipay"
    amount_unit: Literal["fen", "yuan"] = "yuan"
    products = frozenset(transform.PRODUCTS)
    refund_errors = transform.REFUND_ERRORS
    carried_fields = transform.CARRIED_FIELDS
    create_limits = transform.CREATE_LIMITS
    refund_limits = transform.REFUND_LIMITS
    # What the sweeper asks of one merchant account (services/query_pool): conservative, well
    # under the hundreds of queries a second Alipay is understood to allow per merchant (not
    # confirmed from its documentation).
    query_rate_per_second = 100.0
    query_concurrency = 16
    # The payer's code (channels/alipay/barcode.py): charged by the create, reversed by cancel.
    charging_products = frozenset({barcode.PRODUCT})
    reversible_products = frozenset({barcode.PRODUCT})
    query_ladders: ClassVar[Mapping[str, tuple[float, ...]]] = MappingProxyType(
        {barcode.PRODUCT: barcode.LADDER}
    )

    def __init__(
        self,
        account: ChannelAccount,
        credentials: Mapping[str, Any],
        http: HttpClient,
        clock: Clock,
        sub_merchant: SubMerchant | None = None,
    ) -> None:
        if sub_merchant is not None and account.mode != "provider":
            raise ConfigurationError(f"Alipay account {account.account_id} is direct: it acts for no one")
        if sub_merchant is not None and not sub_merchant.app_auth_token:
            raise ConfigurationError(f"binding {sub_merchant.binding_id} has no app_auth_token")
        self._account = account
        self._sub_merchant = sub_merchant
        self._http = http
        self._clock = clock
        self._private_key = signing.load_private_key(credentials["app_private_key_pem"])
        self._alipay_key = signing.load_public_key(credentials["alipay_public_key_pem"])
        self._provider = account.mode == "provider"
        if self._provider:
            self.carried_fields = transform.PROVIDER_CARRIED_FIELDS

    # -- payments ----------------------------------------------------------------------------
    def create(self, request: CreateRequest) -> CreateResult:
        method, _ = transform.PRODUCTS[request.product]
        if request.product == barcode.PRODUCT:
            return self._pay_code(request)
        content = transform.biz_content(request)
        if request.product == "alipay.qr":
            # time_expire is the absolute limit; timeout_express (whole minutes, never later)
            # is the relative one every precreate version understands.
            content["timeout_express"] = transform.timeout_express(request.expires_at - self._clock())
            answer = self._call(method, content, notify_url=request.notify_url)
            return CreateResult({"type": "qr_code", "code_url": str(answer["qr_code"])})
        if request.product == jsapi.PRODUCT:
            answer = self._call(method, jsapi.trade_content(request), notify_url=request.notify_url)
            return CreateResult(jsapi.action(answer))
        if request.product == mini_program.PRODUCT:
            content = mini_program.trade_content(request, self._mini_program_app())
            answer = self._call(method, content, notify_url=request.notify_url)
            return CreateResult(mini_program.action(answer))
        extra = {"notify_url": request.notify_url}
        if request.return_url and request.product != "alipay.app":
            extra["return_url"] = request.return_url
        signed = self._signed(method, content, extra)
        if request.product == "alipay.app":
            return CreateResult({"type": "alipay_app", "order_string": urlencode(signed)})
        return CreateResult({"type": "redirect", "url": f"{self._account.base_url}?{urlencode(signed)}"})

    def _mini_program_app(self) -> str:
        """op_app_id: the merchant's mini program a third-party application orders for."""
        if not self._provider or self._sub_merchant is None:
            return ""
        return self._sub_merchant.sub_appid

    def payer_identity(self, auth_code: str) -> str:
        """The payer's open_id (or user_id) in this app, from the auth_code of Alipay's user
        authorization (channels/alipay/jsapi.py); a used or unknown code raises ChannelError."""
        answer = self._call(jsapi.OAUTH_METHOD, {}, grant_type="authorization_code", code=auth_code)
        return jsapi.payer_id(answer)

    def _pay_code(self, request: CreateRequest) -> CreateResult:
        """trade.pay of the payer's code: paid, failed, or unknown (None: the ladder asks)."""
        content = barcode.pay_content(request)
        extra = {"notify_url": request.notify_url}
        answer = self._answer(barcode.PAY_METHOD, content, extra, unsigned_refusals=False)
        return CreateResult({"type": "payer_code"}, trade=barcode.pay_outcome(answer, request))

    def reverse(self, out_trade_no: str, *, context: QueryContext | None = None) -> str:
        """alipay.trade.cancel (base.Reversible): a trade that does not exist (yet) answers
        "not_found" (services/reversal waits REVERSE_AFTER and watches the closed payment);
        retry_flag Y and unknown answers raise ChannelUnavailable."""
        try:
            answer = self._call(barcode.CANCEL_METHOD, {"out_trade_no": out_trade_no})
        except ChannelError as exc:
            if exc.channel_code == "ACQ.TRADE_NOT_EXIST":
                return "not_found"
            raise
        return barcode.cancel_outcome(answer)

    def query(self, out_trade_no: str, *, context: QueryContext | None = None) -> TradeResult:
        """Before a payer scans a precreate QR code Alipay has no trade: NOT_FOUND."""
        try:
            answer = self._call("alipay.trade.query", {"out_trade_no": out_trade_no})
        except ChannelError as exc:
            if exc.channel_code == "ACQ.TRADE_NOT_EXIST":
                return TradeResult(out_trade_no=out_trade_no, state=TradeState.NOT_FOUND)
            raise
        return transform.trade_result(answer, out_trade_no, message="query")

    def close(self, out_trade_no: str) -> None:
        """A trade that does not exist yet (QR code never scanned) has nothing to close; it can
        still be paid until its time_expire, which the caller's query after close reports as
        NOT_FOUND. A paid trade raises ACQ.TRADE_STATUS_ERROR."""
        try:
            self._call("alipay.trade.close", {"out_trade_no": out_trade_no})
        except ChannelError as exc:
            if exc.channel_code != "ACQ.TRADE_NOT_EXIST":
                raise

    def refund(self, request: RefundRequest) -> RefundResult:
        """Synchronous at Alipay: 10000 means refunded. fund_change "N" answers a replayed
        out_request_no (nothing moved this time), so the refund query decides."""
        answer = self._call("alipay.trade.refund", transform.refund_content(request))
        if answer.get("fund_change") != "Y":
            return self.query_refund(request.out_refund_no, request.out_trade_no)
        refunded = str(answer.get("gmt_refund_pay") or "")
        return RefundResult(
            out_refund_no=request.out_refund_no,
            state=RefundState.SUCCESS,
            amount=None,  # refund_fee is the trade's cumulative refund, not this one's amount
            succeeded_at=transform.parse_china_time(refunded) if refunded else None,
            raw_status="fund_change=Y",
        )

    def query_refund(
        self, out_refund_no: str, out_trade_no: str, *, context: RefundQueryContext | None = None
    ) -> RefundResult:
        content = {
            "out_trade_no": out_trade_no,
            "out_request_no": out_refund_no,
            "query_options": ["gmt_refund_pay"],
        }
        try:
            answer = self._call("alipay.trade.fastpay.refund.query", content)
        except ChannelError as exc:
            if exc.channel_code == "ACQ.TRADE_NOT_EXIST":
                return RefundResult(out_refund_no=out_refund_no, state=RefundState.NOT_FOUND)
            raise
        return transform.refund_query_result(out_refund_no, answer)

    # -- statements --------------------------------------------------------------------------
    def download_statement(self, bill_date: date) -> Iterator[StatementRow]:
        bill = self.fetch_statement(bill_date)
        if bill is None:
            return
        try:
            yield from bill.rows
        finally:
            download.discard(bill.path)

    def fetch_statement(self, bill_date: date) -> StatementFile | None:
        """The trade bill of `bill_date` (GMT+8): ask for the download URL (a verified answer),
        fetch it at once (it lives 30 s) to a temporary file, hashing it as it arrives, and
        check that it is a bill zip. The rows are read from the file as they are iterated (its
        footer check runs at its end); the caller removes the file (channels/download.discard).
        None when Alipay has no bill."""
        content = {"bill_type": "trade", "bill_date": bill_date.isoformat()}
        try:
            answer = self._call("alipay.data.dataservice.bill.downloadurl.query", content)
        except ChannelError as exc:
            if exc.channel_code == "isp.bill_not_exist":
                return None
            raise
        url = str(answer.get("bill_download_url") or "")
        if not url:
            raise ChannelUnavailable("Alipay bill answer without bill_download_url")
        file = download.download(self._http, url, {"User-Agent": "paymux/0.1"})
        try:
            if file.status != 200:
                raise ChannelUnavailable(f"Alipay bill download answered HTTP {file.status}")
            statement.check_bill_zip(lambda: open(file.path, "rb"))  # noqa: SIM115 - closed there
        except ChannelUnavailable:
            download.discard(file.path)
            raise
        return StatementFile(
            raw=b"",
            rows=statement.read_bill_file(file.path, provider=self._provider),
            summary=None,
            content_type="application/zip",
            extension="zip",
            path=file.path,
            sha1=file.sha1,
        )
