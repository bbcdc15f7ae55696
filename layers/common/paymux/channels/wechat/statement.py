"""The WeChat Pay trade bill (交易账单) as normalised statement rows: pure parsing, no I/O.

Format (PROTOCOLS.md §1.6): a detail header row, detail rows, a summary header row and one
summary row. Header rows are plain; every value starts with a backtick. Amounts are yuan with
2 decimals, fees yuan with 5 decimals, times Asia/Shanghai wall clock. Lines end in ``\\r\\n``
or ``\\n``; a UTF-8 BOM may lead. Columns are found by header name, so ALL, SUCCESS and REFUND
bills all parse.

Fees are rounded to whole fen with ROUND_HALF_UP (half away from zero, so a refund's negative
fee rounds symmetrically); the check against the summary is done on the exact 5-decimal values,
as integers (channels/units.py), and the bill is read one line at a time (TradeBillReader), so a
million-row bill needs no more memory than one row.
A bill whose detail rows do not add up to its summary row (a truncated or damaged download)
raises `StatementInvalid` rather than passing with rows missing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from paymux.channels import units
from paymux.channels.base import QuickMatch, StatementRow, StatementSummary
from paymux.channels.statement import ParsedBill, StatementInvalid, SummaryAtEnd, decimal, to_fen
from paymux.channels.wechat import partner
from paymux.channels.wechat.transform import CARRIED_FIELDS

SUMMARY_FIRST_COLUMN = "总交易单数"
CHUNK_LINES = 2048  # lines split before their amount columns are read together (bounded memory)
_REQUIRED = ("交易时间", "交易状态", "商户订单号", "微信订单号", "手续费")
# 退款状态 as written in bills → RefundState value, by the same rules as the API's statuses
# (transform.REFUND_STATES): closed is a definitive failure; ABNORMAL (and CHANGE, its v2-era
# name) is not a failure. Unknown values are treated as not final.
_REFUND_STATUS = {
    "SUCCESS": "SUCCESS",
    "PROCESSING": "PROCESSING",
    "REFUNDCLOSE": "FAILED",
    "CLOSED": "FAILED",
    "ABNORMAL": "ABNORMAL",
    "CHANGE": "ABNORMAL",
}
# summary column → detail column it totals
_TOTALS = {
    "应结订单总金额": "应结订单金额",
    "退款总金额": "退款金额",
    "手续费总金额": "手续费",
    "订单总金额": "订单金额",
    "申请退款总金额": "申请退款金额",
}


def _lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """The bill's non-blank lines, decoded one at a time (a leading BOM dropped)."""
    first = True
    for raw in chunks:
        try:
            line = raw.decode("utf-8-sig" if first else "utf-8")
        except UnicodeDecodeError as exc:
            raise StatementInvalid("the bill is not UTF-8") from exc
        first = False
        stripped = line.rstrip("\r\n")
        if stripped and not stripped.isspace():
            yield stripped


def _split(line: str, width: int) -> list[str]:
    """A backticked row → its values; values are separated by ",`" (so a comma inside a
    product name does not split a value)."""
    if not line.startswith("`"):
        raise StatementInvalid(f"bill row does not start with a backtick: {line[:60]!r}")
    values = line[1:].split(",`")
    if len(values) != width:
        raise StatementInvalid(f"bill row has {len(values)} values for {width} columns")
    return values


def _header(line: str) -> list[str]:
    header = [column.strip().lstrip("\ufeff") for column in line.split(",")]
    missing = [column for column in _REQUIRED if column not in header]
    if missing:
        raise StatementInvalid(f"not a WeChat Pay trade bill (no {', '.join(missing)} column)")
    return header


def _sub_mchid(value: str) -> str:
    """特约商户号 of a partner bill row ("0" or absent: no sub-merchant, so none is claimed)."""
    return "" if value in ("", "0") else value


class _Columns:
    """Where each column the rows use sits in this bill's header (-1 where it has none),
    looked up once per bill rather than once per row."""

    def __init__(self, header: list[str], provider: bool) -> None:
        self.width, self.provider = len(header), provider
        self.carries = (partner.CARRIED_FIELDS if provider else CARRIED_FIELDS)["statement"]
        where = {name: n for n, name in enumerate(header)}
        self.totals = [(column, where[column]) for column in _TOTALS.values() if column in where]
        self.state, self.trade, self.fee = where["交易状态"], where["商户订单号"], where["手续费"]
        self.order = where.get("订单金额", where.get("应结订单金额", -1))
        self.refund_amount, self.refund_status = where.get("退款金额", -1), where.get("退款状态", -1)
        self.channel_trade, self.time = where["微信订单号"], where["交易时间"]
        self.refund_no, self.channel_refund = where.get("商户退款单号", -1), where.get("微信退款单号", -1)
        self.mchid, self.appid = where.get("商户号", -1), where.get("公众账号ID", -1)
        self.currency, self.sub_mchid = where.get("货币种类", -1), where.get("特约商户号", -1)


def _at(values: list[str], n: int) -> str:
    return values[n].strip() if n >= 0 else ""


def _row(values: list[str], c: _Columns, money: tuple[int, int]) -> StatementRow:
    """The row of `values` whose state is SUCCESS, REFUND or REVOKED; `money` its amount and
    fee in fen (read with the chunk's columns, _Chunk)."""
    state = values[c.state].strip()
    # REVOKED (付款码 only): the trade was revoked, no money moved; a payment row whose status
    # says so, so that a payment paid here and revoked there is a status mismatch
    refund = state == "REFUND"
    return StatementRow(
        out_trade_no=values[c.trade].strip(),
        kind="refund" if refund else "payment",
        amount=money[0],
        fee=money[1],
        channel_trade_no=values[c.channel_trade].strip(),
        status=_REFUND_STATUS.get(_at(values, c.refund_status), "PROCESSING") if refund else state,
        occurred_at=units.bill_time(values[c.time].strip()),
        out_refund_no=_at(values, c.refund_no) if refund else "",
        channel_refund_no=_at(values, c.channel_refund) if refund else "",
        mchid=_at(values, c.mchid),
        appid=_at(values, c.appid),
        currency=_at(values, c.currency),
        carries=c.carries,
        # a service provider's bill: 商户号/公众账号ID are the provider's, 特约商户号 the sub-merchant
        sub_mchid=_sub_mchid(_at(values, c.sub_mchid)) if c.provider else "",
    )


def _check(sums: dict[str, int], count: int, summary: dict[str, str]) -> StatementSummary:
    declared = int(decimal(summary.get(SUMMARY_FIRST_COLUMN, ""), SUMMARY_FIRST_COLUMN))
    if declared != count:
        raise StatementInvalid(f"the bill has {count} detail rows but its summary says {declared}")
    for total_column, detail_column in _TOTALS.items():
        if total_column in summary and detail_column in sums:
            expected = units.exact(summary[total_column], total_column)
            if sums[detail_column] != expected:
                raise StatementInvalid(
                    f"bill {detail_column} adds up to {units.text(sums[detail_column])}, "
                    f"summary says {summary[total_column]}"
                )
    order_total = summary.get("订单总金额") or summary.get("应结订单总金额", "")
    return StatementSummary(
        records=count,
        payment_total=to_fen(decimal(order_total, "订单总金额")),
        refund_total=to_fen(decimal(summary.get("退款总金额", ""), "退款总金额")),
        fee_total=to_fen(decimal(summary.get("手续费总金额", ""), "手续费总金额")),
    )


class TradeBillReader(SummaryAtEnd):
    """A trade bill's rows, read from its lines as they come (bytes, one line each, as a
    binary file yields them), checked against its summary row when the last line is read:
    a bill that does not add up raises StatementInvalid at its end, before the iteration
    finishes, so a reader that has seen every row has seen a bill that is whole. `summary`
    is there once the rows were read to the end. `provider`: a service provider's bill, whose
    rows name their sub-merchant (特约商户号 → StatementRow.sub_mchid)."""

    def __init__(self, lines: Iterable[bytes], *, provider: bool = False) -> None:
        self._lines, self._provider = lines, provider
        self._summary: StatementSummary | None = None

    def __iter__(self) -> Iterator[StatementRow]:
        return self.stream(None)

    def stream(self, quick: QuickMatch | None) -> Iterator[StatementRow]:
        """The rows as iterating gives them, except the paid rows `quick` takes as matched
        (QuickMatch): each is offered to it first, and one it takes is not built. The lines are
        read a chunk at a time, so that a chunk's amount columns are read in C (exact_column)."""
        lines = _lines(self._lines)
        first = next(lines, None)
        if first is None:
            raise StatementInvalid("the bill is empty")
        columns = _Columns(_header(first), self._provider)
        sums = dict.fromkeys((name for name, _ in columns.totals), 0)
        count, chunk = 0, list[list[str]]()
        for line in lines:
            # a detail row starts with its backtick; only a plain line can be the summary header
            if line[0] != "`" and line.split(",", 1)[0].strip() == SUMMARY_FIRST_COLUMN:
                yield from _chunk_rows(chunk, columns, sums, quick)
                self._summary = _summary(line, lines, sums, count + len(chunk))
                return
            chunk.append(_split(line, columns.width))
            if len(chunk) == CHUNK_LINES:
                yield from _chunk_rows(chunk, columns, sums, quick)
                count, chunk = count + len(chunk), []
        yield from _chunk_rows(chunk, columns, sums, quick)
        raise StatementInvalid(f"the bill has no summary after {count + len(chunk)} detail rows (truncated)")


def _chunk_rows(
    chunk: list[list[str]], c: _Columns, sums: dict[str, int], quick: QuickMatch | None
) -> Iterator[StatementRow]:
    """The rows of a chunk of split lines, its amount columns added to `sums`. Rows of other
    states than SUCCESS, REFUND and REVOKED move no money: counted and summed, not reconciled."""
    exact = {n: units.exact_column([values[n] for values in chunk], name) for name, n in c.totals}
    for name, n in c.totals:
        sums[name] += sum(exact[n])
    zeros = [0] * len(chunk)
    fen = units.fen_of
    # A payment's 订单金额 is what the payer was asked for (our amount); 应结订单金额 excludes coupons.
    money = (exact.get(c.order, zeros), exact.get(c.refund_amount, zeros), exact[c.fee])
    # the fields a paid row is matched on, a column at a time (a comprehension, not a call a row)
    checked = [_texts(chunk, n) for n in (c.state, c.trade, c.currency, c.mchid, c.appid)]
    subs = [_sub_mchid(t) for t in _texts(chunk, c.sub_mchid)] if c.provider else [""] * len(chunk)
    for values, order, refund, fee, state, trade, currency, mchid, appid, sub in zip(
        chunk, *money, *checked, subs, strict=True
    ):
        if state == "SUCCESS":
            amount = fen(order)
            if quick is not None and quick(trade, amount, fen(fee), currency, mchid, appid, sub, c.carries):
                continue
            yield _row(values, c, (amount, fen(fee)))
        elif state == "REFUND":
            yield _row(values, c, (fen(refund), fen(fee)))
        elif state == "REVOKED":
            yield _row(values, c, (fen(order), fen(fee)))


def _texts(chunk: list[list[str]], n: int) -> list[str]:
    """Column `n` of a chunk, stripped ("" for a column the bill has not)."""
    return [values[n].strip() for values in chunk] if n >= 0 else [""] * len(chunk)


def _summary(line: str, lines: Iterator[str], sums: dict[str, int], count: int) -> StatementSummary:
    summary_header = [column.strip() for column in line.split(",")]
    summary_line = next(lines, None)
    if summary_line is None:
        raise StatementInvalid("the bill ends after its summary header (truncated)")
    if next(lines, None) is not None:
        raise StatementInvalid("the bill has lines after its summary row")
    values = _split(summary_line, len(summary_header))
    return _check(sums, count, dict(zip(summary_header, (v.strip() for v in values), strict=True)))


class _FileLines:
    """The lines of a file, read anew each time they are iterated."""

    def __init__(self, path: str) -> None:
        self._path = path

    def __iter__(self) -> Iterator[bytes]:
        with open(self._path, "rb") as file:  # a binary file yields its lines one at a time
            yield from file


def read_bill_file(path: str, *, provider: bool = False) -> TradeBillReader:
    """The rows of a bill downloaded to `path`, read line by line (bounded memory); like a
    tuple of rows they can be read again (each reading reads the file again)."""
    return TradeBillReader(_FileLines(path), provider=provider)


def parse_trade_bill(raw: bytes, *, provider: bool = False) -> ParsedBill:
    """The rows of a whole bill in memory, checked against its summary row."""
    reader = TradeBillReader(raw.splitlines(keepends=True), provider=provider)
    rows = tuple(reader)
    return ParsedBill(rows, reader.summary)
