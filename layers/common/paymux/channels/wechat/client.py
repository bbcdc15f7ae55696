"""WeChat Pay API v3 I/O: signed requests, verified responses and callbacks."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, ClassVar, Literal
from urllib.parse import quote, urlsplit

from paymux.channels import download
from paymux.channels.base import (
    AbnormalRefundRequest,
    CallbackEvent,
    ChannelAccount,
    CreateRequest,
    CreateResult,
    HttpReply,
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
from paymux.channels.http import HttpClient, HttpResponse
from paymux.channels.wechat import frontend, micropay, signing, statement, transform
from paymux.channels.wechat.gateway import WeChatPayGateway
from paymux.channels.wechat.partner import PartnerRoutes
from paymux.channels.wechat.routes import DirectRoutes
from paymux.clock import Clock
from paymux.errors import CallbackRejected, ChannelUnavailable, ConfigurationError


class WeChatPayChannel(WeChatPayGateway):
    provider = "wechat"
    amount_unit: Literal["fen", "yuan"] = "fen"
    products = frozenset(transform.PRODUCTS) | {micropay.PRODUCT}  # the payer's code: API v2
    refund_errors = transform.REFUND_ERRORS
    carried_fields = transform.CARRIED_FIELDS
    create_limits = transform.CREATE_LIMITS
    refund_limits = transform.REFUND_LIMITS
    # What the sweeper asks of one merchant account (services/query_pool): conservative, well
    # under the hundreds of queries a second WeChat Pay is understood to allow per merchant (not
    # confirmed from its documentation).
    query_rate_per_second = 100.0
    query_concurrency = 16
    # The payer's code (channels/wechat/micropay.py, API v2): charged by the create, reversed.
    charging_products = frozenset({micropay.PRODUCT})
    reversible_products = frozenset({micropay.PRODUCT})
    query_ladders: ClassVar[Mapping[str, tuple[float, ...]]] = MappingProxyType(
        {micropay.PRODUCT: micropay.LADDER}
    )

    def __init__(
        self,
        account: ChannelAccount,
        credentials: Mapping[str, Any],
        http: HttpClient,
        clock: Clock,
        sub_merchant: SubMerchant | None = None,
    ) -> None:
        self._account = account
        # provider mode (服务商): the partner APIs, for `sub_merchant` (channels/wechat/partner.py)
        self._provider = account.mode == "provider"
        self._routes: DirectRoutes | PartnerRoutes = (
            PartnerRoutes(account, sub_merchant) if self._provider else DirectRoutes(account)
        )
        self.carried_fields = self._routes.carried_fields
        self._http = http
        self._clock = clock
        self._private_key = signing.load_private_key(credentials["merchant_private_key_pem"])
        self._serial_no = str(credentials["merchant_cert_serial"])
        self._apiv3_key = str(credentials["apiv3_key"]).encode()
        self._keys = {
            str(cert["serial_no"]): signing.load_public_key(cert["public_key_pem"])
            for cert in credentials.get("platform_certificates", [])
        }
        public_key = credentials.get("wechatpay_public_key")
        if public_key:
            self._keys[str(public_key["id"])] = signing.load_public_key(public_key["public_key_pem"])
        # Which key WeChat should answer with: the public key once the merchant has one.
        self._preferred_serial = str(public_key["id"]) if public_key else ""
        # An account that takes payer codes also has the API v2 key and the client certificate.
        self._micropay = (
            micropay.Micropay(account, credentials, http, sub_merchant, self.carried_fields["query"])
            if micropay.PRODUCT in account.products
            else None
        )

    def create(self, request: CreateRequest) -> CreateResult:
        if request.product == micropay.PRODUCT:
            return CreateResult({"type": "payer_code"}, trade=self._payer_codes().pay(request))
        endpoint, field = transform.PRODUCTS[request.product]
        path, body, appid, partnerid = self._routes.create(request, endpoint)
        response = self._call("POST", path, body)
        if response.status != 200:
            raise self._error(response)
        value = str(json.loads(response.body)[field])
        if field == "code_url":
            return CreateResult({"type": "qr_code", "code_url": value})
        if field == "h5_url":
            return CreateResult({"type": "redirect", "url": value})
        now = self._clock()
        if request.product == "wechat.app":
            return CreateResult(frontend.app_parameters(self._private_key, now, appid, partnerid, value))
        return CreateResult(frontend.jsapi_parameters(self._private_key, now, appid, value))

    def _payer_codes(self) -> micropay.Micropay:
        if self._micropay is None:
            raise ConfigurationError(
                f"WeChat Pay account {self._account.account_id} does not offer wechat.barcode"
            )
        return self._micropay

    def reverse(self, out_trade_no: str, *, context: QueryContext | None = None) -> str:
        """API v2's reverse of a payer-code order (base.Reversible), with the client certificate."""
        return self._payer_codes().reverse(out_trade_no)

    def query(self, out_trade_no: str, *, context: QueryContext | None = None) -> TradeResult:
        response = self._call("GET", self._routes.query_path(out_trade_no))
        if response.status == 404:
            return TradeResult(out_trade_no=out_trade_no, state=TradeState.NOT_FOUND)
        if response.status != 200:
            raise self._error(response)
        return self._routes.trade_result(json.loads(response.body), "query")

    def close(self, out_trade_no: str) -> None:
        response = self._call("POST", *self._routes.close(out_trade_no))
        if response.status != 204:
            raise self._error(response)

    def refund(self, request: RefundRequest) -> RefundResult:
        """out_refund_no is WeChat's idempotency key: re-sending it never refunds twice."""
        response = self._call("POST", "/v3/refund/domestic/refunds", self._routes.refund_body(request))
        if response.status != 200:
            raise self._error(response)
        return self._routes.refund_result(json.loads(response.body))

    def query_refund(
        self, out_refund_no: str, out_trade_no: str = "", *, context: RefundQueryContext | None = None
    ) -> RefundResult:
        """WeChat finds a refund by out_refund_no alone (out_trade_no is for other providers)."""
        response = self._call("GET", self._routes.refund_query_path(out_refund_no))
        if response.status == 404:
            return RefundResult(out_refund_no=out_refund_no, state=RefundState.NOT_FOUND)
        if response.status != 200:
            raise self._error(response)
        return self._routes.refund_result(json.loads(response.body))

    def apply_abnormal_refund(self, request: AbnormalRefundRequest) -> RefundResult:
        """`POST /v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund`: an ABNORMAL
        refund goes again, to the merchant's bank account or the payer's other card; WeChat
        answers the Refund (PROCESSING) and its REFUND.* callback follows."""
        serial = self._encryption_serial()
        key = self._keys[serial]
        body = transform.abnormal_refund_body(request, lambda text: signing.encrypt_sensitive(key, text))
        body = self._routes.abnormal_refund_extra() | body
        path = f"/v3/refund/domestic/refunds/{quote(request.channel_refund_no)}/apply-abnormal-refund"
        response = self._call("POST", path, body, serial=serial)
        if response.status != 200:
            raise self._error(response)
        return transform.refund_result(json.loads(response.body))

    def _encryption_serial(self) -> str:
        """WeChat Pay's public key once the merchant has one, else its newest platform certificate."""
        if self._preferred_serial:
            return self._preferred_serial
        if not self._keys:
            raise ChannelUnavailable("no WeChat Pay key to encrypt with; refresh the platform certificates")
        return list(self._keys)[-1]

    # -- callbacks ---------------------------------------------------------------------------
    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        signing.verify(headers, body, self._keys, self._clock())
        try:
            notice = json.loads(body)
            resource = notice["resource"]
            event_type = str(notice["event_type"])
        except (ValueError, KeyError, TypeError) as exc:
            raise CallbackRejected("callback body is not a WeChat Pay notification") from exc
        plain = signing.decrypt_resource(self._apiv3_key, resource)
        event_id = str(notice.get("id", ""))
        self._routes.check_callback(plain)
        if event_type.startswith("TRANSACTION."):
            return CallbackEvent(event_id, "payment", trade=self._routes.trade_result(plain, "callback"))
        if event_type.startswith("REFUND."):
            return CallbackEvent(event_id, "refund", refund=self._routes.refund_result(plain))
        raise CallbackRejected(f"unexpected WeChat Pay event_type {event_type}")

    def callback_ack(self, error: Exception | None) -> HttpReply:
        """WeChat reads only the status: 2xx is delivered, anything else is retried."""
        if error is None:
            return HttpReply(204)
        status = 401 if isinstance(error, CallbackRejected) else 500
        body = json.dumps({"code": "FAIL", "message": "失败"}, ensure_ascii=False)
        return HttpReply(status, body, {"Content-Type": "application/json"})

    # -- platform certificates ---------------------------------------------------------------
    def download_certificates(self) -> list[dict[str, str]]:
        """WeChat Pay's unexpired platform certificates (`GET /v3/certificates`), decrypted
        with the APIv3 key and verified as channels/wechat/certificates.py describes (the
        answer may be signed by a certificate not trusted yet, so it is not verified by
        `_call`). [] for a merchant on the WeChat Pay public key alone (404 RESOURCE_NOT_EXISTS)."""
        from paymux.channels.wechat import certificates  # noqa: PLC0415 - only the refresh needs it

        path = "/v3/certificates"
        url = self._account.base_url.rstrip("/") + path
        response = self._http.request("GET", url, headers=self._headers("GET", path, ""))
        if response.status >= 500:
            raise ChannelUnavailable(f"WeChat Pay answered HTTP {response.status}")
        if response.status != 200:
            error = self._error(response)
            if response.status == 404 and error.channel_code == "RESOURCE_NOT_EXISTS":
                return []
            raise error
        return certificates.read_answer(
            response.headers, response.body, self._apiv3_key, self._keys, self._clock()
        )

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
        """The ALL trade bill of `bill_date` (Asia/Shanghai): apply (a verified response), then
        download it to a temporary file, hashing it as it arrives, and check the SHA1 against
        the apply answer. The rows are read from the file as they are iterated (its summary
        check runs at its end); the caller removes the file (channels/download.discard). None
        for a day without trades (WeChat's 400 NO_STATEMENT_EXIST). A provider account fetches
        its sub-merchant's bill, or without one the bill of all its sub-merchants."""
        response = self._call("GET", self._routes.bill_path(bill_date.isoformat()))
        if response.status != 200:
            error = self._error(response)
            if error.channel_code == "NO_STATEMENT_EXIST":
                return None
            raise error
        try:
            answer = json.loads(response.body)
            hash_type, expected = str(answer["hash_type"]).upper(), str(answer["hash_value"]).lower()
            download_url = str(answer["download_url"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ChannelUnavailable("WeChat Pay bill answer without hash or download_url") from exc
        if hash_type != "SHA1":
            raise ChannelUnavailable(f"WeChat Pay bill hash type {hash_type} is not SHA1")
        file = self._download(download_url)
        if file.sha1 != expected:  # WeChat's integrity check
            download.discard(file.path)
            raise ChannelUnavailable(f"WeChat Pay bill of {bill_date} does not match its SHA1")
        rows = statement.read_bill_file(file.path, provider=self._provider)
        return StatementFile(raw=b"", rows=rows, summary=None, path=file.path, sha1=file.sha1)

    def _download(self, download_url: str) -> download.Downloaded:
        """A signed GET of the bill file (canonical URL = its path and query) to a temporary
        file. The answer is not signed by WeChat: its integrity is the SHA1 check of the caller."""
        parts = urlsplit(download_url)
        canonical = parts.path + (f"?{parts.query}" if parts.query else "")
        file = download.download(self._http, download_url, self._headers("GET", canonical, ""))
        if file.status == 200:
            return file
        download.discard(file.path)
        if file.status >= 500:
            raise ChannelUnavailable(f"WeChat Pay bill download answered HTTP {file.status}")
        raise self._error(HttpResponse(file.status, file.first))
