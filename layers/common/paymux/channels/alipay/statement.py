"""The Alipay trade bill (业务明细) as normalised statement rows: pure parsing, no network.

Format (PROTOCOLS.md §2.6): a zip holding GBK CSV files; the detail file's first line is
`#支付宝业务明细查询`. Comment lines start with `#`; the column header follows the
`#---…业务明细列表---` line; ID-like values carry a trailing tab; amounts are yuan with 2
decimals; times are GMT+8 wall clock. The footer declares `#交易合计：N笔，商家实收共X元…` and
`#退款合计：N笔，商家实收退款共-X元…`; a file whose rows do not add up to its footer (a
truncated or damaged download) raises `StatementInvalid`.

Streamed (AlipayBillReader): the zip is a file on disk (/tmp), its detail member is inflated as
it is read, decoded from GBK incrementally and parsed one record at a time, in integer units
(channels/units.py: fen for the rows, 1/100,000 yuan for the footer tallies), so a million-row
bill needs no more memory than one row. The footer check runs when the file's end is reached,
before the iteration finishes, as the WeChat bill's does.

Signs: a refund row's amounts are negative; the statement row carries the refund amount as a
positive number. 服务费 is taken by magnitude (a payment's fee is positive, a refund's fee
given back is negative), whatever sign the file writes it with."""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from paymux.channels import units
from paymux.channels.alipay.transform import CARRIED_FIELDS, PROTOCOL_CURRENCY, provider_row
from paymux.channels.base import StatementRow, StatementSummary
from paymux.channels.statement import ParsedBill, StatementInvalid, SummaryAtEnd

DETAIL_MARK = "#支付宝业务明细查询"
_ACCOUNT = re.compile(r"#账号：\[(\d+)\]")
_TRADES = re.compile(r"#交易合计：(\d+)笔，商家实收共(-?[\d.]+)元")
_REFUNDS = re.compile(r"#退款合计：(\d+)笔，商家实收退款共(-?[\d.]+)元")
_REQUIRED = ("支付宝交易号", "商户订单号", "业务类型", "完成时间", "订单金额（元）", "商家实收（元）")
MAX_UNCOMPRESSED = 512 * 1024 * 1024  # a zip bomb is refused, not inflated
_BROKEN = (zipfile.BadZipFile, zlib.error, EOFError, OSError)  # a damaged member, as it inflates
Opener = Callable[[], IO[bytes]]  # the zip file, opened anew for each reading


def _detail_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The detail CSV inside the zip (found by its first line, not its name)."""
    mark = DETAIL_MARK.encode("gbk")
    for info in archive.infolist():
        if info.file_size > MAX_UNCOMPRESSED:
            raise StatementInvalid(f"{info.filename} would inflate to {info.file_size} bytes")
        with archive.open(info) as member:
            if member.read(len(mark) + 64).lstrip().startswith(mark):
                return info
    raise StatementInvalid("the Alipay bill zip holds no 业务明细 detail file")


def _zip(opened: IO[bytes]) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(opened)
    except _BROKEN as exc:
        opened.close()
        raise StatementInvalid("the Alipay bill is not a zip file") from exc


def check_bill_zip(opener: Opener) -> None:
    """Raises StatementInvalid unless the file is a zip with a detail member (read: its
    directory and the first bytes of its members), before anything is archived or matched."""
    with _zip(opener()) as archive:
        try:
            _detail_member(archive)
        except _BROKEN as exc:
            raise StatementInvalid("the Alipay bill zip is damaged") from exc


def _clean(value: str) -> str:
    return value.strip().rstrip("\t").strip()


@dataclass
class _Reading:
    """What has been read so far: the header, the account, both tallies and the totals."""

    header: list[str] | None = None
    pid: str = ""
    counted: dict[str, tuple[int, int]] = field(default_factory=lambda: {"交易": (0, 0), "退款": (0, 0)})
    declared: dict[str, tuple[int, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(
        default_factory=lambda: {"records": 0, "payment": 0, "refund": 0, "fee": 0}
    )

    def comment(self, line: str) -> None:
        if match := _ACCOUNT.search(line):
            self.pid = match.group(1)[:16]  # the account is the pid followed by "0156"
        for kind, pattern in (("交易", _TRADES), ("退款", _REFUNDS)):
            if match := pattern.search(line):
                self.declared[kind] = (int(match.group(1)), units.exact(match.group(2), f"{kind}合计"))

    def record(self, record: list[str]) -> StatementRow | None:
        if self.header is None:
            self.header = [_clean(column) for column in record]
            missing = [column for column in _REQUIRED if column not in self.header]
            if missing:
                raise StatementInvalid(f"not an Alipay trade bill (no {', '.join(missing)} column)")
            return None
        if len(record) != len(self.header):
            raise StatementInvalid(f"bill row has {len(record)} values for {len(self.header)} columns")
        values = dict(zip(self.header, (_clean(v) for v in record), strict=True))
        kind = values["业务类型"]
        if kind not in self.counted:
            return None  # other business types move no acquiring money
        count, total = self.counted[kind]
        self.counted[kind] = (count + 1, total + units.exact(values["商家实收（元）"], "商家实收（元）"))
        row = _row(values, kind, self.pid)
        self.totals["records"] += 1
        self.totals["payment" if row.kind == "payment" else "refund"] += row.amount
        self.totals["fee"] += row.fee
        return row


def _records(text: IO[str]) -> Iterator[list[str]]:
    try:
        yield from csv.reader(text)
    except UnicodeDecodeError as exc:
        raise StatementInvalid("the Alipay bill is not GBK text") from exc
    except csv.Error as exc:
        raise StatementInvalid(f"the Alipay bill is not CSV: {exc}") from exc
    except _BROKEN as exc:
        raise StatementInvalid("the Alipay bill zip is damaged") from exc


class AlipayBillReader(SummaryAtEnd):
    """A trade bill's rows, read from the zip as they are iterated (the detail member inflated
    and GBK-decoded incrementally), checked against the footer at the end of the file: a bill
    that does not add up raises StatementInvalid before the iteration finishes. `summary` is
    there once the rows were read to the end; each iteration reads the file again.
    `provider`: fetched with a sub-merchant's token, so its account is the sub-merchant's
    (transform.provider_row)."""

    def __init__(self, opener: Opener, *, provider: bool = False) -> None:
        self._opener, self._provider = opener, provider
        self._summary: StatementSummary | None = None

    def __iter__(self) -> Iterator[StatementRow]:
        self._summary = None
        with _zip(self._opener()) as archive:
            try:
                member = archive.open(_detail_member(archive))
            except _BROKEN as exc:
                raise StatementInvalid("the Alipay bill zip is damaged") from exc
            with member, io.TextIOWrapper(member, encoding="gbk", newline="") as text:
                reading = _Reading()
                for record in _records(text):
                    if not "".join(record).strip():
                        continue
                    if record[0].startswith("#"):
                        reading.comment(",".join(record))
                    elif (row := reading.record(record)) is not None:
                        yield provider_row(row) if self._provider else row
        if reading.header is None:
            raise StatementInvalid("the Alipay bill has no column header")
        self._summary = _check(reading)


def read_bill_file(path: str, *, provider: bool = False) -> AlipayBillReader:
    """The rows of a bill zip downloaded to `path`, streamed (bounded memory)."""
    return AlipayBillReader(lambda: open(path, "rb"), provider=provider)


def parse_trade_bill(raw_zip: bytes) -> ParsedBill:
    """The rows of a whole bill zip in memory, checked against its footer."""
    reader = AlipayBillReader(lambda: io.BytesIO(raw_zip))
    rows = tuple(reader)
    return ParsedBill(rows, reader.summary)


def _row(values: dict[str, str], kind: str, pid: str) -> StatementRow:
    refund = kind == "退款"
    amount = abs(units.fen(values["订单金额（元）"], "订单金额（元）"))
    fee = abs(units.fen(values.get("服务费（元）", ""), "服务费（元）"))
    return StatementRow(
        out_trade_no=values["商户订单号"],
        kind="refund" if refund else "payment",
        amount=amount,
        fee=-fee if refund else fee,
        channel_trade_no=values["支付宝交易号"],
        status="SUCCESS",
        occurred_at=units.bill_time(values["完成时间"] or values.get("创建时间", "")),
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
                f"bill {kind} rows: {count} totalling {units.text(total)}, "
                f"footer says {declared} totalling {units.text(declared_total)}"
            )
    totals = reading.totals
    return StatementSummary(
        records=totals["records"],
        payment_total=totals["payment"],
        refund_total=totals["refund"],
        fee_total=totals["fee"],
    )
