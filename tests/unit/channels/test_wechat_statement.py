"""The WeChat Pay trade bill parser (hand-written bills in the real format, PROTOCOLS.md §1.6,
and bills rendered by the independent sandbox), and the client's apply → download → SHA1."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from paymux.channels.base import ChannelAccount, StatementSummary
from paymux.channels.http import HttpResponse
from paymux.channels.wechat.client import WeChatPayChannel
from paymux.channels.wechat.statement import StatementInvalid, parse_trade_bill, to_fen
from paymux.errors import ChannelError, ChannelUnavailable
from sandbox.wechat.bill import render_trade_bill
from sandbox.wechat.store import Order, Refund
from tests.keys import keypair

ALL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
SUMMARY_HEADER = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)
# Detail rows shaped exactly like PROTOCOLS.md's real sample row.
PAY_1 = (
    "`2021-01-28 17:07:11,`wx81be3101902f7cb2,`1601959334,`0,`,`4200000925202101284997714292,"
    "`S20210128170702357723,`ofyak5qYPb0Qe8N1UjVZlSKkHbEw,`NATIVE,`SUCCESS,`OTHERS,`CNY,`0.01,"
    "`0.00,`0,`0,`0.00,`0.00,`,`,`for testing,`cipher code,`0.00000,`1.00%,`0.01,`0.00,`"
)
PAY_2 = (
    "`2021-01-28 18:00:00,`wx81be3101902f7cb2,`1601959334,`0,`,`4200000925202101284997714300,"
    "`S20210128175959000001,`ofyak5qYPb0Qe8N1UjVZlSKkHbEw,`NATIVE,`SUCCESS,`OTHERS,`CNY,`10.00,"
    "`0.00,`0,`0,`0.00,`0.00,`,`,`咖啡豆 1kg,`,`0.06000,`0.60%,`10.00,`0.00,`"
)
REFUND = (
    "`2021-01-28 20:30:00,`wx81be3101902f7cb2,`1601959334,`0,`,`4200000925202101284997714300,"
    "`S20210128175959000001,`ofyak5qYPb0Qe8N1UjVZlSKkHbEw,`NATIVE,`REFUND,`OTHERS,`CNY,`0.00,"
    "`0.00,`50300000000000000000000000001,`01KB0000000000000000000001,`3.00,`0.00,`ORIGINAL,"
    "`SUCCESS,`咖啡豆 1kg,`,`-0.01800,`0.60%,`0.00,`3.00,`"
)
SUMMARY = "`3,`10.01,`3.00,`0.00,`0.04200,`10.01,`3.00"


def bill(*details: str, summary: str = SUMMARY, end: str = "\n", bom: bool = False) -> bytes:
    text = end.join([ALL_HEADER, *details, SUMMARY_HEADER, summary]) + end
    return ("\ufeff" if bom else "").encode() + text.encode()


def test_parses_payments_and_refunds():
    parsed = parse_trade_bill(bill(PAY_1, PAY_2, REFUND))
    first, second, refund = parsed.rows
    assert (first.kind, first.out_trade_no, first.amount, first.fee) == (
        "payment",
        "S20210128170702357723",
        1,
        0,
    )
    assert first.channel_trade_no == "4200000925202101284997714292"
    assert first.occurred_at == "2021-01-28T09:07:11Z"  # 17:07:11 Asia/Shanghai
    assert (first.mchid, first.appid, first.status) == ("1601959334", "wx81be3101902f7cb2", "SUCCESS")
    assert (second.amount, second.fee) == (1000, 6)
    assert (refund.kind, refund.amount, refund.status) == ("refund", 300, "SUCCESS")
    assert refund.out_trade_no == "S20210128175959000001"
    assert refund.out_refund_no == "01KB0000000000000000000001"
    assert refund.channel_refund_no == "50300000000000000000000000001"
    assert refund.fee == -2  # -1.8 fen, half up (away from zero)
    assert parsed.summary == StatementSummary(records=3, payment_total=1001, refund_total=300, fee_total=4)


def test_bom_and_crlf_parse_the_same():
    plain = parse_trade_bill(bill(PAY_1, PAY_2, REFUND))
    assert parse_trade_bill(bill(PAY_1, PAY_2, REFUND, end="\r\n", bom=True)) == plain
    assert parse_trade_bill(bill(PAY_1, PAY_2, REFUND, bom=True)) == plain


def test_fee_rounds_half_up_to_whole_fen():
    from decimal import Decimal

    assert [to_fen(Decimal(v)) for v in ("0.00500", "0.00499", "-0.00500", "0.01449", "0.06000")] == [
        1,
        0,
        -1,
        1,
        6,
    ]


def test_a_revoked_trade_is_a_payment_row_that_says_so_and_other_states_are_not_rows():
    revoked = PAY_1.replace("`SUCCESS,", "`REVOKED,")
    parsed = parse_trade_bill(bill(revoked, PAY_2, summary="`2,`10.01,`0.00,`0.00,`0.06000,`10.01,`0.00"))
    assert [(r.out_trade_no, r.kind, r.status) for r in parsed.rows] == [
        ("S20210128170702357723", "payment", "REVOKED"),
        ("S20210128175959000001", "payment", "SUCCESS"),
    ]
    other = PAY_1.replace("`SUCCESS,", "`NOTPAY,")
    parsed = parse_trade_bill(bill(other, PAY_2, summary="`2,`10.01,`0.00,`0.00,`0.06000,`10.01,`0.00"))
    assert [r.out_trade_no for r in parsed.rows] == ["S20210128175959000001"]
    assert parsed.summary.records == 2


def test_a_comma_inside_a_value_does_not_split_it():
    named = PAY_2.replace("咖啡豆 1kg", "beans, roasted")
    assert parse_trade_bill(bill(PAY_1, named, REFUND)).rows[1].amount == 1000


@pytest.mark.parametrize(
    "raw",
    [
        # cut before the summary
        (ALL_HEADER + "\n" + PAY_1 + "\n" + PAY_2 + "\n").encode(),
        # cut inside a detail row
        (ALL_HEADER + "\n" + PAY_1 + "\n" + PAY_2[:40]).encode(),
        # cut after the summary header
        (ALL_HEADER + "\n" + PAY_1 + "\n" + PAY_2 + "\n" + REFUND + "\n" + SUMMARY_HEADER + "\n").encode(),
        # a detail row missing: the summary's count and totals disagree
        bill(PAY_1, REFUND),
        # same count, a total off by one fen
        bill(PAY_1, PAY_2, REFUND, summary="`3,`10.02,`3.00,`0.00,`0.04200,`10.02,`3.00"),
        # fees off in the 5th decimal
        bill(PAY_1, PAY_2, REFUND, summary="`3,`10.01,`3.00,`0.00,`0.04201,`10.01,`3.00"),
        b"",
        b'{"code":"NO_STATEMENT_EXIST","message":"\xe8\xb4\xa6\xe5\x8d\x95\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8"}',
        "交易时间,商户订单号\n`x,`y\n".encode(),
        b"\xff\xfe not utf-8",
    ],
)
def test_truncated_or_damaged_bills_are_refused(raw):
    with pytest.raises(StatementInvalid) as caught:
        parse_trade_bill(raw)
    assert isinstance(caught.value, ChannelUnavailable)  # retried later, never passed silently


def _order(out_trade_no: str, total: int, paid_at: float) -> Order:
    return Order(
        mchid="1900000109",
        appid="wxd678efh567hg6787",
        out_trade_no=out_trade_no,
        trade_type="NATIVE",
        description="一分钱",
        notify_url="https://example.com/n",
        total=total,
        currency="CNY",
        attach=None,
        device_id="",
        created_at=paid_at - 60,
        expires_at=None,
        fingerprint="",
        prepay={},
        pay_token="",
        payer_openid="ofyak5qYPb0Qe8N1UjVZlSKkHbEw",
        trade_state="SUCCESS",
        transaction_id="42000" + out_trade_no,
        success_time=paid_at,
        bank_type="OTHERS",
    )


@pytest.mark.parametrize("bill_type", ["ALL", "SUCCESS", "REFUND"])
def test_bills_rendered_by_the_sandbox(bill_type):
    at = 1_764_316_800.0  # 2025-11-28 16:00 Asia/Shanghai
    orders = [_order("ORD_A", 1999, at), _order("ORD_B", 1, at + 10), _order("ORD_C", 250, at + 20)]
    refund = Refund(
        mchid="1900000109",
        out_refund_no="RF_A",
        refund_id="5030RF_A",
        out_trade_no="ORD_A",
        transaction_id="42000ORD_A",
        refund=999,
        total=1999,
        currency="CNY",
        reason=None,
        notify_url=None,
        funds_account="AVAILABLE",
        created_at=at + 30,
        fingerprint="",
        status="SUCCESS",
        success_time=at + 31,
    )
    raw = render_trade_bill(date(2025, 11, 28), bill_type, orders, [refund], 60)
    assert raw is not None
    parsed = parse_trade_bill(raw)
    payments = [(r.out_trade_no, r.amount, r.fee) for r in parsed.rows if r.kind == "payment"]
    refunds = [(r.out_refund_no, r.amount, r.fee, r.status) for r in parsed.rows if r.kind == "refund"]
    if bill_type != "REFUND":
        assert payments == [("ORD_A", 1999, 12), ("ORD_B", 1, 0), ("ORD_C", 250, 2)]
    if bill_type != "SUCCESS":
        assert refunds == [("RF_A", 999, -6, "SUCCESS")]
    assert parsed.summary.records == len(parsed.rows)


# -- the client: apply (verified), download (signed, unverified), SHA1 -------------------------
WECHAT_KEY_ID = "PUB_KEY_ID_0000000000000000000000000001"


class FakeWeChat:
    """Answers the apply with a signed JSON body and the download with the file."""

    def __init__(self, now: float, csv: bytes, apply_status: int = 200, hash_value: str | None = None):
        self.now, self.csv, self.apply_status = now, csv, apply_status
        self.hash_value = hash_value or hashlib.sha1(csv).hexdigest()
        self.requests: list[tuple[str, str, dict]] = []

    def _signed(self, status: int, body: dict) -> HttpResponse:
        raw = json.dumps(body).encode()
        ts, nonce = str(int(self.now)), "N0NCE"
        message = f"{ts}\n{nonce}\n".encode() + raw + b"\n"
        signature = keypair("wechat").private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        headers = {
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": base64.b64encode(signature).decode(),
            "Wechatpay-Serial": WECHAT_KEY_ID,
        }
        return HttpResponse(status, raw, headers)

    def request(self, method, url, *, headers, body=b"", timeout=10.0):
        self.requests.append((method, url, dict(headers)))
        if "/v3/bill/tradebill" in url:
            if self.apply_status == 400:
                return HttpResponse(400, b'{"code":"NO_STATEMENT_EXIST","message":"no bill"}')
            return self._signed(
                200,
                {
                    "hash_type": "SHA1",
                    "hash_value": self.hash_value,
                    "download_url": "https://api.example.test/v3/billdownload/file?token=T0K",
                },
            )
        return HttpResponse(200, self.csv, {"Content-Type": "application/octet-stream"})


def channel(http: FakeWeChat) -> WeChatPayChannel:
    account = ChannelAccount(
        "wx-1", "wechat", ("wechat.native",), "1601959334", "wx81", "https://api.example.test"
    )
    credentials = {
        "merchant_private_key_pem": keypair("merchant").private_pem,
        "merchant_cert_serial": "SERIAL1",
        "apiv3_key": "k" * 32,
        "wechatpay_public_key": {"id": WECHAT_KEY_ID, "public_key_pem": keypair("wechat").public_pem},
    }
    return WeChatPayChannel(account, credentials, http, lambda: http.now)


def test_fetch_statement_applies_downloads_and_checks_the_hash():
    raw = bill(PAY_1, PAY_2, REFUND, end="\r\n")
    http = FakeWeChat(1_764_316_800.0, raw)
    statement = channel(http).fetch_statement(date(2021, 1, 28))
    # streamed: the file on disk as downloaded, its SHA1 taken on the way, rows read from it
    assert statement is not None and Path(statement.path).read_bytes() == raw
    assert statement.sha1 == hashlib.sha1(raw).hexdigest() and statement.summary is None
    assert len(list(statement.rows)) == 3 and statement.final_summary().records == 3
    Path(statement.path).unlink()
    (_, apply_url, _), (method, download_url, headers) = http.requests
    assert apply_url == "https://api.example.test/v3/bill/tradebill?bill_date=2021-01-28&bill_type=ALL"
    assert (method, download_url) == ("GET", "https://api.example.test/v3/billdownload/file?token=T0K")
    # The download is signed over its path and query, with an empty body.
    fields = dict(re.findall(r'(\w+)="([^"]*)"', headers["Authorization"]))
    message = f"GET\n/v3/billdownload/file?token=T0K\n{fields['timestamp']}\n{fields['nonce_str']}\n\n"
    keypair("merchant").private_key.public_key().verify(
        base64.b64decode(fields["signature"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    assert [
        r.out_trade_no for r in channel(FakeWeChat(http.now, raw)).download_statement(date(2021, 1, 28))
    ] == [
        "S20210128170702357723",
        "S20210128175959000001",
        "S20210128175959000001",
    ]


def test_an_empty_day_is_no_statement():
    http = FakeWeChat(1_764_316_800.0, b"", apply_status=400)
    assert channel(http).fetch_statement(date(2021, 1, 28)) is None
    assert list(channel(http).download_statement(date(2021, 1, 28))) == []


def test_a_file_that_does_not_match_its_hash_is_refused():
    http = FakeWeChat(1_764_316_800.0, bill(PAY_1, PAY_2, REFUND), hash_value="0" * 40)
    with pytest.raises(ChannelUnavailable, match="SHA1"):
        channel(http).fetch_statement(date(2021, 1, 28))


def test_other_apply_errors_are_channel_errors():
    class Refusing(FakeWeChat):
        def request(self, method, url, *, headers, body=b"", timeout=10.0):
            return HttpResponse(400, b'{"code":"INVALID_REQUEST","message":"bill_date too early"}')

    with pytest.raises(ChannelError) as caught:
        channel(Refusing(1_764_316_800.0, b"")).fetch_statement(date(2020, 1, 1))
    assert caught.value.channel_code == "INVALID_REQUEST"


@pytest.mark.parametrize(
    ("written", "status"), [("ABNORMAL", "ABNORMAL"), ("CHANGE", "ABNORMAL"), ("REFUNDCLOSE", "FAILED")]
)
def test_refund_statuses_follow_the_same_rules_as_the_api(written, status):
    """ABNORMAL (CHANGE in v2-era bills) is not a failure: reconciliation compares it as such."""
    row = REFUND.replace("`ORIGINAL,`SUCCESS,", f"`ORIGINAL,`{written},")
    (_, _, refund) = parse_trade_bill(bill(PAY_1, PAY_2, row)).rows
    assert refund.status == status
