"""The trade bill (``bill_type=trade``) as Alipay serves it: a zip of two GBK CSV files.

``{pid}0156_{yyyymmdd}_业务明细.csv`` (detail) and ``{pid}0156_{yyyymmdd}_业务明细(汇总).csv``
(summary), their names GBK-encoded in the zip like Alipay's (no UTF-8 flag). Lines end in
``\\r\\n``. Detail layout (PROTOCOLS.md §2.6): four ``#`` header lines, the 25-column header,
one row per payment (业务类型 交易, on its payment day) and per refund (退款, on its refund day,
negative amounts, out_request_no in 退款批次号/请求号), the end marker and the
``#交易合计``/``#退款合计``/``#导出时间`` footer. ID-like columns end in a tab, as in real bills.

服务费（元）: 0.6 % (the app's ``fee_rate_bp``) of each payment, rounded half up to the fen,
shown negative; a refund gives back the proportional part (rounded half up on the cumulative
refunded amount, so a full refund gives back exactly the fee charged), shown positive.
Values holding a comma or a quote are CSV-quoted.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

from sandbox.alipay.apps import SandboxApp
from sandbox.alipay.store import Refund, Trade, buyer_logon_id
from sandbox.alipay.times import CST, alipay_time, cst
from sandbox.alipay.validation import yuan

DETAIL_HEADER = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
    "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
    "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
)
SUMMARY_HEADER = (
    "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,"
    "商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）"
)
_RULE = "-" * 41
DETAIL_START = f"#{_RULE}业务明细列表{'-' * 40}"
DETAIL_END = f"#{_RULE}业务明细列表结束{'-' * 36}"
SUMMARY_START = f"#{_RULE}业务汇总列表{'-' * 40}"
SUMMARY_END = f"#{_RULE}业务汇总列表结束{'-' * 36}"
LINE_END = "\r\n"
ENCODING = "gbk"


@dataclass(frozen=True)
class Period:
    """A bill's span: one day (``2019-09-16``) or one month (``2019-09``), GMT+8."""

    start: date
    end: date  # exclusive
    label: str  # yyyymmdd or yyyymm, as in the file names

    def holds(self, timestamp: float) -> bool:
        return self.start <= cst(timestamp).date() < self.end


@dataclass(frozen=True)
class _Row:
    at: float
    values: list[str]
    kind: str  # 交易 / 退款
    store: str
    amount: int  # fen, negative for refunds
    fee: int  # fen, negative when charged


def _id(value: str | None) -> str:
    return f"{value or ''}\t"


def _cell(value: str) -> str:
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _row(trade: Trade, kind: str, at: float, amount: int, fee: int, request_no: str | None) -> _Row:
    counterpart = f"**买家({buyer_logon_id(trade.buyer_id)})" if trade.buyer_id else ""
    values = [
        _id(trade.trade_no),
        _id(trade.out_trade_no),
        _id(kind),
        trade.subject,
        alipay_time(trade.gmt_create) if trade.gmt_create else "",
        alipay_time(at),
        _id(trade.store_id),
        _id(trade.store_id),
        _id(trade.operator_id),
        _id(trade.terminal_id),
        _id(counterpart),
        yuan(amount),
        yuan(amount),
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "",
        "0.00\t",
        "0.00",
        _id(request_no),
        yuan(fee),
        "0.00",
        trade.body or "",
    ]
    return _Row(at, values, kind, trade.store_id or "", amount, fee)


def _rows(period: Period, trades: list[Trade], refunds: list[Refund]) -> list[_Row]:
    rows = []
    by_number = {trade.out_trade_no: trade for trade in trades}
    for trade in trades:
        if trade.gmt_payment is not None and period.holds(trade.gmt_payment):
            rows.append(_row(trade, "交易", trade.gmt_payment, trade.total, -trade.fee, None))
    for refund in refunds:
        refunded = by_number.get(refund.out_trade_no)
        if refunded is not None and period.holds(refund.refunded_at):
            rows.append(
                _row(
                    refunded,
                    "退款",
                    refund.refunded_at,
                    -refund.amount,
                    refund.fee_returned,
                    refund.out_request_no,
                )
            )
    return sorted(rows, key=lambda row: row.at)


def _day_text(day: date) -> str:
    return f"{datetime.combine(day, time(), CST):%Y年%m月%d日 %H:%M:%S}"


def _head(title: str, app: SandboxApp, period: Period) -> list[str]:
    return [
        title,
        f"#账号：[{app.pid}0156]",
        f"#起始日期：[{_day_text(period.start)}]   终止日期：[{_day_text(period.end)}]",
    ]


def _export_line(now: float) -> str:
    return f"#导出时间：[{cst(now):%Y年%m月%d日 %H:%M:%S}]"


def _total(rows: list[_Row]) -> str:
    return yuan(sum(row.amount for row in rows))


def _detail(app: SandboxApp, period: Period, rows: list[_Row], now: float) -> str:
    payments = [row for row in rows if row.kind == "交易"]
    refunds = [row for row in rows if row.kind == "退款"]
    lines = [*_head("#支付宝业务明细查询", app, period), DETAIL_START, DETAIL_HEADER]
    lines += [",".join(_cell(value) for value in row.values) for row in rows]
    lines += [
        DETAIL_END,
        f"#交易合计：{len(payments)}笔，商家实收共{_total(payments)}元，商家优惠共0.00元",
        f"#退款合计：{len(refunds)}笔，商家实收退款共{_total(refunds)}元，商家优惠退款共0.00元",
        _export_line(now),
    ]
    return LINE_END.join(lines) + LINE_END


def _summary_line(store: list[str], rows: list[_Row]) -> str:
    amount = sum(row.amount for row in rows)
    fee = sum(row.fee for row in rows)
    counts = [str(sum(row.kind == "交易" for row in rows)), str(sum(row.kind == "退款" for row in rows))]
    amounts = [yuan(amount), yuan(amount), "0.00", "0.00", "0.00", yuan(fee), "0.00", yuan(amount + fee)]
    return ",".join([*store, *counts, *amounts])


def _summary(app: SandboxApp, period: Period, rows: list[_Row], now: float) -> str:
    lines = [*_head("#支付宝业务汇总查询", app, period), SUMMARY_START, SUMMARY_HEADER]
    for store in sorted({row.store for row in rows}):
        lines.append(_summary_line([_id(store), _id(store)], [row for row in rows if row.store == store]))
    lines += [_summary_line(["合计", ""], rows), SUMMARY_END, _export_line(now)]
    return LINE_END.join(lines) + LINE_END


class _GbkName(zipfile.ZipInfo):
    """A zip entry whose name is stored in GBK without the UTF-8 flag, as Alipay's are."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode(ENCODING), self.flag_bits


def render_trade_bill(
    app: SandboxApp, period: Period, trades: list[Trade], refunds: list[Refund], now: float
) -> bytes | None:
    """The zip of one app's bill, or None when the period has no row (isp.bill_not_exist)."""
    rows = _rows(period, trades, refunds)
    if not rows:
        return None
    prefix = f"{app.pid}0156_{period.label}"
    stamp = cst(now).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in (
            (f"{prefix}_业务明细.csv", _detail(app, period, rows, now)),
            (f"{prefix}_业务明细(汇总).csv", _summary(app, period, rows, now)),
        ):
            info = _GbkName(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content.encode(ENCODING, errors="replace"))
    return buffer.getvalue()


def bill_file_name(app: SandboxApp, period: Period) -> str:
    return f"{app.pid}0156_{period.label}.csv.zip"
