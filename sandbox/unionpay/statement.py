"""The merchant's daily statement (fileType 00), in the layout of UnionPay's official sample.

A zip holding ``INN<yymmdd>88ZM_<merId>`` (the detail, 全渠道商户交易明细: GBK, CRLF, fixed
width in GBK *bytes* with a one-byte separator after each field, 607 bytes a line) and
``RD2010<yymmdd>01_<merId>`` (the summary, 汇总表). Rows are the transactions booked on the
settle date (clearing day, cut at 23:00 Beijing time). ``layout="daxpay"`` writes the 46-field
608-byte variant (fields 42–46 of 13, 2, 1, 12, 67 bytes) some files carry.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from sandbox.unionpay.merchants import SandboxMerchant
from sandbox.unionpay.store import Transaction

Layout = Literal["official", "daxpay"]
WIDTHS: tuple[int, ...] = (
    3, 11, 11, 6, 10, 19, 12, 4, 2, 21, 2, 32, 2, 6, 10, 13, 13, 4, 15, 2, 2,
    6, 2, 4, 32, 1, 21, 15, 1, 15, 32, 13, 13, 8, 32, 13, 13, 12, 2, 1, 32, 98,
)  # fmt: skip
DAXPAY_TAIL: tuple[int, ...] = (13, 2, 1, 12, 67)
DIRECT_ACQUIRER = "88022900"  # the acquiring institution of the official sample
SENDER = "00049993"
TXN_CODES = {("01", "000201"): "S56", ("01", "000000"): "S22", ("04", ""): "S30", ("31", ""): "S31"}
TYPE_NAMES = {"01": "自助消费", "04": "退货", "31": "消费撤销"}
_RULE = "_" * 136


@dataclass(frozen=True)
class StatementFile:
    file_name: str  # ``<merId>_<yyyymmdd>.zip``
    zip_bytes: bytes


def _gbk_field(text: str, width: int, *, right: bool = False, fill: str = " ") -> bytes:
    raw = text.encode("gbk", errors="replace")
    while len(raw) > width:  # cut whole characters, never half of a GBK pair
        text = text[:-1]
        raw = text.encode("gbk", errors="replace")
    pad = fill.encode() * (width - len(raw))
    return pad + raw if right else raw + pad


def _signed(sign: str, fen: int) -> str:
    return f"{sign}{fen:012d}"


def _code(txn: Transaction) -> str:
    return TXN_CODES.get((txn.txn_type, txn.biz_type)) or TXN_CODES.get((txn.txn_type, ""), "S22")


def detail_fields(txn: Transaction, layout: Layout) -> list[str]:
    consume = txn.txn_type == "01"
    net = txn.amount - txn.fee
    fee_sign, net_sign = ("D", "C") if consume else ("C", "D")
    acquirer = txn.acq_ins_code or DIRECT_ACQUIRER
    fields = [
        _code(txn), acquirer, txn.acq_ins_code or SENDER, txn.trace_no, txn.trace_time,
        txn.card or "622609******0048", f"{txn.amount:012d}", "4899", txn.channel_type,
        txn.query_id, "01", txn.order_id, "01", txn.orig_trace_no, txn.orig_trace_time,
        _signed(fee_sign, txn.fee), _signed(net_sign, net), "0001", "", txn.txn_type, "",
        txn.biz_type, "", "", "", "", txn.orig_query_id, txn.mer_id, "", "0" * 15, "",
        " " + "0" * 12, _signed(net_sign, net), "01080209", txn.req_reserved, " " + "0" * 12,
        " " + "0" * 12, " " + "0" * 11, "", "7", txn.orig_order_id, "",
    ]  # fmt: skip
    if layout == "daxpay":
        fields[-1:] = [" " + "0" * 12, "", "", "", ""]
    return fields


def detail_line(txn: Transaction, layout: Layout = "official") -> bytes:
    widths = WIDTHS if layout == "official" else WIDTHS[:-1] + DAXPAY_TAIL
    values = detail_fields(txn, layout)
    return b" ".join(_gbk_field(value, width) for value, width in zip(values, widths, strict=True))


@dataclass
class _Totals:
    count: int = 0
    debit: int = 0
    credit: int = 0
    fee_debit: int = 0
    fee_credit: int = 0
    net_debit: int = 0
    net_credit: int = 0

    def add(self, txn: Transaction) -> None:
        self.count += 1
        net = txn.amount - txn.fee
        if txn.txn_type == "01":
            self.credit, self.fee_debit, self.net_credit = (
                self.credit + txn.amount,
                self.fee_debit + txn.fee,
                self.net_credit + net,
            )
        else:
            self.debit, self.fee_credit, self.net_debit = (
                self.debit + txn.amount,
                self.fee_credit + txn.fee,
                self.net_debit + net,
            )

    def merged(self, other: _Totals) -> _Totals:
        return _Totals(*(a + b for a, b in zip(self.row(), other.row(), strict=True)))

    def row(self) -> tuple[int, ...]:
        return (
            self.count,
            self.debit,
            self.credit,
            self.fee_debit,
            self.fee_credit,
            self.net_debit,
            self.net_credit,
        )


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _summary_line(name: str, totals: _Totals) -> bytes:
    count, *amounts = totals.row()
    cells = _gbk_field(name, 20) + _gbk_field(str(count), 8, right=True)
    return cells + b"".join(_gbk_field(_yuan(a), 16, right=True) for a in amounts)


def _placed(*texts: tuple[int, str]) -> bytes:
    """Texts at GBK byte offsets on one line (the summary's column headings)."""
    line = b""
    for offset, text in texts:
        line = line.ljust(offset) + text.encode("gbk")
    return line


def _columns(first: str) -> bytes:
    return _placed((0, first), (20, "交易笔数"), (43, "交易金额"), (76, "费用"), (110, "资金清算差额"))


_SIDES = _placed((41, "借"), (57, "贷"), (73, "借"), (89, "贷"), (106, "借"), (126, "贷"))


def _header(left: str, right: str) -> bytes:
    return _gbk_field(left, 64) + right.encode("gbk")


def summary_file(rows: Sequence[Transaction], merchant: SandboxMerchant, day: date) -> bytes:
    by_type: dict[str, _Totals] = {}
    for txn in rows:
        by_type.setdefault(txn.txn_type, _Totals()).add(txn)
    total = _Totals()
    for totals in by_type.values():
        total = total.merged(totals)
    lines = [
        b" " * 73 + "中国银联全渠道商户交易汇总表".encode("gbk") + b" " * 12, b"",
        _header(f"商户代码:{merchant.mer_id}", "清算币种:人民币"),
        _header(f"收单机构:{merchant.acq_ins_code or DIRECT_ACQUIRER}", f"清算日期:{day:%Y%m%d}"),
        _header(f"商户名称:{merchant.name}", f"生成日期:{day + timedelta(days=1):%Y%m%d}"), b"", b"",
        _columns("交易类型"), _SIDES, _RULE.encode(),
        *(_summary_line(TYPE_NAMES[t], by_type[t]) for t in ("01", "04", "31") if t in by_type),
        _RULE.encode(), _summary_line("总计", total), b"",
        _columns("卡性质"), _SIDES, _RULE.encode(),
        _summary_line("借记卡", total), _summary_line("贷记卡", _Totals()),
        _summary_line("准贷记卡", _Totals()), _summary_line("其他卡", _Totals()),
        _RULE.encode(), _summary_line("总计", total),
    ]  # fmt: skip
    return b"\r\n".join(lines) + b"\r\n"


def statement_zip(
    rows: Sequence[Transaction], merchant: SandboxMerchant, day: date, layout: Layout = "official"
) -> StatementFile:
    detail = b"".join(detail_line(txn, layout) + b"\r\n" for txn in rows)
    stamp = (*(day + timedelta(days=1)).timetuple()[:3], 6, 0, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in (
            (f"INN{day:%y%m%d}88ZM_{merchant.mer_id}", detail),
            (f"RD2010{day:%y%m%d}01_{merchant.mer_id}", summary_file(rows, merchant, day)),
        ):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return StatementFile(f"{merchant.mer_id}_{day:%Y%m%d}.zip", buffer.getvalue())
