"""WeChat Pay provider mode (服务商) in the channel, against a recording fake WeChat and callbacks
signed and encrypted here (tests/wechat_notices.py), independently of the sandbox: the partner
paths and fields of every call, what a provider channel without a sub-merchant may do, partner
callbacks' sp_*/sub_* ids, what partner messages always carry, and partner bills."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from paymux.channels.base import (
    CHECKED_FIELDS,
    ChannelAccount,
    CreateRequest,
    RefundRequest,
    RefundState,
    SubMerchant,
    TradeState,
)
from paymux.channels.http import HttpResponse
from paymux.channels.registry import build_channel
from paymux.channels.wechat import transform
from paymux.channels.wechat.client import WeChatPayChannel
from paymux.channels.wechat.statement import parse_trade_bill
from paymux.errors import CallbackRejected, ChannelUnavailable, ConfigurationError
from tests.keys import keypair
from tests.unit.channels.test_wechat_statement import PAY_1, PAY_2, REFUND, bill
from tests.wechat_notices import notice, transaction

NOW = 1_764_316_800.0
KEY_ID = "PUB_KEY_ID_0000000000000000000000000002"
APIV3 = "p" * 32
SP, SP_APP, SUB_A, SUB_A_APP, SUB_B = (
    "1230000109",
    "wx8888888888888888",
    "1900000201",
    "wxd678efh567hg6999",
    "1900000202",
)
A = SubMerchant("b_a", "m_a", sub_mchid=SUB_A, sub_appid=SUB_A_APP)
B = SubMerchant("b_b", "m_b", sub_mchid=SUB_B)
ANSWERS = {
    "/native": {"code_url": "weixin://wxpay/bizpayurl?pr=abc"},
    "/jsapi": {"prepay_id": "wx2014"},
    "/app": {"prepay_id": "wx2015"},
    "/h5": {"h5_url": "https://wx.tenpay.com/x"},
    "/refunds": {"out_refund_no": "R1", "refund_id": "503", "status": "PROCESSING", "amount": {"refund": 5}},
    "tradebill": {
        "hash_type": "SHA1",
        "hash_value": "0" * 40,
        "download_url": "https://wx.test/v3/billdownload/file?t=1",
    },
}


class RecordingWeChat:
    """Records every request and answers it, signed with WeChat's (test) key."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, Any] | None]] = []

    def request(
        self, method: str, url: str, *, headers: Any, body: bytes = b"", timeout: float = 10.0
    ) -> HttpResponse:
        self.requests.append((method, url, json.loads(body) if body else None))
        path = urlsplit(url).path
        if path.endswith("/close"):
            return self._signed(204, b"")
        answer = next((a for suffix, a in ANSWERS.items() if path.endswith(suffix)), None)
        if answer is None and "/refunds/" in path:
            answer = ANSWERS["/refunds"] | {"status": "SUCCESS"}
        if answer is None:  # an order query
            answer = {
                "sp_mchid": SP,
                "sp_appid": SP_APP,
                "sub_mchid": SUB_A,
                "out_trade_no": "ORD1",
                "trade_state": "NOTPAY",
            }
        return self._signed(200, json.dumps(answer).encode())

    @staticmethod
    def _signed(status: int, raw: bytes) -> HttpResponse:
        ts, nonce = str(int(NOW)), "N0NCE"
        signature = keypair("wechat").private_key.sign(
            f"{ts}\n{nonce}\n".encode() + raw + b"\n", padding.PKCS1v15(), hashes.SHA256()
        )
        headers = {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce, "Wechatpay-Serial": KEY_ID}
        return HttpResponse(
            status, raw, headers | {"Wechatpay-Signature": base64.b64encode(signature).decode()}
        )


def account(mode: str = "provider") -> ChannelAccount:
    return ChannelAccount(
        "wx-sp", "wechat", tuple(transform.PRODUCTS), SP, SP_APP, "https://wx.test", mode=mode
    )  # type: ignore[arg-type]


def make(
    sub: SubMerchant | None, http: RecordingWeChat | None = None, mode: str = "provider"
) -> WeChatPayChannel:
    credentials = {
        "merchant_private_key_pem": keypair("merchant").private_pem,
        "merchant_cert_serial": "SERIAL1",
        "apiv3_key": APIV3,
        "wechatpay_public_key": {"id": KEY_ID, "public_key_pem": keypair("wechat").public_pem},
    }
    channel = build_channel(
        account(mode), credentials, http or RecordingWeChat(), lambda: NOW, sub_merchant=sub
    )
    assert isinstance(channel, WeChatPayChannel)
    return channel


def create_request(product: str) -> CreateRequest:
    payer = {"openid": "oUser"} if product in ("wechat.jsapi", "wechat.mini_program") else {}
    if product == "wechat.h5":
        payer = {"client_ip": "203.0.113.7", "h5_type": "iOS"}
    return CreateRequest("ORD1", product, 100, "CNY", "beans", "https://pm.test/cb", NOW + 600, payer=payer)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.mark.parametrize("product", sorted(transform.PRODUCTS))
def test_orders_go_to_the_partner_api_with_the_partner_fields(product: str) -> None:
    http = RecordingWeChat()
    make(A, http).create(create_request(product))
    ((method, url, body),) = http.requests
    endpoint = transform.PRODUCTS[product][0]
    assert (method, path_of(url)) == ("POST", f"/v3/pay/partner/transactions/{endpoint}")
    assert body is not None
    assert {k: body[k] for k in ("sp_appid", "sp_mchid", "sub_appid", "sub_mchid")} == {
        "sp_appid": SP_APP,
        "sp_mchid": SP,
        "sub_appid": SUB_A_APP,
        "sub_mchid": SUB_A,
    }
    assert "appid" not in body and "mchid" not in body
    if endpoint == "jsapi":  # A has its own app: the payer's openid is a sub_openid
        assert body["payer"] == {"sub_openid": "oUser"}


def test_without_a_sub_appid_the_payer_is_an_sp_openid_of_the_providers_app() -> None:
    http = RecordingWeChat()
    action = make(B, http).create(create_request("wechat.jsapi")).action
    ((_, _, body),) = http.requests
    assert body is not None and "sub_appid" not in body and body["sub_mchid"] == SUB_B
    assert body["payer"] == {"sp_openid": "oUser"}
    assert action["appId"] == SP_APP


def test_the_app_payment_is_signed_for_the_sub_merchants_app_and_mchid() -> None:
    action = make(A).create(create_request("wechat.app")).action
    assert (action["appid"], action["partnerid"]) == (SUB_A_APP, SUB_A)
    message = "\n".join([action["appid"], action["timestamp"], action["noncestr"], action["prepayid"]]) + "\n"
    keypair("merchant").private_key.public_key().verify(
        base64.b64decode(action["sign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_query_close_refund_and_refund_query_name_the_sub_merchant() -> None:
    http = RecordingWeChat()
    channel = make(A, http)
    queried = channel.query("ORD1")
    channel.close("ORD1")
    refunded = channel.refund(RefundRequest("ORD1", "R1", 5, 100, "CNY", "", "https://pm.test/rcb"))
    channel.query_refund("R1", "ORD1")
    (_, query, _), (_, close, close_body), (_, refund, refund_body), (_, refund_query, _) = http.requests
    assert path_of(query) == f"/v3/pay/partner/transactions/out-trade-no/ORD1?sp_mchid={SP}&sub_mchid={SUB_A}"
    assert (path_of(close), close_body) == (
        "/v3/pay/partner/transactions/out-trade-no/ORD1/close",
        {"sp_mchid": SP, "sub_mchid": SUB_A},
    )
    assert path_of(refund) == "/v3/refund/domestic/refunds"
    assert (
        refund_body is not None and refund_body["sub_mchid"] == SUB_A and refund_body["out_refund_no"] == "R1"
    )
    assert path_of(refund_query) == f"/v3/refund/domestic/refunds/R1?sub_mchid={SUB_A}"
    assert (queried.mchid, queried.appid, queried.sub_mchid, queried.state) == (
        SP,
        SP_APP,
        SUB_A,
        TradeState.OPEN,
    )
    assert refunded.state == RefundState.PROCESSING


def test_a_provider_channel_without_a_sub_merchant_places_nothing() -> None:
    http = RecordingWeChat()
    channel = make(None, http)
    calls = [
        lambda: channel.create(create_request("wechat.native")),
        lambda: channel.query("ORD1"),
        lambda: channel.close("ORD1"),
        lambda: channel.refund(RefundRequest("ORD1", "R1", 5, 100, "CNY", "", "")),
        lambda: channel.query_refund("R1", "ORD1"),
    ]
    for call in calls:
        with pytest.raises(ConfigurationError, match="sub-merchant"):
            call()
    assert http.requests == []


def test_bills_of_one_sub_merchant_or_of_the_whole_provider() -> None:
    for sub, expected in ((A, f"&sub_mchid={SUB_A}"), (None, "")):
        http = RecordingWeChat()
        # the fake's file does not match its hash: only the apply URL counts here
        with pytest.raises(ChannelUnavailable, match="SHA1"):
            make(sub, http).fetch_statement(date(2025, 11, 28))
        assert (
            path_of(http.requests[0][1]) == f"/v3/bill/tradebill?bill_date=2025-11-28{expected}&bill_type=ALL"
        )


def partner_transaction(sub_mchid: str = SUB_A, sp_mchid: str = SP) -> dict[str, Any]:
    plain = transaction(appid="", mchid="", out_trade_no="ORD1", total=100, now=NOW)
    del plain["appid"], plain["mchid"], plain["payer"]
    return plain | {
        "sp_appid": SP_APP,
        "sp_mchid": sp_mchid,
        "sub_appid": SUB_A_APP,
        "sub_mchid": sub_mchid,
        "payer": {"sp_openid": "oSp", "sub_openid": "oSub"},
    }


def signed(plain: dict[str, Any], event_type: str = "TRANSACTION.SUCCESS") -> tuple[dict[str, str], bytes]:
    key = keypair("wechat").private_key
    return notice(
        plain, signing_key=key, serial=KEY_ID, apiv3_key=APIV3, timestamp=NOW, event_type=event_type
    )


@pytest.mark.parametrize("sub", [A, B, None])
def test_a_partner_callback_says_which_sub_merchant_it_is_for(sub: SubMerchant | None) -> None:
    """Whatever binding (or none) parses it, the result names the message's sub-merchant."""
    event = make(sub).parse_callback(*signed(partner_transaction(SUB_A)))
    assert event.trade is not None
    trade = event.trade
    assert (trade.mchid, trade.appid, trade.sub_mchid, trade.sub_appid) == (SP, SP_APP, SUB_A, SUB_A_APP)
    assert (trade.state, trade.amount, trade.currency) == (TradeState.PAID, 100, "CNY")
    assert trade.carries == CHECKED_FIELDS | {"sub_mchid"}


def test_a_partner_refund_callback_names_its_sub_merchant() -> None:
    plain = {
        "sp_mchid": SP,
        "sub_mchid": SUB_B,
        "out_trade_no": "ORD1",
        "transaction_id": "4200",
        "out_refund_no": "R1",
        "refund_id": "503",
        "refund_status": "SUCCESS",
        "success_time": "2025-11-28T16:00:00+08:00",
        "user_received_account": "支付用户零钱",
        "amount": {"total": 100, "refund": 5, "payer_total": 100, "payer_refund": 5},
    }
    event = make(None).parse_callback(*signed(plain, "REFUND.SUCCESS"))
    assert event.refund is not None
    assert (event.refund.out_refund_no, event.refund.state, event.refund.sub_mchid) == (
        "R1",
        RefundState.SUCCESS,
        SUB_B,
    )


def test_a_callback_for_another_service_provider_is_refused() -> None:
    with pytest.raises(CallbackRejected, match="sp_mchid"):
        make(None).parse_callback(*signed(partner_transaction(SUB_A, sp_mchid="1230000999")))


def test_partner_messages_always_carry_the_sub_merchant_direct_ones_are_unchanged() -> None:
    provider, direct = make(None), make(None, mode="direct")
    for message in ("callback", "query", "statement"):
        assert provider.carried_fields[message] == CHECKED_FIELDS | {"sub_mchid"}
        assert direct.carried_fields[message] == CHECKED_FIELDS
    assert WeChatPayChannel.carried_fields == transform.CARRIED_FIELDS


def test_a_partner_bill_row_names_its_sub_merchant() -> None:
    rows = [row.replace("`1601959334,`0,", f"`1601959334,`{SUB_A},") for row in (PAY_1, PAY_2, REFUND)]
    parsed = parse_trade_bill(bill(*rows), provider=True)
    assert [(r.kind, r.sub_mchid, r.mchid) for r in parsed.rows] == [
        ("payment", SUB_A, "1601959334"),
        ("payment", SUB_A, "1601959334"),
        ("refund", SUB_A, "1601959334"),
    ]
    assert all("sub_mchid" in r.carries for r in parsed.rows)
    assert {r.sub_mchid for r in parse_trade_bill(bill(*rows)).rows} == {""}  # a direct bill claims none
