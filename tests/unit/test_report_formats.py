"""The day's discrepancy reports, read back as finance reads them: the CSV with the csv module,
the workbook with openpyxl (another library than the one that wrote it), the text report by its
fixed columns (display width: a CJK character takes two)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import boto3
import openpyxl
import pytest
from moto import mock_aws

from paymux.services.reconciliation import CSV_COLUMNS, Record
from paymux.services.report_formats import write_discrepancy_reports
from paymux.services.report_text import display_width, text_columns
from paymux.store.reports import ReportStore

DAY = date(2026, 11, 27)
BUCKET = "reports"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def record(account: str, cls: str, n: int, **fields: Any) -> Record:
    base = Record(
        account,
        cls,
        "payment",
        out_trade_no=f"01KTRADE{n:04d}01",
        payment_id=f"pay_01KTRADE{n:04d}",
        local_status="SUCCESS",
        local_amount=1999,
        channel_amount=1999,
        channel_fee=12,
        expected_fee=12,
        detail="",
        merchant_id="mch_1",
    )
    return replace(base, **fields)


class Provided:
    """A record with the provider (channel) it came from, as the reconciliation's records carry."""

    def __init__(self, record: Record, provider: str) -> None:
        self.record, self.provider = record, provider

    def csv_row(self) -> list[str]:
        return self.record.csv_row()


RECORDS = [
    Provided(
        record("wx-1", "status_mismatch", 1, local_status="PROCESSING", detail="已修复 repaired"), "wechat"
    ),
    Provided(
        record("wx-1", "local_only", 2, channel_amount=None, channel_fee=None, expected_fee=None), "wechat"
    ),
    Provided(record("支付宝-1", "amount_mismatch", 3, channel_amount=2000, detail="金额不符"), "alipay"),
    Provided(
        record(
            "ali-1",
            "fee_mismatch",
            4,
            kind="refund",
            out_refund_no="RF0004",
            local_amount=500,
            channel_amount=500,
            channel_fee=-5,
            expected_fee=-3,
            detail="fee rate 0.006 configured",
        ),
        "alipay",
    ),
]


def body(s3: Any, key: str) -> bytes:
    data: bytes = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return data


def written(s3: Any) -> dict[str, str]:
    return write_discrepancy_reports(ReportStore(s3, BUCKET), DAY, CSV_COLUMNS, lambda: iter(RECORDS))


def test_the_three_reports_are_written_under_the_day(s3: Any) -> None:
    keys = written(s3)
    assert keys == {
        "discrepancies": "reports/2026-11-27/discrepancies.csv",
        "discrepancies_xlsx": "reports/2026-11-27/discrepancies.xlsx",
        "discrepancies_txt": "reports/2026-11-27/discrepancies.txt",
    }
    types = {k: s3.head_object(Bucket=BUCKET, Key=v) for k, v in keys.items()}
    assert types["discrepancies"]["ContentType"] == "text/csv; charset=utf-8"
    assert types["discrepancies_xlsx"]["ContentType"].endswith("spreadsheetml.sheet")
    assert types["discrepancies_txt"]["ContentType"] == "text/plain; charset=utf-8"
    assert {h["ServerSideEncryption"] for h in types.values()} == {"AES256"}


def test_the_csv_reads_back_with_the_csv_module(s3: Any) -> None:
    raw = body(s3, written(s3)["discrepancies"])
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[1:] == [r.csv_row() for r in RECORDS]
    assert dict(zip(rows[0], rows[1], strict=True))["detail"] == "已修复 repaired"


def test_the_workbook_has_a_summary_and_a_sheet_per_channel_with_money_as_numbers(s3: Any) -> None:
    raw = body(s3, written(s3)["discrepancies_xlsx"])
    book = openpyxl.load_workbook(io.BytesIO(raw))
    assert book.sheetnames == ["summary", "wechat", "alipay"]
    wechat = book["wechat"]
    header = [c.value for c in wechat[1]]
    assert header == list(CSV_COLUMNS)
    assert all(c.font.b for c in wechat[1])
    assert wechat.freeze_panes == "A2"
    assert wechat.auto_filter.ref == "A1:M3"
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in wechat.iter_rows(min_row=2)]
    assert [r["out_trade_no"] for r in rows] == ["01KTRADE000101", "01KTRADE000201"]
    assert rows[0]["local_amount"] == 19.99 and isinstance(rows[0]["local_amount"], float)
    money = wechat.cell(row=2, column=header.index("local_amount") + 1)
    assert money.number_format == "#,##0.00"
    assert rows[1]["channel_amount"] is None  # local_only: nothing at the channel
    assert rows[0]["detail"] == "已修复 repaired" and rows[0]["local_status"] == "PROCESSING"
    width = wechat.column_dimensions["C"].width  # out_trade_no: fitted to the ids
    assert width >= len("01KTRADE000101")
    alipay = [[c.value for c in r] for r in book["alipay"].iter_rows(min_row=2)]
    assert [r[header.index("channel_fee")] for r in alipay] == [0.12, -0.05]

    summary = [[c.value for c in r] for r in book["summary"].iter_rows()]
    assert summary[0] == [
        "channel",
        "class",
        "records",
        *sorted(("local_amount", "channel_amount", "channel_fee", "expected_fee")),
    ]
    by_class = {(r[0], r[1]): r[2:] for r in summary[1:]}
    # columns after records: channel_amount, channel_fee, expected_fee, local_amount (sorted)
    assert by_class[("alipay", "amount_mismatch")] == [1, 20.0, 0.12, 0.12, 19.99]
    assert by_class[("wechat", "local_only")] == [1, 0, 0, 0, 19.99]
    assert by_class[("total", None)] == [4, 44.99, 0.19, 0.21, 64.97]


def test_the_text_report_is_aligned_by_display_width_with_totals(s3: Any) -> None:
    text = body(s3, written(s3)["discrepancies_txt"]).decode("utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("paymux reconciliation discrepancies 2026-11-27")
    header, rule, *rest = lines[1:]
    columns = text_columns(CSV_COLUMNS)
    assert header.split() == columns and set(rule) == {"-"}
    starts = [header.index(c) for c in columns]  # the header is ASCII: positions are columns
    rows, footer = rest[: len(RECORDS)], rest[len(RECORDS) :]

    def cells(line: str) -> dict[str, str]:
        """The line cut at the header's display columns."""
        out, col, current = {}, 0, ""
        bounds = [*starts[1:], 10**6]
        i = 0
        for char in line:
            if col >= bounds[i]:
                out[columns[i]] = current.strip()
                current, i = "", i + 1
            current += char
            col += display_width(char)
        out[columns[i]] = current.strip()
        return {c: out.get(c, "") for c in columns}

    first = cells(rows[0])
    assert first["out_trade_no"] == "01KTRADE000101" and first["local_amount"] == "19.99"
    assert first["local_status"] == "PROCESSING" and first["detail"] == "已修复 repaired"
    third = cells(rows[2])
    assert third["channel_amount"] == "20.00" and third["detail"] == "金额不符"
    assert cells(rows[3])["channel_fee"] == "-0.05"
    assert cells(rows[1])["channel_amount"] == ""
    # money is right-aligned: every row's local_amount ends at the same display column
    end = starts[columns.index("local_amount")] + display_width("local_amount")
    ends = set()
    for line in rows:
        cut = cells(line)
        prefix = line[: line.index(cut["local_amount"]) + len(cut["local_amount"])]
        ends.add(display_width(prefix))
    assert len(ends) == 1 and ends.pop() >= end
    assert rule == footer[0]
    total = cells(footer[1])
    assert total["account_id"] == "total 4"
    assert (total["local_amount"], total["channel_amount"], total["channel_fee"]) == (
        "64.97",
        "44.99",
        "0.19",
    )
    assert footer[2:] == ["amount_mismatch: 1", "fee_mismatch: 1", "local_only: 1", "status_mismatch: 1"]


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("abc") == 3
    assert display_width("金额") == 4
    assert display_width("ＡＢ") == 4  # full-width
    assert display_width("e\u0301") == 1  # a combining accent takes no column


def test_a_day_without_discrepancies_still_gets_every_report(s3: Any) -> None:
    keys = write_discrepancy_reports(ReportStore(s3, BUCKET), DAY, CSV_COLUMNS, lambda: iter(()))
    book = openpyxl.load_workbook(io.BytesIO(body(s3, keys["discrepancies_xlsx"])))
    assert book.sheetnames == ["summary"]
    assert [c.value for c in book["summary"][2]][:3] == ["total", None, 0]
    text = body(s3, keys["discrepancies_txt"]).decode()
    assert "total 0" in text
