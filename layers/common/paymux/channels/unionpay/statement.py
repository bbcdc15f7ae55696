"""The UnionPay reconciliation file (fileType 00) as normalised statement rows: pure parsing,
no I/O. Layout, sample and sources: RESEARCH.md §1.5, docs/channels.md "UnionPay statements".

- Wire form: `fileContent` = base64(deflate(zip)). The official SDKs inflate with a zlib
  `Inflater`; a raw deflate stream is accepted as well (`unpack_file_content`).
- The zip (entry names may be GBK: read with `metadata_encoding="gbk"`, zipfile's cp437
  reading when a name is not GBK) holds the detail file `INN<yymmdd><2>ZM_<merId>` (found by
  name[0:3] == "INN", name[11:14] == "ZM_"; its yymmdd must be the settle date), the summary
  `RD…_<merId>` and, on some days, the 差错 file `INN…ZME_<merId>`. ZME lines (disputes and
  adjustments UnionPay raised) are counted and logged for an operator, never reconciled.
- ZM lines are sliced as GBK bytes (a Chinese character in 31/35 must not shift later fields):
  every line is 607 or 608 bytes before CRLF; the first 41 fields (WIDTHS) are stable, each
  followed by a one-byte space; the tail differs between layout versions and is not read. Any
  other length, or a separator that is not a space, raises `StatementInvalid` (logged).
- Classified by field 20 txnType, never by field 1's code: 01 payment; 04 refund and 31 undo
  are refunds (out_refund_no = 12 orderId, out_trade_no = 41 原始交易订单号). Other types
  (paymux sends none) are checked against the summary, counted, logged, and yield no row.
- Money is integer fen: 7 txnAmt; 16 fee and 17 settlement as D/C + 12 digits (D debits the
  merchant). Per line the settlement is the amount plus the fee, signed, when both are given.
- The RD summary's 总计 (count, 交易金额, 费用, 资金清算差额 as 借/贷) must equal the detail:
  each column's net (贷 − 借, or 借 − 贷 for fees) is compared, so a day with refunds checks
  the same way whether the table nets the sides or not. Its 商户代码 and 清算日期 must be ours.
- All rows belong to the file's settle date (the reconciliation day), whatever their txnTime.

Rows are produced line by line, after a first pass over the same entry has checked every line
and the totals: a file that fails its checks yields no row at all."""

from __future__ import annotations

import base64
import binascii
import io
import logging
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from paymux.channels.base import RefundState, StatementRow, StatementSummary
from paymux.channels.statement import ParsedBill, StatementInvalid, decimal, to_fen
from paymux.channels.unionpay.zm_layout import KINDS, ZmLine, parse_line

log = logging.getLogger("paymux")
MAX_UNCOMPRESSED = 512 * 1024 * 1024  # a zip bomb is refused, not inflated
_MAX_LINE = 1024  # a ZM line is 607/608 bytes: a longer one is read in part and refused
CURRENCY = "CNY"  # ACP amounts are CNY fen (currencyCode 156); the ZM has no currency field
# Direct mode: field 28 merId is the account's merchant id. Acquirer mode: the account's mchid
# is the acquirer's institution code and field 28 the sub-merchant's merId; field 2 (代理机构)
# is not compared until an acquirer's real file confirms its padding.
DIRECT_CARRIES = frozenset({"amount", "mchid"})
ACQUIRER_CARRIES = frozenset({"amount", "sub_mchid"})
_TOTAL_LABEL = "总计"
_HEADER = {"mer_id": re.compile(r"商户代码[:：]\s*(\S+)"), "day": re.compile(r"清算日期[:：]\s*(\d{8})")}


def unpack_file_content(b64: str) -> bytes:
    """`fileContent` → the zip: base64 (line breaks tolerated), then zlib inflate (raw deflate
    accepted); refused above MAX_UNCOMPRESSED or when the stream is cut short."""
    try:
        packed = base64.b64decode("".join(b64.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise StatementInvalid("UnionPay fileContent is not base64") from exc
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        inflater = zlib.decompressobj(wbits)
        try:
            raw = inflater.decompress(packed, MAX_UNCOMPRESSED)
        except zlib.error:
            continue
        if not inflater.eof:
            raise StatementInvalid("UnionPay fileContent is cut short or inflates too large")
        return raw
    raise StatementInvalid("UnionPay fileContent does not inflate (neither zlib nor deflate)")


@dataclass(frozen=True, slots=True)
class _Entries:
    zm: zipfile.ZipInfo
    rd: zipfile.ZipInfo
    zme: tuple[zipfile.ZipInfo, ...]


ZipSource = bytes | Path  # the zip in memory, or its file on disk (a downloaded day's)


def _open(raw_zip: ZipSource) -> zipfile.ZipFile:
    source = raw_zip if isinstance(raw_zip, Path) else io.BytesIO(raw_zip)
    try:
        try:
            return zipfile.ZipFile(source, metadata_encoding="gbk")
        except UnicodeDecodeError:  # a name that is not GBK: read as zipfile reads any name
            return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise StatementInvalid("the UnionPay file is not a zip") from exc


def entry_names(raw_zip: bytes) -> list[str]:
    """The zip's entry names, GBK names decoded as GBK."""
    with _open(raw_zip) as archive:
        return archive.namelist()


def _entries(archive: zipfile.ZipFile, mer_id: str, settle_date: date) -> _Entries:
    found: dict[str, list[zipfile.ZipInfo]] = {"ZM": [], "ZME": [], "RD": []}
    for info in archive.infolist():
        name = info.filename.rsplit("/", 1)[-1]
        if info.is_dir():
            continue
        if info.file_size > MAX_UNCOMPRESSED:
            raise StatementInvalid(f"{name} would inflate to {info.file_size} bytes")
        if name[:3] == "INN" and name[11:14] == "ZM_" and name[14:] == mer_id:
            found["ZM"].append(info)
        elif name[:3] == "INN" and name[11:15] == "ZME_" and name[15:] == mer_id:
            found["ZME"].append(info)
        elif name.startswith("RD") and name.endswith("_" + mer_id):
            found["RD"].append(info)
    for kind in ("ZM", "RD"):
        if len(found[kind]) != 1:
            raise StatementInvalid(f"the UnionPay zip holds {len(found[kind])} {kind} files of {mer_id}")
    zm = found["ZM"][0]
    day = zm.filename.rsplit("/", 1)[-1][3:9]
    if day != settle_date.strftime("%y%m%d"):
        raise StatementInvalid(f"the UnionPay ZM file is of {day}, not of {settle_date:%y%m%d}")
    return _Entries(zm, found["RD"][0], tuple(found["ZME"]))


def _raw_lines(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[tuple[int, bytes]]:
    """(line number, line without its CRLF) of an entry, blank lines left out, read in pieces."""
    try:
        with archive.open(info) as stream:
            for number, line in enumerate(iter(lambda: stream.readline(_MAX_LINE), b""), 1):
                stripped = line.rstrip(b"\n").rstrip(b"\r")
                if stripped:
                    yield number, stripped
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise StatementInvalid(f"the UnionPay zip entry {info.filename} is damaged") from exc


def _lines(archive: zipfile.ZipFile, entries: _Entries, settle_date: date) -> Iterator[ZmLine]:
    for number, raw in _raw_lines(archive, entries.zm):
        yield parse_line(number, raw, settle_date)


@dataclass(slots=True)
class _Totals:
    """The detail's own tallies, signed as the RD columns net: amounts and settlements credit
    the merchant (+), fees debit it (+)."""

    count: int = 0
    amount: int = 0
    fee: int = 0
    settlement: int = 0

    def add(self, line: ZmLine) -> None:
        self.count += 1
        self.amount += line.amount_credit
        self.fee += line.fee
        self.settlement += line.settlement


def _declared(data: bytes, mer_id: str, settle_date: date) -> _Totals:
    """The RD summary's 总计 line (every one of them must agree), after its header is checked."""
    try:
        text = data.decode("gbk")
    except UnicodeDecodeError as exc:
        raise StatementInvalid("the UnionPay RD summary is not GBK text") from exc
    header = {key: pattern.search(text) for key, pattern in _HEADER.items()}
    expected = {"mer_id": mer_id, "day": settle_date.strftime("%Y%m%d")}
    for key, match in header.items():
        if match is None or match.group(1) != expected[key]:
            found = match.group(1) if match else "nothing"
            raise StatementInvalid(f"the UnionPay RD summary names {found}, not {expected[key]}")
    totals = {tuple(line.split()[1:]) for line in text.splitlines() if _is_total(line)}
    if len(totals) != 1:
        raise StatementInvalid(f"the UnionPay RD summary has {len(totals)} different 总计 lines, not 1")
    values = totals.pop()
    if len(values) != 7 or not values[0].isdigit():
        raise StatementInvalid(f"the UnionPay RD 总计 line is not count + 6 amounts: {values!r}")
    amounts = [to_fen(decimal(value, _TOTAL_LABEL)) for value in values[1:]]
    debit_amount, credit_amount, debit_fee, credit_fee, debit_net, credit_net = amounts
    net = (credit_amount - debit_amount, debit_fee - credit_fee, credit_net - debit_net)
    return _Totals(int(values[0]), *net)


def _is_total(line: str) -> bool:
    parts = line.split()
    return bool(parts) and parts[0] == _TOTAL_LABEL


def _compare(counted: _Totals, declared: _Totals) -> None:
    for column, label in (("count", "笔数"), ("amount", "交易金额"), ("fee", "费用"), ("settlement", "清算")):
        ours, theirs = getattr(counted, column), getattr(declared, column)
        if ours != theirs:
            raise StatementInvalid(f"the UnionPay ZM detail gives {label} {ours}, its RD summary {theirs}")


def _check(archive: zipfile.ZipFile, entries: _Entries, mer_id: str, settle_date: date) -> StatementSummary:
    """The first pass: every line parses, and the detail agrees with the RD summary."""
    counted, skipped = _Totals(), Counter[str]()
    summary = {"records": 0, "payment_total": 0, "refund_total": 0, "fee_total": 0}
    for line in _lines(archive, entries, settle_date):
        counted.add(line)
        kind = KINDS.get(line.txn_type)
        if kind is None:
            skipped[line.txn_type] += 1
            continue
        summary["records"] += 1
        summary[f"{kind}_total"] += line.amount
        summary["fee_total"] += line.fee
    _compare(counted, _declared(archive.read(entries.rd), mer_id, settle_date))
    if skipped:
        log.warning("UnionPay statement %s: lines not reconciled by txnType: %s", settle_date, dict(skipped))
    errors = sum(1 for zme in entries.zme for _ in _raw_lines(archive, zme))
    if errors:
        log.warning("UnionPay statement %s: %d 差错 (ZME) lines for an operator", settle_date, errors)
    return StatementSummary(**summary)


def _row(line: ZmLine, acquirer: bool, settle_date: date) -> StatementRow | None:
    kind = KINDS.get(line.txn_type)
    if kind is None:
        return None
    refund = kind == "refund"
    return StatementRow(
        out_trade_no=line.orig_order_id if refund else line.order_id,
        kind="refund" if refund else "payment",
        amount=line.amount,
        fee=line.fee,
        # a refund's own queryId is its channel refund number; its payment's is origQryId
        channel_trade_no=line.orig_query_id if refund else line.query_id,
        status=RefundState.SUCCESS.value if refund else "SUCCESS",  # listed = cleared
        occurred_at=line.occurred_at,
        out_refund_no=line.order_id if refund else "",
        channel_refund_no=line.query_id if refund else "",
        mchid="" if acquirer else line.mer_id,
        currency=CURRENCY,
        carries=ACQUIRER_CARRIES if acquirer else DIRECT_CARRIES,
        sub_mchid=line.mer_id if acquirer else "",
        settle_date=settle_date.isoformat(),  # every row of the file is booked on its day
    )


def _rows(
    archive: zipfile.ZipFile, entries: _Entries, settle_date: date, acquirer: bool
) -> Iterator[StatementRow]:
    for line in _lines(archive, entries, settle_date):
        row = _row(line, acquirer, settle_date)
        if row is not None:
            yield row


@dataclass(frozen=True, slots=True)
class CheckedStatement:
    """A file that passed every check, with its `summary`; iterating it reads the rows again,
    line by line (so it can be a streaming `StatementFile.rows`). `acquirer`: an acquirer's
    sub-merchant (field 28 is then StatementRow.sub_mchid, not mchid)."""

    raw_zip: ZipSource
    mer_id: str
    settle_date: date
    acquirer: bool
    summary: StatementSummary

    def __iter__(self) -> Iterator[StatementRow]:
        with _open(self.raw_zip) as archive:
            entries = _entries(archive, self.mer_id, self.settle_date)
            yield from _rows(archive, entries, self.settle_date, self.acquirer)


def check_statement(
    raw_zip: ZipSource, mer_id: str, *, settle_date: date, acquirer: bool = False
) -> CheckedStatement:
    """The first pass over `mer_id`'s file for `settle_date`: raises StatementInvalid unless
    every line parses and the detail agrees with its RD summary."""
    with _open(raw_zip) as archive:
        summary = _check(archive, _entries(archive, mer_id, settle_date), mer_id, settle_date)
    return CheckedStatement(raw_zip, mer_id, settle_date, acquirer, summary)


def iter_rows(
    raw_zip: bytes, mer_id: str, settle_date: date, *, acquirer: bool = False
) -> Iterator[StatementRow]:
    """The rows, one line at a time; raises StatementInvalid before the first row when the
    file fails its checks (see check_statement)."""
    yield from check_statement(raw_zip, mer_id, settle_date=settle_date, acquirer=acquirer)


def parse_statement_zip(
    raw_zip: bytes, mer_id: str, *, settle_date: date, acquirer: bool = False
) -> ParsedBill:
    """The rows and the summary, checked against the RD file (see check_statement)."""
    checked = check_statement(raw_zip, mer_id, settle_date=settle_date, acquirer=acquirer)
    return ParsedBill(tuple(checked), checked.summary)
