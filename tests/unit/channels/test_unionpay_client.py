"""UnionPayChannel's I/O rules with a scripted HTTP port: every answer is verified before it
is believed (an unsigned, forged or unreadable one is ChannelUnavailable: outcome unknown),
requests are signed with the merchant's certId, close sends nothing, and the acquirer mode
acts only for a sub-merchant. Answers are signed with the independent test CA."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl

import pytest

from paymux.channels.base import ChannelAccount, CreateRequest, RefundRequest, SubMerchant, TradeState
from paymux.channels.http import HttpResponse
from paymux.channels.unionpay.client import UnionPayChannel
from paymux.domain.ids import attempt_out_trade_no, new_payment_id, new_refund_id
from paymux.domain.refund import out_refund_no
from paymux.errors import CallbackRejected, ChannelUnavailable, ConfigurationError, ValidationFailed
from tests import unionpay_keys as keys
from tests.support import FakeClock

NOW = 1_796_100_000.0
MER_ID = "777290058167151"


@dataclass
class ScriptedUnionPay:
    """Answers each POST with `answer(fields)` (a dict signed as UnionPay unless `raw`)."""

    answers: list[dict[str, str] | bytes] = field(default_factory=list)
    status: int = 200
    sent: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def request(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes = b"", timeout: float = 10.0
    ) -> HttpResponse:
        self.sent.append((url, dict(parse_qsl(body.decode()))))
        answer = self.answers.pop(0)
        text = (
            answer if isinstance(answer, bytes) else "&".join(f"{k}={v}" for k, v in answer.items()).encode()
        )
        return HttpResponse(self.status, text)


def _channel(
    http: ScriptedUnionPay, mode: str = "direct", sub: SubMerchant | None = None, now: float = NOW
) -> UnionPayChannel:
    account = ChannelAccount(
        account_id="up-1",
        provider="unionpay",
        products=("unionpay.qr",),
        mchid=MER_ID if mode == "direct" else "48021000",
        appid="",
        base_url="https://gateway.test.95516.com",
        mode=mode,  # type: ignore[arg-type]
    )
    return UnionPayChannel(account, keys.credentials("test"), http, FakeClock(now), sub_merchant=sub)


def _request(product: str = "unionpay.qr", **payer: str) -> CreateRequest:
    return CreateRequest(
        out_trade_no=attempt_out_trade_no(new_payment_id(NOW), 1),
        product=product,
        amount=1999,
        currency="CNY",
        subject="Coffee",
        notify_url="https://api.example.com/cb",
        expires_at=NOW + 7200,
        payer=payer,
    )


def _signed(**fields: str) -> dict[str, str]:
    return keys.sign_as_unionpay({"version": "5.1.0", "merId": MER_ID, **fields})


def test_a_verified_qr_apply_answer_gives_the_code_and_the_request_was_signed() -> None:
    http = ScriptedUnionPay([_signed(respCode="00", qrCode="https://qr.95516.com/00010000/1")])

    result = _channel(http).create(_request())

    assert result.action == {"type": "qr_code", "code_url": "https://qr.95516.com/00010000/1"}
    assert result.trade is None
    url, sent = http.sent[0]
    assert url == "https://gateway.test.95516.com/gateway/api/backTransReq.do"
    assert sent["certId"] == keys.unionpay_merchant().cert_id and sent["signature"]
    assert (
        keys.sign_fields(sent, keys.unionpay_merchant().key) == sent["signature"]
    )  # PKCS1v15: deterministic


@pytest.mark.parametrize(
    "answer",
    [
        {"respCode": "00", "qrCode": "https://qr.95516.com/00010000/1"},  # unsigned
        keys.sign_as_unionpay({"respCode": "00", "qrCode": "x"}) | {"qrCode": "https://evil.example/qr"},
        keys.sign_as_unionpay({"respCode": "00", "qrCode": "x"}, key=keys.rsa_key("forger")),
        b"respCode=00&qrCode={unclosed",
    ],
    ids=["unsigned", "tampered", "forged", "unreadable"],
)
def test_an_unverifiable_answer_is_an_unknown_outcome(answer: dict[str, str] | bytes) -> None:
    with pytest.raises(ChannelUnavailable):
        _channel(ScriptedUnionPay([answer])).create(_request())


def test_an_http_error_is_an_unknown_outcome() -> None:
    with pytest.raises(ChannelUnavailable):
        _channel(ScriptedUnionPay([_signed(respCode="00")], status=502)).query("01M8S5XW5YYA3ZVMSQVWH1J03601")


def test_a_payer_code_paid_answer_is_the_trade() -> None:
    answer = _signed(respCode="00", orderId="X", txnAmt="1999", queryId="Q1", txnTime="20261201103005")
    result = _channel(ScriptedUnionPay([answer])).create(_request("unionpay.barcode", auth_code="1345678901"))

    assert result.action == {"type": "payer_code"}
    assert result.trade is not None and result.trade.state == TradeState.PAID
    assert (result.trade.amount, result.trade.channel_trade_no) == (1999, "Q1")


def test_a_front_order_is_a_signed_form_and_nothing_is_sent() -> None:
    http = ScriptedUnionPay()
    request = replace(_request("unionpay.gateway"), return_url="https://shop.example.com/paid")

    result = _channel(http).create(request)

    assert http.sent == []
    assert result.action["type"] == "form_post"
    assert result.action["url"] == "https://gateway.test.95516.com/gateway/api/frontTransReq.do"
    fields = result.action["fields"]
    assert keys.sign_fields(fields, keys.unionpay_merchant().key) == fields["signature"]


def test_close_sends_nothing() -> None:
    http = ScriptedUnionPay()
    _channel(http).close("01M8S5XW5YYA3ZVMSQVWH1J03601")
    assert http.sent == []


def test_a_refund_after_eleven_months_is_refused_before_sending() -> None:
    http = ScriptedUnionPay()
    request = RefundRequest(
        out_trade_no="01M8S5XW5YYA3ZVMSQVWH1J03601",
        out_refund_no=out_refund_no(new_refund_id(NOW)),
        amount=1,
        total=2,
        currency="CNY",
        reason="",
        notify_url="https://api.example.com/cb",
        channel_trade_no="Q1",
        paid_at=NOW - 335 * 86400,
    )
    with pytest.raises(ValidationFailed):
        _channel(http).refund(request)
    assert http.sent == []


def test_an_acquirer_acts_only_for_a_sub_merchant() -> None:
    http = ScriptedUnionPay()
    with pytest.raises(ConfigurationError):
        _channel(http, mode="provider").query("01M8S5XW5YYA3ZVMSQVWH1J03601")
    with pytest.raises(ConfigurationError):
        _channel(http, sub=SubMerchant("b1", "m1", "898110000000001"))  # a direct account
    assert http.sent == []


def test_the_acquirer_query_names_its_code_and_the_sub_merchant() -> None:
    answer = keys.sign_as_unionpay({"respCode": "34"})
    http = ScriptedUnionPay([answer])
    channel = _channel(http, mode="provider", sub=SubMerchant("b1", "m1", "898110000000001"))

    assert channel.query("01M8S5XW5YYA3ZVMSQVWH1J03601").state == TradeState.NOT_FOUND
    sent = http.sent[0][1]
    assert (sent["accessType"], sent["acqInsCode"], sent["merId"]) == ("1", "48021000", "898110000000001")


def test_callback_acks() -> None:
    channel = _channel(ScriptedUnionPay())
    assert channel.callback_ack(None).status == 200
    assert channel.callback_ack(CallbackRejected("no")).status == 400
    assert channel.callback_ack(ChannelUnavailable("later")).status == 503


@pytest.mark.parametrize(
    "broken",
    [{"signing_pfx": "abc"}, {"signing_pfx": "not base64!"}, {"root_cert": None}, {"middle_cert": None}],
)
def test_credentials_that_cannot_be_used_are_a_configuration_error(broken: dict[str, str | None]) -> None:
    """Never a binascii.Error or KeyError (an unhandled 500 where the channel is built)."""
    credentials = {**keys.credentials("test"), **broken}
    credentials = {k: v for k, v in credentials.items() if v is not None}
    account = ChannelAccount(
        "up-1", "unionpay", ("unionpay.qr",), MER_ID, "", "https://gateway.test.95516.com"
    )
    with pytest.raises(ConfigurationError):
        UnionPayChannel(account, credentials, ScriptedUnionPay(), FakeClock(NOW))
