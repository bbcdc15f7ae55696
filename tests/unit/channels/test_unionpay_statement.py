"""The UnionPay reconciliation file: UnionPay's official sample zip (byte-exact fixture), its
wire form, and hand-built ZM lines in the official layout (tests/unionpay_statement_files.py)."""

from __future__ import annotations

import base64
import hashlib
import inspect
import logging
import zlib
from datetime import date

import pytest

from paymux.channels.statement import ParsedBill, StatementInvalid
from paymux.channels.unionpay import statement
from paymux.channels.unionpay.statement import (
    check_statement,
    entry_names,
    iter_rows,
    parse_statement_zip,
    unpack_file_content,
)
from tests.unionpay_statement_files import (
    SAMPLE_MER_ID,
    SAMPLE_RD,
    SAMPLE_SHA256,
    SAMPLE_ZIP,
    SAMPLE_ZM,
    TAIL_608,
    payment,
    rd_text,
    refund,
    rezip,
    sample_entries,
    statement_zip,
    with_gbk_name,
    zm_line,
)

DAY = date(2015, 9, 5)


def sample() -> bytes:
    return SAMPLE_ZIP.read_bytes()


def parse(raw_zip: bytes, day: date = DAY, **kwargs: bool) -> ParsedBill:
    return parse_statement_zip(raw_zip, SAMPLE_MER_ID, settle_date=day, **kwargs)


def test_the_fixture_is_the_official_sample_byte_for_byte() -> None:
    assert hashlib.sha256(sample()).hexdigest() == SAMPLE_SHA256


def test_the_official_sample_gives_eight_payments_that_match_its_summary() -> None:
    bill = parse(sample())
    assert len(bill.rows) == 8
    assert {r.kind for r in bill.rows} == {"payment"}
    assert sum(r.amount for r in bill.rows) == 1_322_700  # 13227.00
    assert sum(r.fee for r in bill.rows) == 7_936  # 79.36
    assert sum(r.amount - r.fee for r in bill.rows) == 1_314_764  # 13147.64
    assert (bill.summary.records, bill.summary.payment_total) == (8, 1_322_700)
    assert (bill.summary.refund_total, bill.summary.fee_total) == (0, 7_936)
    first = bill.rows[0]
    assert (first.out_trade_no, first.channel_trade_no) == ("10078087", "201509061122031906248")
    assert (first.amount, first.fee, first.status) == (476_800, 2_861, "SUCCESS")
    assert (first.mchid, first.sub_mchid, first.currency) == (SAMPLE_MER_ID, "", "CNY")
    assert first.carries == frozenset({"amount", "mchid"})


def test_the_sample_is_booked_on_its_settle_date_not_on_its_txn_time() -> None:
    rows = parse(sample()).rows
    # txnTime 0906 11:22:03 Beijing: the trades happened on 09-06, the file is of 09-05
    assert rows[0].occurred_at == "2015-09-06T03:22:03Z"
    with pytest.raises(StatementInvalid, match="not of 150906"):
        parse(sample(), date(2015, 9, 6))


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw-deflate"])
def test_the_wire_form_base64_of_deflate_of_the_zip_parses(wbits: int) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    wire = base64.encodebytes(packer.compress(sample()) + packer.flush()).decode()  # 76-column lines
    assert "\n" in wire.strip()
    assert unpack_file_content(wire) == sample()
    assert len(parse(unpack_file_content(wire)).rows) == 8


@pytest.mark.parametrize(
    "content",
    [
        "not base64!",
        base64.b64encode(b"plain bytes").decode(),
        base64.b64encode(zlib.compress(b"x" * 999)[:-6]).decode(),
    ],
    ids=["not-base64", "not-deflate", "cut-short"],
)
def test_file_content_that_does_not_unpack_is_invalid(content: str) -> None:
    with pytest.raises(StatementInvalid):
        unpack_file_content(content)


def test_a_gbk_chinese_subject_in_fields_31_and_35_shifts_no_later_field() -> None:
    back = refund("REFUND02", "ORIGINAL0001", 10_000, 60) | {31: "淘在路上旗舰店", 35: "备注：中文"}
    line = zm_line(back)
    assert len(line) == 607  # bytes; as text it is shorter, so slicing characters would shift
    assert len(line.decode("gbk")) < 607
    rd = rd_text(1, ("100.00", "0.00", "0.00", "0.60", "99.40", "0.00"))
    (row,) = parse(statement_zip([line], rd)).rows
    # field 41 comes after both: read whole and unshifted
    assert (row.kind, row.out_trade_no, row.out_refund_no) == ("refund", "ORIGINAL0001", "REFUND02")
    assert (row.amount, row.fee, row.mchid) == (10_000, -60, SAMPLE_MER_ID)


def test_lines_of_the_608_byte_layout_parse() -> None:
    line = zm_line(payment("ORDER0002", 2_500, 15), tail=TAIL_608)
    assert len(line) == 608
    rd = rd_text(1, ("0.00", "25.00", "0.15", "0.00", "0.00", "24.85"))
    (row,) = parse(statement_zip([line], rd)).rows
    assert (row.out_trade_no, row.amount, row.fee) == ("ORDER0002", 2_500, 15)


@pytest.mark.parametrize("cut", [1, -1, 40], ids=["606", "608-with-a-shifted-separator", "567"])
def test_a_line_of_any_other_length_or_shape_is_invalid_and_logged(
    cut: int, caplog: pytest.LogCaptureFixture
) -> None:
    line = zm_line(payment("ORDER0003", 100, 1))
    broken = line[:-cut] if cut > 0 else line[:100] + b"X" + line[100:]
    rd = rd_text(1, ("0.00", "1.00", "0.01", "0.00", "0.00", "0.99"))
    with caplog.at_level(logging.ERROR, logger="paymux"), pytest.raises(StatementInvalid, match="line 1"):
        parse(statement_zip([broken], rd))
    assert "UnionPay ZM line 1" in caplog.text


def test_refunds_and_undos_are_classified_by_txn_type_not_by_field_1() -> None:
    pay = payment("PAY00001", 10_000, 60, f1="S30")  # says "refund" in field 1, txnType 01
    back = refund("REFUND01", "PAY00001", 4_000, 24) | {1: "S56"}  # says "consume", txnType 04
    undo = refund("UNDO0001", "PAY00002", 5_000, 30, txn_type="31") | {1: "S22"}
    rd = rd_text(3, ("90.00", "100.00", "0.60", "0.54", "89.46", "99.40"))
    rows = parse(statement_zip([zm_line(v) for v in (pay, back, undo)], rd)).rows
    assert [(r.kind, r.out_trade_no, r.out_refund_no) for r in rows] == [
        ("payment", "PAY00001", ""),
        ("refund", "PAY00001", "REFUND01"),
        ("refund", "PAY00002", "UNDO0001"),
    ]
    assert [(r.amount, r.fee, r.status) for r in rows[1:]] == [
        (4_000, -24, "SUCCESS"),
        (5_000, -30, "SUCCESS"),
    ]
    assert rows[1].channel_refund_no == back[10] and rows[1].channel_trade_no == "201509061122031906248"


def test_other_txn_types_are_checked_and_counted_but_yield_no_row(caplog: pytest.LogCaptureFixture) -> None:
    other = payment("PREAUTH1", 3_000, 18, f20="03")
    rd = rd_text(2, ("0.00", "130.00", "0.78", "0.00", "0.00", "129.22"))
    with caplog.at_level(logging.WARNING, logger="paymux"):
        bill = parse(statement_zip([zm_line(payment("PAY00003", 10_000, 60)), zm_line(other)], rd))
    assert [r.out_trade_no for r in bill.rows] == ["PAY00003"]
    assert bill.summary.records == 1 and bill.summary.payment_total == 10_000
    assert "{'03': 1}" in caplog.text


def _tampered(amount: str, settlement: str | None = None) -> bytes:
    entries = sample_entries()
    entries[SAMPLE_ZM] = entries[SAMPLE_ZM].replace(b"000000476800", amount.encode(), 1)
    if settlement is not None:
        entries[SAMPLE_ZM] = entries[SAMPLE_ZM].replace(b"C000000473939", settlement.encode(), 1)
    return rezip(entries)


def test_a_tampered_amount_disagrees_with_the_summary_and_is_invalid() -> None:
    assert len(parse(rezip(sample_entries())).rows) == 8  # rezipped unchanged: still fine
    with pytest.raises(StatementInvalid, match="交易金额 1322800, its RD summary 1322700"):
        parse(_tampered("000000476900", "C000000474039"))  # the line itself still adds up
    with pytest.raises(StatementInvalid, match="line 1: settlement"):
        parse(_tampered("000000476900"))


def test_a_missing_line_or_a_summary_of_another_day_or_merchant_is_invalid() -> None:
    entries = sample_entries()
    short = dict(entries)
    short[SAMPLE_ZM] = entries[SAMPLE_ZM].split(b"\r\n", 1)[1]
    with pytest.raises(StatementInvalid, match="笔数 7"):
        parse(rezip(short))
    line = zm_line(payment("ORDER0004", 100, 1))
    amounts = ("0.00", "1.00", "0.01", "0.00", "0.00", "0.99")
    with pytest.raises(StatementInvalid, match="names 20150904"):
        parse(statement_zip([line], rd_text(1, amounts, day="20150904")))
    with pytest.raises(StatementInvalid, match="names 802310048990000"):
        parse(statement_zip([line], rd_text(1, amounts, mer_id="802310048990000")))
    with pytest.raises(StatementInvalid, match="0 ZM files"):
        parse_statement_zip(sample(), "802310048990000", settle_date=DAY)


def test_txn_time_takes_the_year_nearest_the_settle_date() -> None:
    amounts = ("0.00", "1.00", "0.01", "0.00", "0.00", "0.99")
    late = zm_line(payment("ORDER0005", 100, 1, f5="1231235959"))
    new_year = statement_zip(
        [late], rd_text(1, amounts, day="20160101"), zm_name="INN16010188ZM_" + SAMPLE_MER_ID
    )
    (row,) = parse(new_year, date(2016, 1, 1)).rows
    assert row.occurred_at == "2015-12-31T15:59:59Z"
    early = zm_line(payment("ORDER0006", 100, 1, f5="0101000001"))
    year_end = statement_zip(
        [early], rd_text(1, amounts, day="20151231"), zm_name="INN15123188ZM_" + SAMPLE_MER_ID
    )
    (row,) = parse(year_end, date(2015, 12, 31)).rows
    assert row.occurred_at == "2015-12-31T16:00:01Z"  # 2016-01-01 00:00:01 Beijing


def test_gbk_entry_names_are_read_as_gbk_and_the_zm_file_is_still_found() -> None:
    raw = rezip(sample_entries() | {"READMExx.txt": b"notes"})
    renamed = with_gbk_name(raw, "READMExx.txt", "对账说明.txt")
    assert "对账说明.txt" in entry_names(renamed)
    assert len(parse(renamed).rows) == 8


def test_an_acquirers_sub_merchant_is_named_by_field_28() -> None:
    (row, *_) = parse(sample(), acquirer=True).rows
    assert (row.mchid, row.sub_mchid) == ("", SAMPLE_MER_ID)
    assert row.carries == frozenset({"amount", "sub_mchid"})


def test_a_zme_error_file_is_reported_not_reconciled(caplog: pytest.LogCaptureFixture) -> None:
    zme = {"INN15090588ZME_" + SAMPLE_MER_ID: b"E22 " + b"x" * 355 + b"\r\n"}
    with caplog.at_level(logging.WARNING, logger="paymux"):
        bill = parse(rezip(sample_entries() | zme))
    assert len(bill.rows) == 8
    assert "1 差错 (ZME) lines" in caplog.text


def test_iter_rows_yields_line_by_line_and_nothing_from_a_file_that_fails_its_checks() -> None:
    rows = iter_rows(sample(), SAMPLE_MER_ID, DAY)
    assert inspect.isgenerator(rows)
    assert [r.out_trade_no for r in rows] == [r.out_trade_no for r in parse(sample()).rows]
    entries = sample_entries()
    entries[SAMPLE_ZM] = entries[SAMPLE_ZM] + b"S56 short line\r\n"  # the LAST line is bad
    broken = iter_rows(rezip(entries), SAMPLE_MER_ID, DAY)
    with pytest.raises(StatementInvalid, match="line 9 is 14 bytes"):
        next(broken)  # raised before the first row: no row of an untrusted file is acted on


def test_a_zip_without_its_summary_is_invalid() -> None:
    entries = sample_entries()
    del entries[SAMPLE_RD]
    with pytest.raises(StatementInvalid, match="0 RD files"):
        parse(rezip(entries))
    with pytest.raises(StatementInvalid, match="not a zip"):
        parse(b"PK\x03\x04 not really")


def test_a_checked_statement_gives_its_summary_and_its_rows_again_on_each_iteration() -> None:
    checked = check_statement(sample(), SAMPLE_MER_ID, settle_date=DAY)
    assert checked.summary == parse(sample()).summary
    first, again = list(checked), list(checked)
    assert first == again and len(first) == 8
    with pytest.raises(StatementInvalid):
        check_statement(_tampered("000000476900", "C000000474039"), SAMPLE_MER_ID, settle_date=DAY)


def test_what_would_inflate_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statement, "MAX_UNCOMPRESSED", 4_000)  # the ZM entry is 4872 bytes
    with pytest.raises(StatementInvalid, match="inflates too large"):
        unpack_file_content(base64.b64encode(zlib.compress(b"\0" * 5_000)).decode())
    with pytest.raises(StatementInvalid, match="would inflate to 4872 bytes"):
        parse(sample())
