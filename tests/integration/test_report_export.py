"""One-click export through the real handler: a reconciled day (the reconcile handler against the
WeChat Pay sandbox's bill), then GET /v1/admin/reconciliation/{date}/reports/{format} answers a
presigned URL that downloads the report from S3 (moto's server: the URL is fetched over HTTP,
signature checked), with the file name asked for; bad input is a typed 4xx, a day without
reports a 404. (moto's server does not check signatures: that the URL is SigV4 with a 300 s
expiry is asserted on the URL itself.)"""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
import requests

from paymux.services.day_analytics import write_day_analytics
from paymux.services.reconciliation import CSV_COLUMNS
from paymux.store.reports import ReportStore
from tests.integration.conftest import World
from tests.integration.test_reconcile import alone, reconcile, today
from tests.integration.test_refunds import paid_payment
from tests.support import invoke, load_event, response_json


def export(date_text: str, fmt: str, *, iam: bool = True) -> tuple[int, Any]:
    event = copy.deepcopy(load_event("admin_get_reconciliation_report.json"))
    path = f"/v1/admin/reconciliation/{date_text}/reports/{fmt}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = {"date": date_text, "format": fmt}
    if not iam:
        del event["requestContext"]["authorizer"]
    return response_json(invoke("admin_get_reconciliation_report", event))


def download(url: str) -> requests.Response:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return response


def test_a_reconciled_days_reports_download_through_presigned_urls(world: World):
    alone(world)
    day = today(world)
    paid_payment(world, 1000)
    _, lost = world.create(amount=1999)
    world.catcher.forward = False  # its callback never arrives: reconciliation repairs it
    world.sandbox.pay(world.mchid, world.out_trade_no(lost["id"]))
    summary = reconcile(world, day)
    assert summary["discrepancies"] == 1
    assert set(summary["reports"]) >= {"summary", "discrepancies", "discrepancies_xlsx", "discrepancies_txt"}

    status, answer = export(day.isoformat(), "xlsx")
    assert status == 200
    assert answer["key"] == f"reports/{day}/discrepancies.xlsx"
    assert answer["filename"] == f"paymux-{day}-discrepancies.xlsx"
    query = parse_qs(urlsplit(answer["url"]).query)
    assert query.get("X-Amz-Expires") == ["300"]  # short-lived
    assert query.get("X-Amz-Algorithm") == ["AWS4-HMAC-SHA256"]  # SigV4 (moto does not check it)
    got = download(answer["url"])
    assert got.headers["Content-Disposition"] == f'attachment; filename="paymux-{day}-discrepancies.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(got.content))
    assert book.sheetnames == ["summary", "wechat"]
    rows = list(book["wechat"].iter_rows(values_only=True))
    assert rows[0] == CSV_COLUMNS and len(rows) == 2
    row = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert (row["class"], row["payment_id"], row["channel_amount"]) == ("status_mismatch", lost["id"], 19.99)

    _, csv_answer = export(day.isoformat(), "csv")
    text = download(csv_answer["url"]).content.decode("utf-8-sig")
    (header, line) = list(csv.reader(io.StringIO(text)))
    assert tuple(header) == CSV_COLUMNS and line[CSV_COLUMNS.index("payment_id")] == lost["id"]

    _, summary_answer = export(day.isoformat(), "summary")
    assert json.loads(download(summary_answer["url"]).content)["discrepancies"] == 1

    _, txt_answer = export(day.isoformat(), "txt")
    assert lost["id"] in download(txt_answer["url"]).content.decode()

    write_day_analytics(world.d, ReportStore(world.d.s3, world.d.settings.bucket), day)
    _, html_answer = export(day.isoformat(), "html")
    page = download(html_answer["url"])
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<svg" in page.text and html_answer["filename"] == f"paymux-{day}-analytics.html"


def test_a_day_without_reports_is_a_typed_404(world: World):
    status, answer = export("2001-01-02", "csv")
    assert status == 404
    assert answer["error"]["code"] == "not_found" and "2001-01-02" in answer["error"]["message"]


@pytest.mark.parametrize(
    ("date_text", "fmt", "field"),
    [
        ("2026-13-01", "csv", "date"),
        ("2026-02-30", "csv", "date"),
        ("20261127", "csv", "date"),
        ("2026-11-27", "pdf", "format"),
        ("2026-11-27", "CSV", "format"),
        ("../../statements", "csv", "date"),
    ],
)
def test_a_bad_date_or_format_is_a_typed_422(world: World, date_text: str, fmt: str, field: str):
    status, answer = export(date_text, fmt)
    assert status == 422
    assert answer["error"]["code"] == "validation_failed"
    assert [d["field"] for d in answer["error"]["details"]] == [field]


def test_without_iam_the_route_refuses(world: World):
    status, answer = export(date(2026, 11, 27).isoformat(), "csv", iam=False)
    assert (status, answer["error"]["code"]) == (403, "forbidden")
