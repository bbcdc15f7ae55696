"""Trade bill: apply, download (hash checked), and WeChat's backtick CSV format."""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import pytest
from wechat_sandbox_helpers import APPID, MCHID, RawSigner, client, native_order

from sandbox.wechat import GeneratedMerchant, WeChatSandbox
from sandbox.wechat.bill import fee_fen, fee_yuan, rate_text, yuan

CST = timezone(timedelta(hours=8))
NATIVE = "/v3/pay/transactions/native"
ALL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
ALL_SUMMARY_HEADER = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)
OPENID = "ofyak5qYPb0Qe8N1UjVZlSKkHbEw"


@dataclass
class BillDay:
    sb: WeChatSandbox
    day: date
    now: list[float]
    signer: RawSigner

    def at(self, hour: int, minute: int, day_offset: int = 0) -> None:
        moment = datetime(self.day.year, self.day.month, self.day.day, hour, minute, tzinfo=CST)
        self.now[0] = (moment + timedelta(days=day_offset)).timestamp()

    def send(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        return self.signer.send(method, path, payload, timestamp=int(self.now[0]))

    def back_to_real_time(self) -> None:
        self.now[0] = time.time()


@pytest.fixture
def bill_day(make_sandbox: Callable[..., WeChatSandbox], identity: GeneratedMerchant) -> BillDay:
    """Yesterday (Asia/Shanghai): two payments, one refund, one unpaid order, and one payment
    just after midnight that belongs to today's bill."""
    day = (datetime.now(CST) - timedelta(days=1)).date()
    now = [0.0]
    sb = make_sandbox(key_mode="public_key", clock=lambda: now[0])
    ctx = BillDay(sb, day, now, RawSigner(identity, sb.base_url))
    ctx.at(10, 0)
    order = native_order("ORDER_BILL_01", 1000, attach="cipher code", description="for testing")
    assert ctx.send("POST", NATIVE, order).status_code == 200
    ctx.at(10, 5)
    sb.pay(MCHID, "ORDER_BILL_01", openid=OPENID)
    ctx.send("POST", NATIVE, native_order("ORDER_BILL_02", 1, description="一分钱"))
    ctx.at(11, 0)
    sb.pay(MCHID, "ORDER_BILL_02", openid=OPENID)
    ctx.send("POST", NATIVE, native_order("ORDER_BILL_03", 50))
    ctx.send("POST", NATIVE, native_order("ORDER_BILL_04", 70))
    ctx.at(15, 30)
    refund = {
        "out_trade_no": "ORDER_BILL_01",
        "out_refund_no": "REFUND_BILL_01",
        "amount": {"refund": 300, "total": 1000, "currency": "CNY"},
    }
    assert ctx.send("POST", "/v3/refund/domestic/refunds", refund).status_code == 200
    ctx.at(0, 0, day_offset=1)
    sb.pay(MCHID, "ORDER_BILL_04")
    ctx.back_to_real_time()
    return ctx


def test_trade_bill_download_matches_hash_and_real_format(
    bill_day: BillDay, identity: GeneratedMerchant
) -> None:
    # When the merchant applies for yesterday's bill through wechatpayv3 (GZIP by default)
    pay = client(bill_day.sb, identity)
    code, message = pay.trade_bill(bill_date=bill_day.day.isoformat())
    assert code == 200, message
    applied = json.loads(message)
    assert applied["hash_type"] == "SHA1"
    assert applied["download_url"].startswith(f"{bill_day.sb.base_url}/v3/billdownload/file?token=")
    code, content = pay.download_bill(applied["download_url"])
    assert code == 200
    # Then the uncompressed file hashes to hash_value
    csv = gzip.decompress(content)
    assert hashlib.sha1(csv).hexdigest() == applied["hash_value"]
    # And it is WeChat's format, built from that day's payments and refunds only
    orders = bill_day.sb.orders
    txn1 = orders["ORDER_BILL_01"]["transaction_id"]
    txn2 = orders["ORDER_BILL_02"]["transaction_id"]
    refund_id = bill_day.sb.refunds["REFUND_BILL_01"]["refund_id"]
    d = bill_day.day.isoformat()
    head = f"`{MCHID},`0,`,"
    assert csv.decode("utf-8").split("\r\n") == [
        ALL_HEADER,
        f"`{d} 10:05:00,`{APPID},{head}`{txn1},`ORDER_BILL_01,`{OPENID},`NATIVE,`SUCCESS,`OTHERS,"
        "`CNY,`10.00,`0.00,`0,`0,`0.00,`0.00,`,`,`for testing,`cipher code,`0.06000,`0.60%,"
        "`10.00,`0.00,`",
        f"`{d} 11:00:00,`{APPID},{head}`{txn2},`ORDER_BILL_02,`{OPENID},`NATIVE,`SUCCESS,`OTHERS,"
        "`CNY,`0.01,`0.00,`0,`0,`0.00,`0.00,`,`,`一分钱,`,`0.00000,`0.60%,`0.01,`0.00,`",
        f"`{d} 15:30:00,`{APPID},{head}`{txn1},`ORDER_BILL_01,`{OPENID},`NATIVE,`REFUND,`OTHERS,"
        f"`CNY,`0.00,`0.00,`{refund_id},`REFUND_BILL_01,`3.00,`0.00,`ORIGINAL,`SUCCESS,"
        "`for testing,`cipher code,`-0.02000,`0.60%,`0.00,`3.00,`",
        ALL_SUMMARY_HEADER,
        "`3,`10.01,`3.00,`0.00,`0.04000,`10.01,`3.00",
        "",
    ]


def test_download_is_unsigned_and_plain_without_tar_type(bill_day: BillDay) -> None:
    applied = bill_day.send("GET", f"/v3/bill/tradebill?bill_date={bill_day.day}&bill_type=SUCCESS")
    assert applied.status_code == 200
    url = urlsplit(applied.json()["download_url"])
    response = bill_day.send("GET", f"{url.path}?{url.query}")
    assert response.status_code == 200
    assert "Wechatpay-Signature" not in response.headers
    assert response.headers["Request-ID"]
    assert hashlib.sha1(response.content).hexdigest() == applied.json()["hash_value"]
    lines = response.content.decode().split("\r\n")
    assert lines[0].endswith("应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注")
    assert [line.split(",")[9] for line in lines[1:3]] == ["`SUCCESS", "`SUCCESS"]
    assert lines[3:] == ["总交易单数,应结订单总金额,手续费总金额,订单总金额", "`2,`10.01,`0.06000,`10.01", ""]


def test_refund_bill_has_the_refund_time_columns(bill_day: BillDay) -> None:
    applied = bill_day.send("GET", f"/v3/bill/tradebill?bill_date={bill_day.day}&bill_type=REFUND")
    url = urlsplit(applied.json()["download_url"])
    lines = bill_day.send("GET", f"{url.path}?{url.query}").content.decode().split("\r\n")
    header = lines[0].split(",")
    assert header[13:16] == ["代金券金额", "退款申请时间", "退款成功时间"]
    row = dict(zip(header, lines[1].split(","), strict=True))
    assert row["退款申请时间"] == f"`{bill_day.day} 15:30:00"
    assert row["退款成功时间"] == f"`{bill_day.day} 15:30:00"
    assert row["退款金额"] == "`3.00"
    assert len(lines) == 5  # header, 1 refund, summary header, summary, ""


def test_bill_apply_errors(bill_day: BillDay) -> None:
    today = datetime.now(CST).date()
    empty_day = bill_day.day - timedelta(days=3)
    cases = {
        f"bill_date={empty_day}": (400, "NO_STATEMENT_EXIST"),
        f"bill_date={today + timedelta(days=1)}": (400, "INVALID_REQUEST"),
        "bill_date=20250301": (400, "PARAM_ERROR"),
        f"bill_date={bill_day.day}&bill_type=EVERYTHING": (400, "PARAM_ERROR"),
        "bill_type=ALL": (400, "PARAM_ERROR"),
    }
    for query, expected in cases.items():
        response = bill_day.send("GET", f"/v3/bill/tradebill?{query}")
        assert (response.status_code, response.json()["code"]) == expected, query


def test_download_url_expires_after_five_minutes(bill_day: BillDay) -> None:
    applied = bill_day.send("GET", f"/v3/bill/tradebill?bill_date={bill_day.day}")
    url = urlsplit(applied.json()["download_url"])
    bill_day.now[0] += 301
    response = bill_day.send("GET", f"{url.path}?{url.query}")
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_REQUEST")


def test_amount_formatting() -> None:
    assert (yuan(1), yuan(1000), yuan(123456)) == ("0.01", "10.00", "1234.56")
    assert fee_fen(1, 100) == 0  # the real sample: 0.01 at 1.00% → `0.00000
    assert fee_fen(100, 60) == 1  # 0.6 fen rounds half up to 1 fen
    assert fee_fen(250, 60) == 2  # 1.5 fen → 2
    assert (fee_yuan(0), fee_yuan(6), fee_yuan(-2)) == ("0.00000", "0.06000", "-0.02000")
    assert (rate_text(60), rate_text(100), rate_text(38)) == ("0.60%", "1.00%", "0.38%")
