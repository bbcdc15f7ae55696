"""wechat.barcode: the payer's WeChat Pay payment code (付款码), on API v2, the API that direct
merchants and service providers (服务商: `sub_mch_id`, `sub_appid`) both have for it:

- `POST /pay/micropay`: XML, signed HMAC-SHA256 with the API v2 key (v2_signing), `auth_code`
  the code read by the scanner; the answer says paid, failed, or not yet (USERPAYING);
- `POST /secapi/pay/reverse` (撤销): needs the merchant's API client certificate (mutual TLS,
  `apiclient_cert.pem` with the merchant API private key): closes an unpaid order, gives a paid
  one back; `recall=Y` asks for it to be sent again.
The order itself is then queried, refunded and billed through API v3 like every other order
(its trade_type is MICROPAY; v3's trade_state has USERPAYING, REVOKED and PAYERROR for it),
so only the charge and its reverse are v2.

Every answer is believed only once its return_code is SUCCESS and its sign verifies with the
API v2 key; it must name this account's appid and mch_id (and sub_mch_id). Anything else is
ChannelUnavailable: the code may have been charged, so the ladder asks and the reversal ends it."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from paymux.channels.base import ChannelAccount, CreateRequest, SubMerchant, TradeResult, TradeState
from paymux.channels.http import HttpClient
from paymux.channels.wechat import v2_signing, v2_xml
from paymux.clock import CHINA
from paymux.errors import CallbackRejected, ChannelError, ChannelUnavailable, ConfigurationError

PRODUCT = "wechat.barcode"
PAY_PATH = "/pay/micropay"
REVERSE_PATH = "/secapi/pay/reverse"
# Every 5 s for a minute (WeChat asks merchants to query a USERPAYING code for about 30-60 s),
# then the order is reversed.
LADDER: tuple[float, ...] = tuple(float(s) for s in range(5, 61, 5))
# err_code of a FAIL result after which nothing was, or can be, charged for the code.
DEFINITE_FAILURES = frozenset(
    {
        "AUTHCODEEXPIRE",
        "AUTH_CODE_ERROR",
        "AUTH_CODE_INVALID",
        "NOTENOUGH",
        "NOTSUPORTCARD",
        "BUYER_MISMATCH",
        "ORDERCLOSED",
        "ORDERREVERSED",
        "PARAM_ERROR",
        "NOAUTH",
        "TRADE_ERROR",
        "LACK_PARAMS",
        "XML_FORMAT_ERROR",
        "NOT_UTF8",
        "SIGNERROR",
        "APPID_NOT_EXIST",
        "MCHID_NOT_EXIST",
        "APPID_MCHID_NOT_MATCH",
    }
)
# USERPAYING (entering a password), SYSTEMERROR and BANKERROR (outcome unknown), ORDERPAID
# and OUT_TRADE_NO_USED (an earlier send of this number), and any code not listed: asked again.
REVERSE_REFUSALS = frozenset({"TRADE_STATE_ERROR", "REVERSE_EXPIRE", "INVALID_TRANSACTIONID"})
XML_HEADERS = {"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml", "User-Agent": "paymux/0.1"}


class ClientCertHttp(Protocol):
    """An HTTP client that can present a TLS client certificate (channels/http)."""

    def request_with_client_cert(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes, cert_pem: str, key_pem: str
    ) -> Any: ...


class Micropay:
    def __init__(
        self,
        account: ChannelAccount,
        credentials: Mapping[str, Any],
        http: HttpClient,
        sub_merchant: SubMerchant | None,
        carries: frozenset[str],
    ) -> None:
        self._account, self._http, self._sub, self._carries = account, http, sub_merchant, carries
        self._cert_pem = str(credentials["merchant_cert_pem"])  # KeyError: names what is missing
        try:
            self._key = v2_signing.check_key(str(credentials["apiv2_key"]))
        except ValueError as exc:
            raise ConfigurationError(f"WeChat Pay account {account.account_id}: {exc}") from exc
        if "-----BEGIN CERTIFICATE-----" not in self._cert_pem:
            raise ConfigurationError(f"WeChat Pay account {account.account_id}: merchant_cert_pem is no PEM")
        self._key_pem = str(credentials["merchant_private_key_pem"])

    def _identity(self) -> dict[str, str]:
        fields = {"appid": self._account.appid, "mch_id": self._account.mchid}
        if self._account.mode == "provider":
            if self._sub is None or not self._sub.sub_mchid:
                raise ConfigurationError(
                    f"WeChat Pay provider account {self._account.account_id} needs a sub-merchant"
                )
            fields["sub_mch_id"] = self._sub.sub_mchid
            if self._sub.sub_appid:
                fields["sub_appid"] = self._sub.sub_appid
        return fields

    def _send(self, path: str, fields: Mapping[str, str], *, client_cert: bool) -> dict[str, str]:
        body = v2_xml.encode(v2_signing.signed({**self._identity(), **fields}, self._key))
        url = self._account.base_url.rstrip("/") + path
        if client_cert:
            sender = getattr(self._http, "request_with_client_cert", None)
            if sender is None:
                raise ConfigurationError("the HTTP client cannot present the WeChat Pay client certificate")
            response = sender(
                "POST", url, headers=XML_HEADERS, body=body, cert_pem=self._cert_pem, key_pem=self._key_pem
            )
        else:
            response = self._http.request("POST", url, headers=XML_HEADERS, body=body)
        if response.status != 200:
            raise ChannelUnavailable(f"WeChat Pay v2 answered HTTP {response.status}")
        answer = v2_xml.decode(response.body)
        if answer.get("return_code") != "SUCCESS":  # never signed: says nothing about the trade
            raise ChannelUnavailable(f"WeChat Pay v2 return_code {answer.get('return_code') or 'absent'}")
        try:
            v2_signing.verify(answer, self._key)
        except CallbackRejected as exc:
            raise ChannelUnavailable(f"unverifiable WeChat Pay v2 answer: {exc.message}") from exc
        self._check_identity(answer)
        return answer

    def _check_identity(self, answer: Mapping[str, str]) -> None:
        for name, ours in self._identity().items():
            if name != "sub_appid" and answer.get(name, ours) != ours:
                raise ChannelUnavailable(f"WeChat Pay v2 answer names another {name}")

    def pay(self, request: CreateRequest) -> TradeResult | None:
        """PAID or FAILED at once, None when not known yet (USERPAYING, SYSTEMERROR, …)."""
        fields = {
            "nonce_str": secrets.token_hex(16),
            "body": request.subject.encode("utf-8")[:128].decode("utf-8", errors="ignore"),
            "out_trade_no": request.out_trade_no,
            "total_fee": str(request.amount),
            "fee_type": request.currency,
            "auth_code": request.payer.get("auth_code", ""),
        }
        if request.payer.get("client_ip"):
            fields["spbill_create_ip"] = request.payer["client_ip"]
        answer = self._send(PAY_PATH, fields, client_cert=False)
        if answer.get("result_code") == "SUCCESS":
            return paid_trade(answer, request.out_trade_no, self._carries)
        code = answer.get("err_code", "")
        if code in DEFINITE_FAILURES:
            return TradeResult(
                out_trade_no=request.out_trade_no,
                state=TradeState.FAILED,
                raw_state=code,
                carries=frozenset(),
            )
        return None

    def reverse(self, out_trade_no: str) -> str:
        """ "reversed"; recall=Y and unknown errors raise ChannelUnavailable (sent again),
        a definitive refusal ChannelError (the query after it tells)."""
        fields = {"nonce_str": secrets.token_hex(16), "out_trade_no": out_trade_no}
        answer = self._send(REVERSE_PATH, fields, client_cert=True)
        if answer.get("recall") == "Y":
            raise ChannelUnavailable("WeChat Pay asks for the reverse to be sent again (recall=Y)")
        if answer.get("result_code") == "SUCCESS":
            return "reversed"
        code = answer.get("err_code", "")
        if code == "ORDERNOTEXIST":
            # no order (yet): services/reversal sends no reverse within REVERSE_AFTER of the pay
            # call and watches the closed payment, so a late charge is still found
            return "not_found"
        if code in REVERSE_REFUSALS:
            raise ChannelError(f"WeChat Pay refused the reverse: {code}", channel_code=code)
        raise ChannelUnavailable(f"WeChat Pay reverse {code or 'FAIL'}", channel_code=code)


def paid_trade(answer: Mapping[str, str], out_trade_no: str, carries: frozenset[str]) -> TradeResult:
    """A verified SUCCESS answer of micropay: total_fee, fee_type, transaction_id, time_end."""
    try:
        amount: int | None = int(answer.get("total_fee", ""))
    except ValueError:
        amount = None
    try:
        paid_at: float | None = (
            datetime.strptime(answer.get("time_end", ""), "%Y%m%d%H%M%S").replace(tzinfo=CHINA).timestamp()
        )
    except ValueError:
        paid_at = None
    return TradeResult(
        out_trade_no=answer.get("out_trade_no") or out_trade_no,
        state=TradeState.PAID,
        amount=amount,
        currency=answer.get("fee_type") or "CNY",  # v2 answers name fee_type only when not CNY
        channel_trade_no=answer.get("transaction_id", ""),
        paid_at=paid_at,
        mchid=answer.get("mch_id", ""),
        appid=answer.get("appid", ""),
        raw_state="SUCCESS",
        carries=carries,
        sub_mchid=answer.get("sub_mch_id", ""),
        sub_appid=answer.get("sub_appid", ""),
    )
