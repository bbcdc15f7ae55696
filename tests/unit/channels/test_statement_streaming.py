"""A statement at volume: the WeChat bill read one line at a time (rows come out before the
file has been read to its end, and a bill that does not add up raises at its end), amounts in
integer units equal to the Decimal conversion, and the download streamed to a file and hashed
as it arrives when the HTTP client can stream."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paymux.channels import download, units
from paymux.channels.http import HttpResponse, HttpStream
from paymux.channels.statement import StatementInvalid, bill_time, to_fen
from paymux.channels.wechat import statement as wechat_statement
from paymux.channels.wechat.statement import TradeBillReader, parse_trade_bill, read_bill_file
from tests.unit.channels.test_wechat_statement import PAY_1, PAY_2, REFUND, FakeWeChat, bill, channel


class CountedLines:
    """The bill's lines, counting how many were handed out."""

    def __init__(self, raw: bytes) -> None:
        self.lines, self.taken = raw.splitlines(keepends=True), 0

    def __iter__(self) -> Iterator[bytes]:
        for line in self.lines:
            self.taken += 1
            yield line


@pytest.mark.parametrize("chunk", [1, 2])
def test_rows_come_out_as_their_lines_are_read(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader reads one chunk of lines ahead (CHUNK_LINES, whose amount columns it reads
    together), never more."""
    monkeypatch.setattr(wechat_statement, "CHUNK_LINES", chunk)
    lines = CountedLines(bill(PAY_1, PAY_2, REFUND))
    rows = iter(TradeBillReader(lines))
    first = next(rows)
    assert first.out_trade_no == "S20210128170702357723"
    assert lines.taken == 1 + chunk  # the header and the first chunk of rows, nothing more
    assert [r.kind for r in rows] == ["payment", "refund"]
    assert lines.taken == len(lines.lines)


def test_a_bill_that_does_not_add_up_raises_at_its_end_after_its_rows() -> None:
    damaged = bill(PAY_1, PAY_2, REFUND, summary="`3,`10.02,`3.00,`0.00,`0.04200,`10.02,`3.00")
    reader = TradeBillReader(damaged.splitlines(keepends=True))
    seen = []
    with pytest.raises(StatementInvalid, match="adds up"):
        for row in reader:
            seen.append(row.out_trade_no)
    assert len(seen) == 3  # every row was read; the check ran when the summary was
    with pytest.raises(StatementInvalid):
        _ = reader.summary  # no summary of a bill that failed its check


def test_a_downloaded_bill_can_be_read_twice(tmp_path: Path) -> None:
    """StatementFile.rows reads like the tuple it replaces: a second reading gives the rows
    again (a generator over the open file gave nothing the second time)."""
    path = tmp_path / "bill.csv"
    path.write_bytes(bill(PAY_1, PAY_2, REFUND))
    reader = read_bill_file(str(path))
    first = [r.out_trade_no for r in reader]
    assert len(first) == 3 and [r.out_trade_no for r in reader] == first


def test_the_streamed_reader_gives_what_the_whole_parse_gives() -> None:
    raw = bill(PAY_1, PAY_2, REFUND, end="\r\n", bom=True)
    reader = TradeBillReader(raw.splitlines(keepends=True))
    parsed = parse_trade_bill(raw)
    assert (tuple(reader), reader.summary) == (parsed.rows, parsed.summary)


@given(
    st.integers(-(10**12), 10**12),
    st.sampled_from([0, 1, 2, 3, 5]),
)
def test_integer_units_equal_the_decimal_conversion(value: int, decimals: int) -> None:
    text = str(Decimal(value).scaleb(-decimals)) if decimals else str(value)
    assert units.fen(text, "x") == to_fen(Decimal(text))
    assert units.exact(text, "x") == int(Decimal(text) * units.SCALE)


def test_more_than_five_decimals_or_no_number_is_refused() -> None:
    for text in ("0.000001", "1e3", "abc", "1.2.3"):
        with pytest.raises(StatementInvalid):
            units.exact(text, "手续费")


_AMOUNT_TEXTS = st.one_of(
    st.builds(
        lambda value, decimals: str(Decimal(value).scaleb(-decimals)) if decimals else str(value),
        st.integers(-(10**15) + 1, 10**15 - 1),
        st.sampled_from([0, 1, 2, 5]),
    ),
    st.sampled_from(["", " 1.00", "0.00 ", "-0.00", "007.50", "１.00"]),
)


@given(st.lists(_AMOUNT_TEXTS, max_size=40), st.sampled_from([2, 5]))
def test_a_column_read_at_once_equals_its_values_read_one_by_one(texts: list[str], decimals: int) -> None:
    """exact_column reads a column of one shape in C and anything else value by value: the
    same numbers either way, and fen_of rounds them as fen() does."""
    uniform = [f"{Decimal(n).scaleb(-decimals):.{decimals}f}" for n in range(-3, 40, 7)]
    for column in (texts, uniform, uniform + texts):
        values = units.exact_column(column, "订单金额")
        assert values == [units.exact(t.strip(), "订单金额") for t in column]
        assert [units.fen_of(v) for v in values] == [units.fen(t.strip(), "订单金额") for t in column]


@pytest.mark.parametrize("bad", ["1.00,2.00", "1.005000", "1e3", "1.00 2.00"])
def test_a_column_with_one_bad_value_is_refused(bad: str) -> None:
    """A value that is two numbers (a comma or a space between) or has too many decimals is
    refused, never read as the numbers it looks like once the column is joined."""
    with pytest.raises(StatementInvalid):
        units.exact_column(["1.00", bad, "3.00"], "订单金额")


@pytest.mark.parametrize("moment", ["2021-01-28 17:07:11", "2021-01-01 03:00:00", "2024-02-29 23:59:59"])
def test_bill_times_convert_as_strptime_does(moment: str) -> None:
    assert units.bill_time(moment) == bill_time(moment)


@pytest.mark.parametrize("moment", ["2021-01-28 17:61:11", "2021-02-30 10:00:00", "yesterday"])
def test_bad_bill_times_are_refused(moment: str) -> None:
    with pytest.raises(StatementInvalid):
        units.bill_time(moment)


class StreamingWeChat(FakeWeChat):
    """Serves the download only as a stream, in small chunks; asked whole, it fails."""

    def __init__(self, now: float, csv: bytes) -> None:
        super().__init__(now, csv)
        self.chunks_sent = 0

    def request(self, method: str, url: str, *, headers: Mapping[str, str], **kwargs: Any) -> HttpResponse:
        assert "/v3/bill/tradebill" in url, "the bill itself is never read whole"
        return super().request(method, url, headers=headers, **kwargs)

    def stream(self, method: str, url: str, *, headers: Mapping[str, str], **_: Any) -> HttpStream:
        self.requests.append((method, url, dict(headers)))

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(self.csv), 64):
                self.chunks_sent += 1
                yield self.csv[start : start + 64]

        return HttpStream(200, chunks())


def test_the_bill_is_streamed_to_a_file_and_hashed_as_it_arrives() -> None:
    raw = bill(PAY_1, PAY_2, REFUND)
    http = StreamingWeChat(1_764_316_800.0, raw)
    statement = channel(http).fetch_statement(date(2021, 1, 28))  # type: ignore[arg-type]
    assert statement is not None and statement.raw == b""
    assert http.chunks_sent == -(-len(raw) // 64)
    assert Path(statement.path).read_bytes() == raw and statement.sha1 == hashlib.sha1(raw).hexdigest()
    rows = list(statement.rows)
    assert rows[0].out_trade_no == "S20210128170702357723" and len(rows) == 3
    assert statement.final_summary().records == 3
    download.discard(statement.path)
    assert not Path(statement.path).exists()


def test_a_bill_that_fails_its_hash_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    http = FakeWeChat(1_764_316_800.0, bill(PAY_1, PAY_2, REFUND), hash_value="0" * 40)
    with pytest.raises(Exception, match="SHA1"):
        channel(http).fetch_statement(date(2021, 1, 28))
    assert list(tmp_path.iterdir()) == []


def _regex_exact(text: str) -> int | str:
    """units.exact before its fast path (the regular expression alone), or the error's class."""
    try:
        return units._exact(text, "x")
    except StatementInvalid:
        return "invalid"


def _guarded(convert: Any, text: str) -> int | str:
    try:
        return int(convert(text, "x"))
    except StatementInvalid:
        return "invalid"


AMOUNT_TEXT = st.one_of(
    st.from_regex(r"-?[0-9]{0,17}(\.[0-9]{0,7})?", fullmatch=True),
    st.text(alphabet="0123456789-.+e ١٢٣²", max_size=12),  # signs, exponents, non-ASCII digits
)


@given(AMOUNT_TEXT)
def test_the_fast_amount_path_gives_what_the_regular_expression_gives(text: str) -> None:
    """exact() and fen() with their ASCII fast path and cache, read twice (a miss, then a hit),
    equal the regular expression's reading (and Decimal's rounding), errors included."""
    expected = _regex_exact(text)
    assert _guarded(units.exact, text) == expected
    assert _guarded(units.exact, text) == expected  # from the cache when it was cached
    if expected != "invalid":
        fen = (abs(int(expected)) + 500) // 1000
        assert units.fen(text, "x") == (-fen if int(expected) < 0 else fen)


@given(st.from_regex(r"20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-9]{2}:[0-9]{2}", fullmatch=True))
def test_the_fast_time_path_gives_what_strptime_gives(moment: str) -> None:
    def slow(text: str) -> str:
        try:
            return bill_time(text)
        except StatementInvalid:
            return "invalid"

    def fast(text: str) -> str:
        try:
            return units.bill_time(text)
        except StatementInvalid:
            return "invalid"

    assert fast(moment) == slow(moment)
    assert fast(moment) == slow(moment)  # its hour converted once already
    assert fast(moment[:14] + "6" + moment[15:]) == slow(moment[:14] + "6" + moment[15:])  # minute ≥ 60
