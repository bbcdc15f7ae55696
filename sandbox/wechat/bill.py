"""The trade bill (交易账单) CSV in WeChat's real format.

Layout: detail header, detail rows, summary header, summary row. Header rows are plain; every
value is prefixed with a backtick. Amounts are yuan with 2 decimals, fees yuan with 5 decimals
(whole fen, rounded half up, so 1 fen at 1.00% is ``0.00000``), rates like ``0.60%``.
A payment appears on the day it succeeded with 交易状态 SUCCESS; a refund appears as its own
row (交易状态 REFUND) on the day it was applied for. Days are Asia/Shanghai days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sandbox.wechat.store import Order, Refund, cst

_BASE = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额"  # noqa: E501
_REFUND_COLUMNS = "微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态"
_TAIL = "商品名称,商户数据包,手续费,费率,订单金额"
DETAIL_HEADERS = {
    "ALL": f"{_BASE},{_REFUND_COLUMNS},{_TAIL},申请退款金额,费率备注",
    "SUCCESS": f"{_BASE},{_TAIL},费率备注",
    "REFUND": f"{_BASE},退款申请时间,退款成功时间,{_REFUND_COLUMNS},{_TAIL},申请退款金额,费率备注",
}
_FULL_SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
SUMMARY_HEADERS = {
    "ALL": _FULL_SUMMARY,
    "SUCCESS": "总交易单数,应结订单总金额,手续费总金额,订单总金额",
    "REFUND": _FULL_SUMMARY,
}
BILL_TYPES = frozenset(DETAIL_HEADERS)
LINE_END = "\r\n"


def yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def fee_yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.5f}"


def rate_text(fee_rate_bp: int) -> str:
    return f"{Decimal(fee_rate_bp) / 100:.2f}%"


def fee_fen(amount_fen: int, fee_rate_bp: int) -> int:
    exact = Decimal(amount_fen) * fee_rate_bp / 10000
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _time(timestamp: float | None) -> str:
    return "" if timestamp is None else f"{cst(timestamp):%Y-%m-%d %H:%M:%S}"


@dataclass(frozen=True)
class _Row:
    at: float
    values: dict[str, str]
    settlement: int
    refund: int
    fee: int
    order_amount: int


def _order_values(order: Order, fee_rate_bp: int) -> dict[str, str]:
    return {
        "公众账号ID": order.appid,
        "商户号": order.mchid,
        "特约商户号": order.sub_mchid or "0",  # a partner order: its sub-merchant
        "设备号": order.device_id,
        "微信订单号": order.transaction_id or "",
        "商户订单号": order.out_trade_no,
        "用户标识": order.payer_openid or "",
        "交易类型": order.trade_type,
        "付款银行": order.bank_type or "OTHERS",
        "货币种类": order.currency,
        "代金券金额": "0.00",
        "充值券退款金额": "0.00",
        "商品名称": order.description,
        "商户数据包": order.attach or "",
        "费率": rate_text(fee_rate_bp),
        "费率备注": "",
    }


def _payment_row(order: Order, success_time: float, fee_rate_bp: int) -> _Row:
    fee = fee_fen(order.total, fee_rate_bp)
    values = _order_values(order, fee_rate_bp) | {
        "交易时间": _time(success_time),
        "交易状态": "SUCCESS",
        "应结订单金额": yuan(order.total),
        "微信退款单号": "0",
        "商户退款单号": "0",
        "退款金额": "0.00",
        "退款类型": "",
        "退款状态": "",
        "手续费": fee_yuan(fee),
        "订单金额": yuan(order.total),
        "申请退款金额": "0.00",
        "退款申请时间": "",
        "退款成功时间": "",
    }
    return _Row(success_time, values, order.total, 0, fee, order.total)


def _refund_row(order: Order, refund: Refund, fee_rate_bp: int) -> _Row:
    fee = -fee_fen(refund.refund, fee_rate_bp)
    values = _order_values(order, fee_rate_bp) | {
        "交易时间": _time(refund.created_at),
        "交易状态": "REFUND",
        "应结订单金额": "0.00",
        "微信退款单号": refund.refund_id,
        "商户退款单号": refund.out_refund_no,
        "退款金额": yuan(refund.refund),
        "退款类型": "ORIGINAL",
        "退款状态": refund.status,
        "手续费": fee_yuan(fee),
        "订单金额": "0.00",
        "申请退款金额": yuan(refund.refund),
        "退款申请时间": _time(refund.created_at),
        "退款成功时间": _time(refund.success_time),
    }
    return _Row(refund.created_at, values, 0, refund.refund, fee, 0)


def _rows(
    bill_date: date, bill_type: str, orders: list[Order], refunds: list[Refund], fee_rate_bp: int
) -> list[_Row]:
    rows: list[_Row] = []
    by_trade_no = {order.out_trade_no: order for order in orders}
    if bill_type in ("ALL", "SUCCESS"):
        for order in orders:
            paid_at = order.success_time
            if paid_at is not None and cst(paid_at).date() == bill_date:
                rows.append(_payment_row(order, paid_at, fee_rate_bp))
    if bill_type in ("ALL", "REFUND"):
        for refund in refunds:
            refunded = by_trade_no.get(refund.out_trade_no)
            if refunded is not None and cst(refund.created_at).date() == bill_date:
                rows.append(_refund_row(refunded, refund, fee_rate_bp))
    return sorted(rows, key=lambda row: row.at)


def _summary(bill_type: str, rows: list[_Row]) -> dict[str, str]:
    refunds = yuan(sum(row.refund for row in rows))
    return {
        "总交易单数": str(len(rows)),
        "应结订单总金额": yuan(sum(row.settlement for row in rows)),
        "退款总金额": refunds,
        "充值券退款总金额": "0.00",
        "手续费总金额": fee_yuan(sum(row.fee for row in rows)),
        "订单总金额": yuan(sum(row.order_amount for row in rows)),
        "申请退款总金额": refunds,
    }


def _line(columns: list[str], values: dict[str, str]) -> str:
    return ",".join(f"`{values[column]}" for column in columns)


def render_trade_bill(
    bill_date: date,
    bill_type: str,
    orders: list[Order],
    refunds: list[Refund],
    fee_rate_bp: int,
) -> bytes | None:
    """The bill of one merchant's ``orders``/``refunds`` for one day; None when it is empty
    (WeChat answers such a day with ``NO_STATEMENT_EXIST``)."""
    rows = _rows(bill_date, bill_type, orders, refunds, fee_rate_bp)
    if not rows:
        return None
    detail_columns = DETAIL_HEADERS[bill_type].split(",")
    summary_columns = SUMMARY_HEADERS[bill_type].split(",")
    lines = [DETAIL_HEADERS[bill_type]]
    lines += [_line(detail_columns, row.values) for row in rows]
    lines += [SUMMARY_HEADERS[bill_type], _line(summary_columns, _summary(bill_type, rows))]
    return (LINE_END.join(lines) + LINE_END).encode("utf-8")
