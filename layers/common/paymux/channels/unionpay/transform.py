"""Pure mapping between paymux values and UnionPay ACP 5.1.0 request fields (PROTOCOLS.md §3,
RESEARCH.md §1.2): products, order ids and their times, the clearing day, the unsigned fields
of every request. Amounts cross as integer fen strings (no decimal point); times are Beijing
wall clock `YYYYMMDDhhmmss`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from paymux.channels.base import CreateRequest, RefundRequest
from paymux.clock import CHINA
from paymux.domain.refund import AUTOMATIC_PREFIX
from paymux.errors import BadRequest

VERSION = "5.1.0"
CURRENCY_CODE = "156"  # CNY
PROTOCOL_CURRENCY = "CNY"
TIME_FORMAT = "%Y%m%d%H%M%S"
FRONT_PATH = "/gateway/api/frontTransReq.do"
BACK_PATH = "/gateway/api/backTransReq.do"
QUERY_PATH = "/gateway/api/queryTrans.do"
APP_PATH = "/gateway/api/appTransReq.do"  # 手机控件支付: answered with the tn for the app SDK
CONSUME, REFUND, UNDO, QUERY = "01", "04", "31", "00"
# UnionPay's clearing day turns at 23:00 Beijing time: a transaction at or after 23:00 is
# cleared (and listed in the statement) of the next calendar day. The one definition paymux
# uses (the undo-or-refund choice; tests pin it).
CLEARING_CUTOFF_HOUR = 23
# 退货 is accepted up to 11 months after the consume; paymux counts 11 × 30 days, never more.
REFUND_WINDOW_SECONDS = 11 * 30 * 86400.0
ORDER_ID = re.compile(r"[0-9A-Za-z]{8,40}")
_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # the ULID alphabet of paymux.domain.ids


@dataclass(frozen=True, slots=True)
class Product:
    txn_sub_type: str
    biz_type: str
    channel_type: str  # 07 PC/internet, 08 mobile
    endpoint: Literal["front", "back", "app"]  # the browser's form POST, server to server, or the app's tn
    front_like: bool  # its payment result comes later (notify/query), not in the answer


PRODUCTS: dict[str, Product] = {
    # 申码: the merchant shows the returned qrCode; the payment comes by notify (front-like)
    "unionpay.qr": Product("07", "000000", "08", "back", front_like=True),
    # the payer's code (qrNo), a back (funds) transaction answered synchronously
    "unionpay.barcode": Product("06", "000000", "08", "back", front_like=False),
    "unionpay.gateway": Product("01", "000201", "07", "front", front_like=True),
    "unionpay.wap": Product("01", "000201", "08", "front", front_like=True),
    # 手机控件支付: the consume is sent server to server to appTransReq.do; its answer's tn is
    # what the merchant's app hands UnionPay's app SDK (the payer pays there; notify/query tell)
    "unionpay.app": Product("01", "000201", "08", "app", front_like=True),
    # 企业网银 (business bank accounts): the gateway form with bizType 000202, PC only
    "unionpay.b2b": Product("01", "000202", "07", "front", front_like=True),
}
# 企业网银 consumes carry their business scene: 110001 (the ACP 5.1.0 B2B consume's value).
B2B_BIZ_SCENE = "110001"
# Products refunded by 退货 (04) only, never by 消费撤销 (31): a B2B consume (the undo of
# 企业网银 payments is not confirmed in the public ACP sources examined; 04 is, same day too).
REFUND_ONLY = frozenset({"unionpay.b2b"})
# Query ladders (RESEARCH.md §1.3): back transactions 1, 2, 4, 8, 16, 32 s; front ones
# 5, 10, 30, 60, 120 min (then the sweeper's tiers, and the expiry's query after payTimeout).
BACK_LADDER: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
FRONT_LADDER: tuple[float, ...] = (300.0, 600.0, 1800.0, 3600.0, 7200.0)
QUERY_LADDERS: dict[str, tuple[float, ...]] = {
    product: FRONT_LADDER if spec.front_like else BACK_LADDER for product, spec in PRODUCTS.items()
}


def txn_time(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), CHINA).strftime(TIME_FORMAT)


def parse_txn_time(value: str) -> float:
    """`YYYYMMDDhhmmss` Beijing → epoch seconds; ValueError when it is not one."""
    if len(value) != 14 or not value.isdigit():
        raise ValueError(f"not a UnionPay time: {value!r}")
    return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=CHINA).timestamp()


def order_id(number: str) -> str:
    """paymux's order and refund numbers are UnionPay orderIds as they are (28, 26 or 31
    alphanumerics: domain.ids, domain.refund), so a notify's orderId names them back."""
    if not ORDER_ID.fullmatch(number):
        raise BadRequest(f"{number!r} is not a UnionPay orderId (8-40 alphanumerics)")
    return number


def issued_at(number: str) -> float:
    """When paymux issued an order or refund number: the milliseconds of the ULID it starts
    with (an automatic refund's DUP<out_trade_no>: its attempt's). No request is sent before
    it; a request sent without a stored send time (a record written before paymux stored one)
    was sent with it as its txnTime (`sent_time`)."""
    ulid = number.removeprefix(AUTOMATIC_PREFIX)[:10]
    if len(ulid) != 10 or any(c not in _BASE32 for c in ulid):
        raise BadRequest(f"{number!r} is not an order number paymux issued")
    millis = 0
    for char in ulid:
        millis = millis * 32 + _BASE32.index(char)
    return millis / 1000.0


def sent_time(number: str, sent_at: float | None) -> str:
    """The txnTime of the request paymux sends, or sent, as orderId `number`: the send time
    stored with its attempt or refund before it was first sent (UnionPay wants the current
    time, and a query must name the original's again); the number's issue time for a record
    that has none (paymux used that before it stored the send time)."""
    return txn_time(sent_at if sent_at is not None else issued_at(number))


def clearing_day(ts: float) -> date:
    """The UnionPay clearing day of a moment (23:00 Beijing cut-off)."""
    moment = datetime.fromtimestamp(ts, CHINA)
    day = moment.date()
    return day + timedelta(days=1) if moment.hour >= CLEARING_CUTOFF_HOUR else day


def settle_day(mmdd: str, near: float) -> str:
    """settleDate `MMDD` as ISO, in the year that puts it nearest to `near` (the message's
    txnTime): a December transaction cleared on 0101 is next year's. "" when unreadable."""
    if len(mmdd) != 4 or not mmdd.isdigit():
        return ""
    base = datetime.fromtimestamp(near, CHINA).date()
    candidates = []
    for year in (base.year - 1, base.year, base.year + 1):
        try:
            candidates.append(date(year, int(mmdd[:2]), int(mmdd[2:])))
        except ValueError:
            continue
    if not candidates:
        return ""
    return min(candidates, key=lambda day: abs((day - base).days)).isoformat()


@dataclass(frozen=True, slots=True)
class Access:
    """Who sends: a merchant's own merId (accessType 0), or an acquirer (accessType 1, its
    institution code acqInsCode) for the merId it assigned its sub-merchant."""

    mer_id: str
    acq_ins_code: str = ""

    def fields(self) -> dict[str, str]:
        if self.acq_ins_code:
            return {"accessType": "1", "acqInsCode": self.acq_ins_code, "merId": self.mer_id}
        return {"accessType": "0", "merId": self.mer_id}


def _common(access: Access) -> dict[str, str]:
    return {"version": VERSION, "encoding": "UTF-8", "signMethod": "01", **access.fields()}


def create_fields(request: CreateRequest, access: Access) -> dict[str, str]:
    """The unsigned fields of a consume (01) of `request.product`."""
    spec = PRODUCTS[request.product]
    fields = {
        **_common(access),
        "txnType": CONSUME,
        "txnSubType": spec.txn_sub_type,
        "bizType": spec.biz_type,
        "channelType": spec.channel_type,
        "orderId": order_id(request.out_trade_no),
        "txnTime": sent_time(request.out_trade_no, request.sent_at),
        "txnAmt": str(request.amount),
        "currencyCode": CURRENCY_CODE,
        "backUrl": request.notify_url,
    }
    if request.product == "unionpay.barcode":
        code = request.payer.get("auth_code", "")
        if not code:
            raise BadRequest("unionpay.barcode needs payer.auth_code (the payer's code)")
        fields["qrNo"] = code
    if spec.front_like:
        # the order stops being payable at paymux's expiry: a gateway/WAP form and a QR code
        # apply (07, a back transaction) alike; its failure before then is not final
        fields["payTimeout"] = txn_time(request.expires_at)
    if spec.biz_type == "000202":
        fields["bizScene"] = B2B_BIZ_SCENE
    if spec.endpoint == "front":
        if not request.return_url:
            raise BadRequest(f"{request.product} needs return_url (where the payer's browser goes back)")
        fields["frontUrl"] = request.return_url
    return fields


def query_fields(number: str, access: Access, sent_at: float | None = None) -> dict[str, str]:
    """A query (00/00) of the transaction paymux sent as orderId `number` at `sent_at` (its
    stored send time: the original request's orderId + txnTime)."""
    return {
        **_common(access),
        "txnType": QUERY,
        "txnSubType": "00",
        "bizType": "000000",
        "channelType": "07",
        "orderId": order_id(number),
        "txnTime": sent_time(number, sent_at),
    }


def refund_type(request: RefundRequest, now: float) -> str:
    """Consume undo (31) for the full amount on the payment's own clearing day, when nothing
    has been taken back of it (it reverses the consume before it is cleared: no fee, no
    wait); a refund (04) otherwise. A payment without a known clearing day is refunded. The
    day is the one the refund was asked on (`requested_at`), so a resend of the same refund is
    the same message whenever it is sent."""
    if request.product in REFUND_ONLY:
        return REFUND
    full = request.amount == request.total
    asked = request.requested_at if request.requested_at is not None else now
    same_day = bool(request.settle_date) and request.settle_date == clearing_day(asked).isoformat()
    return UNDO if full and same_day else REFUND


def refund_fields(request: RefundRequest, access: Access, txn_type: str, biz_type: str) -> dict[str, str]:
    if not request.channel_trade_no:
        raise BadRequest(f"refund {request.out_refund_no}: the payment has no UnionPay queryId")
    return {
        **_common(access),
        "txnType": txn_type,
        "txnSubType": "00",
        "bizType": biz_type,
        "channelType": "07",
        "orderId": order_id(request.out_refund_no),
        "txnTime": sent_time(request.out_refund_no, request.sent_at),
        "txnAmt": str(request.amount),
        "currencyCode": CURRENCY_CODE,
        "origQryId": request.channel_trade_no,
        "backUrl": request.notify_url,
    }
