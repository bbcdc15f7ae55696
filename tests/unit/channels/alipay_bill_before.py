"""The Alipay bill parser as it was at 071d513 (the whole zip in memory, Decimal), kept only
as the reference the streamed parser is compared with (test_alipay_bill_stream.py)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from paymux.channels.alipay.transform import CARRIED_FIELDS, PROTOCOL_CURRENCY
from paymux.channels.base import StatementRow, StatementSummary
from paymux.channels.statement import ParsedBill, StatementInvalid, bill_time, decimal, to_fen

DETAIL_MARK = "#支付宝业务明细查询"
_ACCOUNT = re.compile(r"#账号：\[(\d+)\]")
_TRADES = re.compile(r"#交易合计：(\d+)笔，商家实收共(-?[\d.]+)元")
_REFUNDS = re.compile(r"#退款合计：(\d+)笔，商家实收退款共(-?[\d.]+)元")
_REQUIRED = ("支付宝交易号", "商户订单号", "业务类型", "完成时间", "订单金额（元）", "商家实收（元）")
MAX_UNCOMPRESSED = 512 * 1024 * 1024  # a zip bomb is refused, not inflated


def detail_file(raw_zip: bytes) -> bytes:
    """The detail CSV inside the downloaded zip (found by its first line, not its name)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw_zip))
    except zipfile.BadZipFile as exc:
        raise StatementInvalid("the Alipay bill is not a zip file") from exc
    with archive:
        for info in archive.infolist():
            if info.file_size > MAX_UNCOMPRESSED:
                raise StatementInvalid(f"{info.filename} would inflate to {info.file_size} bytes")
            data = archive.read(info)
            if data.lstrip().startswith(DETAIL_MARK.encode("gbk")):
                return data
    raise StatementInvalid("the Alipay bill zip holds no 业务明细 detail file")


def _clean(value: str) -> str:
    return value.strip().rstrip("\t").strip()


@dataclass
class _Reading:
    """What has been read so far: the header, the account, the rows and both tallies."""

    header: list[str] | None = None
    pid: str = ""
    rows: list[StatementRow] = field(default_factory=list)
    counted: dict[str, tuple[int, Decimal]] = field(
        default_factory=lambda: {"交易": (0, Decimal(0)), "退款": (0, Decimal(0))}
    )
    declared: dict[str, tuple[int, Decimal]] = field(default_factory=dict)

    def comment(self, line: str) -> None:
        if match := _ACCOUNT.search(line):
            self.pid = match.group(1)[:16]  # the account is the pid followed by "0156"
        for kind, pattern in (("交易", _TRADES), ("退款", _REFUNDS)):
            if match := pattern.search(line):
                self.declared[kind] = (int(match.group(1)), Decimal(match.group(2)))

    def record(self, record: list[str]) -> None:
        if self.header is None:
            self.header = [_clean(column) for column in record]
            missing = [column for column in _REQUIRED if column not in self.header]
            if missing:
                raise StatementInvalid(f"not an Alipay trade bill (no {', '.join(missing)} column)")
            return
        if len(record) != len(self.header):
            raise StatementInvalid(f"bill row has {len(record)} values for {len(self.header)} columns")
        values = dict(zip(self.header, (_clean(v) for v in record), strict=True))
        kind = values["业务类型"]
        if kind not in self.counted:
            return  # other business types move no acquiring money
        count, total = self.counted[kind]
        self.counted[kind] = (count + 1, total + decimal(values["商家实收（元）"], "商家实收（元）"))
        self.rows.append(_row(values, kind, self.pid))


def parse_trade_bill(raw_zip: bytes) -> ParsedBill:
    try:
        text = detail_file(raw_zip).decode("gbk")
    except UnicodeDecodeError as exc:
        raise StatementInvalid("the Alipay bill is not GBK text") from exc
    reading = _Reading()
    for record in csv.reader(io.StringIO(text)):
        if not "".join(record).strip():
            continue
        if record[0].startswith("#"):
            reading.comment(",".join(record))
        else:
            reading.record(record)
    if reading.header is None:
        raise StatementInvalid("the Alipay bill has no column header")
    return ParsedBill(tuple(reading.rows), _check(reading))


def _row(values: dict[str, str], kind: str, pid: str) -> StatementRow:
    refund = kind == "退款"
    amount = abs(to_fen(decimal(values["订单金额（元）"], "订单金额（元）")))
    fee = abs(to_fen(decimal(values.get("服务费（元）", ""), "服务费（元）")))
    return StatementRow(
        out_trade_no=values["商户订单号"],
        kind="refund" if refund else "payment",
        amount=amount,
        fee=-fee if refund else fee,
        channel_trade_no=values["支付宝交易号"],
        status="SUCCESS",
        occurred_at=bill_time(values["完成时间"] or values.get("创建时间", "")),
        out_refund_no=values.get("退款批次号/请求号", "") if refund else "",
        mchid=pid,
        currency=PROTOCOL_CURRENCY,  # the bill's amounts are CNY yuan
        carries=CARRIED_FIELDS["statement"],
    )


def _check(reading: _Reading) -> StatementSummary:
    for kind in ("交易", "退款"):
        if kind not in reading.declared:
            raise StatementInvalid(f"the Alipay bill has no {kind}合计 footer (truncated)")
        if reading.counted[kind] != reading.declared[kind]:
            (count, total), (declared, declared_total) = reading.counted[kind], reading.declared[kind]
            raise StatementInvalid(
                f"bill {kind} rows: {count} totalling {total}, "
                f"footer says {declared} totalling {declared_total}"
            )
    rows = reading.rows
    return StatementSummary(
        records=len(rows),
        payment_total=sum(r.amount for r in rows if r.kind == "payment"),
        refund_total=sum(r.amount for r in rows if r.kind == "refund"),
        fee_total=sum(r.fee for r in rows),
    )
