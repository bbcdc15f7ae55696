"""Pure mapping between paymux values and Huifu 斗拱 request `data` (docs/channels.md, e-CNY).

Amounts cross as yuan strings with two decimals (`trans_amt`, `ord_amt`); dates are Beijing
`yyyyMMdd` (`req_date`), times `yyyyMMddHHmmss`. paymux's numbers are Huifu's `req_seq_id` as
they are (28, 26 or 31 alphanumerics; unique per huifu_id and day, as Huifu requires).

The `req_date` of a payment attempt is the Beijing day its number was issued (the ULID time
of paymux.domain.ids, within milliseconds of the send): the create, every query and every
refund of it name that same day, so none of them depends on a time stored elsewhere. A
refund's own `req_date` is the day it was first sent (RefundRequest.sent_at), named again by
its queries (RefundQueryContext.sent_at)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from paymux.channels.base import CreateRequest, RefundRequest
from paymux.clock import CHINA
from paymux.domain.ids import ulid_time
from paymux.domain.refund import AUTOMATIC_PREFIX
from paymux.errors import BadRequest

JSPAY_PATH = "/v3/trade/payment/jspay"  # 聚合正扫 (D_NATIVE among the wallets' QR codes)
MICROPAY_PATH = "/v3/trade/payment/micropay"  # 聚合反扫 (D_MICROPAY: the payer's code)
QUERY_PATH = "/v3/trade/payment/scanpay/query"  # 扫码交易查询
REFUND_PATH = "/v3/trade/payment/scanpay/refund"  # 扫码交易退款
REFUND_QUERY_PATH = "/v3/trade/payment/scanpay/refundquery"  # 扫码交易退款查询
FILE_QUERY_PATH = "/v2/trade/check/filequery"  # 交易结算对账单查询
DATE_FORMAT = "%Y%m%d"
TIME_FORMAT = "%Y%m%d%H%M%S"
ECNY_PAY_CHANNEL = "D"  # a refund query's pay_channel for 数字货币 (A/T/U the others)
TRADE_BILL = "TRADE_BILL"
SEQ_ID = re.compile(r"[0-9A-Za-z]{8,64}")
GOODS_DESC_MAX = 127  # characters (the micropay request's limit, the stricter of the two)
# Huifu refunds the wallets within 360 days; for e-CNY no term is published: paymux uses 360.
REFUND_WINDOW_SECONDS = 360 * 86400.0
# How long a QR code closed as timed out is still asked about (Huifu cannot close it, and a
# wallet's payment may complete after the expiry; its notifies stop after 3 resends).
LATE_PAYMENT_WATCH_SECONDS = 86400.0


@dataclass(frozen=True, slots=True)
class Product:
    trade_type: str  # the answer's trade_type / the notify's trans_type
    path: str
    payer_code: bool


PRODUCTS: dict[str, Product] = {
    "ecny.qr": Product("D_NATIVE", JSPAY_PATH, payer_code=False),
    "ecny.barcode": Product("D_MICROPAY", MICROPAY_PATH, payer_code=True),
}
TRADE_TYPES = frozenset(p.trade_type for p in PRODUCTS.values())
# First checks after the create (seconds): a payer code is confirmed in the wallet within a
# minute or so; a QR code waits for the payer to scan it. Then the sweeper's own tiers.
QUERY_LADDERS: dict[str, tuple[float, ...]] = {
    "ecny.barcode": (5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0),
    "ecny.qr": (60.0, 300.0, 900.0, 1800.0),
}


def seq_id(number: str) -> str:
    if not SEQ_ID.fullmatch(number):
        raise BadRequest(f"{number!r} is not a Huifu req_seq_id (8-64 alphanumerics)")
    return number


def beijing_date(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), CHINA).strftime(DATE_FORMAT)


def issued_at(number: str) -> float:
    """When paymux issued `number` (an attempt's, or an automatic refund's DUP+attempt)."""
    at = ulid_time(number.removeprefix(AUTOMATIC_PREFIX)[:26])
    if at is None:
        raise BadRequest(f"{number!r} is not a number paymux issued")
    return at


def attempt_date(out_trade_no: str) -> str:
    return beijing_date(issued_at(out_trade_no))


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def fen(value: str) -> int | None:
    """ "19.99" → 1999; None when it is not a non-negative amount with at most 2 decimals."""
    match = re.fullmatch(r"(\d{1,12})(?:\.(\d{1,2}))?", value or "")
    if match is None:
        return None
    whole, cents = match.groups()
    return int(whole) * 100 + int((cents or "0").ljust(2, "0"))


def parse_time(value: str) -> float | None:
    try:
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=CHINA).timestamp()
    except ValueError:
        return None


def goods_desc(subject: str) -> str:
    return subject[:GOODS_DESC_MAX]


def create_data(request: CreateRequest, huifu_id: str) -> dict[str, str]:
    product = PRODUCTS[request.product]
    data = {
        "req_date": attempt_date(request.out_trade_no),
        "req_seq_id": seq_id(request.out_trade_no),
        "huifu_id": huifu_id,
        "trans_amt": yuan(request.amount),
        "goods_desc": goods_desc(request.subject),
        "time_expire": datetime.fromtimestamp(int(request.expires_at), CHINA).strftime(TIME_FORMAT),
        "notify_url": request.notify_url,
    }
    if product.payer_code:
        data["auth_code"] = request.payer.get("auth_code", "")
        # 安全信息, required by the micropay request: where the cashier's terminal is
        address = request.payer.get("client_ip", "127.0.0.1")
        data["risk_check_data"] = json.dumps({"ip_addr": address}, separators=(",", ":"))
    else:
        data["trade_type"] = product.trade_type
    return data


def query_data(out_trade_no: str, huifu_id: str) -> dict[str, str]:
    return {
        "huifu_id": huifu_id,
        "org_req_date": attempt_date(out_trade_no),
        "org_req_seq_id": seq_id(out_trade_no),
    }


def refund_data(request: RefundRequest, huifu_id: str, now: float) -> dict[str, str]:
    return {
        "req_date": beijing_date(request.sent_at if request.sent_at is not None else now),
        "req_seq_id": seq_id(request.out_refund_no),
        "huifu_id": huifu_id,
        "ord_amt": yuan(request.amount),
        "org_req_date": attempt_date(request.out_trade_no),
        "org_req_seq_id": seq_id(request.out_trade_no),
        "notify_url": request.notify_url,
    }


def refund_query_data(out_refund_no: str, huifu_id: str, sent_at: float | None, now: float) -> dict[str, str]:
    return {
        "huifu_id": huifu_id,
        "org_req_date": beijing_date(sent_at if sent_at is not None else now),
        "org_req_seq_id": seq_id(out_refund_no),
    }


def file_query_data(bill_date: date, huifu_id: str, now: float, req_seq_id: str) -> dict[str, str]:
    """The file of trade day `bill_date` is Huifu's file of the next day (file_date = day + 1)."""
    return {
        "req_date": beijing_date(now),
        "req_seq_id": req_seq_id,
        "huifu_id": huifu_id,
        "file_date": (bill_date + timedelta(days=1)).strftime(DATE_FORMAT),
        "bill_type": TRADE_BILL,
    }
