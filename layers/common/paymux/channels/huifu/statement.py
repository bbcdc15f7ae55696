"""Huifu 斗拱's trade bill (交易对账单, bill_type TRADE_BILL) of one day, its e-CNY rows.

`POST /v2/trade/check/filequery` with `file_date` = the trade day + 1 answers `file_details`
(each a `download_url`) once the file is made, or only `task_details`: a task `S` without a
file means the day had no trades (huifurepo/dg-payment-skills
`references/aggregation-query-reconciliation.md`). The download is a zip of CSV files named
`<date>_<huifu_id>_order_<batch>.csv`.

NOT confirmed: the CSV's columns. Huifu publishes no header of the trade file; this parser
reads a header of the API's own field names (COLUMNS, what sandbox/huifu writes) and refuses
a file without them rather than guess positions. Rows of other wallets (trade types other
than D_NATIVE/D_MICROPAY, refunds of another pay_channel than D) are skipped."""

from __future__ import annotations

import csv
import io
import json
import secrets
import zipfile
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from paymux.channels.base import RefundState, StatementFile, StatementRow, StatementSummary
from paymux.channels.http import HttpClient
from paymux.channels.huifu import answers, transform
from paymux.channels.statement import StatementInvalid, StatementNotReady
from paymux.clock import CHINA
from paymux.errors import ChannelUnavailable

if TYPE_CHECKING:
    from paymux.channels.huifu.client import HuifuAcquirer

COLUMNS = (
    "huifu_id", "trans_date", "trans_time", "trans_type", "trade_type", "pay_channel",
    "req_seq_id", "org_req_seq_id", "hf_seq_id", "trans_amt", "fee_amt", "trans_stat",
)  # fmt: skip
MAX_FILE_BYTES = 64 * 1024 * 1024


def fetch(acquirer: HuifuAcquirer, http: HttpClient, bill_date: date, now: float) -> StatementFile | None:
    data = transform.file_query_data(bill_date, acquirer.huifu_id(), now, _request_number(now))
    answer = acquirer.post(transform.FILE_QUERY_PATH, data)
    if answers.code_of(answer) not in answers.ACCEPTED:
        raise answers.refusal(answer, "file query")
    urls = [str(f.get("download_url", "")) for f in _list(answer, "file_details")]
    if not urls:
        tasks = _list(answer, "task_details")
        if tasks and all(t.get("task_stat") == "S" for t in tasks):
            return None  # made, and empty: the day had no trades
        raise StatementNotReady(f"Huifu has not made the file of {bill_date} yet")
    raw = _download(http, urls[0])
    rows = parse(raw)
    if acquirer.provider:
        rows = tuple(provider_row(r) for r in rows)
    summary = StatementSummary(
        records=len(rows),
        payment_total=sum(r.amount for r in rows if r.kind == "payment"),
        refund_total=sum(r.amount for r in rows if r.kind == "refund"),
        fee_total=sum(r.fee for r in rows),
    )
    return StatementFile(raw, rows, summary, content_type="application/zip", extension="zip")


def _request_number(now: float) -> str:
    return datetime.fromtimestamp(int(now), CHINA).strftime("%Y%m%d%H%M%S") + secrets.token_hex(6)


def _list(answer: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = answer.get(name) or []
    if isinstance(value, str):  # a nested value may come as its JSON text
        try:
            value = json.loads(value or "[]")
        except ValueError as exc:
            raise ChannelUnavailable(f"Huifu's {name} is not a JSON list") from exc
    return [v for v in value if isinstance(v, Mapping)]


def _download(http: HttpClient, url: str) -> bytes:
    response = http.request("GET", url, headers={"User-Agent": "paymux/0.1"}, body=b"")
    if response.status != 200 or not response.body:
        raise ChannelUnavailable(f"Huifu's file download answered HTTP {response.status}")
    if len(response.body) > MAX_FILE_BYTES:
        raise StatementInvalid("Huifu's trade file is larger than paymux reads in one piece")
    return response.body


def parse(raw: bytes) -> tuple[StatementRow, ...]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        names = sorted(n for n in archive.namelist() if "_order" in n and n.endswith(".csv"))
        texts = [archive.read(n).decode("utf-8-sig") for n in names]
    except (zipfile.BadZipFile, UnicodeDecodeError, KeyError) as exc:
        raise StatementInvalid("Huifu's trade file is not a zip of UTF-8 CSV files") from exc
    if not names:
        raise StatementInvalid("Huifu's trade file holds no order CSV")
    rows: list[StatementRow] = []
    for text in texts:
        reader = csv.DictReader(io.StringIO(text))
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise StatementInvalid(f"Huifu's trade CSV header is not {','.join(COLUMNS)}")
        rows += [row for line in reader if (row := _row(line)) is not None]
    return tuple(rows)


def _amount(text: str, column: str) -> int:
    value = transform.fen(text.lstrip("-"))
    if value is None:
        raise StatementInvalid(f"Huifu trade CSV {column} is not an amount: {text!r}")
    return -value if text.startswith("-") else value


def _occurred(line: Mapping[str, str]) -> str:
    try:
        moment = datetime.strptime(line["trans_date"] + line["trans_time"], "%Y%m%d%H%M%S")
    except ValueError as exc:
        raise StatementInvalid(f"Huifu trade CSV time {line['trans_date']} {line['trans_time']}") from exc
    return moment.replace(tzinfo=CHINA).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(line: Mapping[str, str]) -> StatementRow | None:
    refund = line["trans_type"] == answers.REFUND_TRANS_TYPE
    if refund and line["pay_channel"] != transform.ECNY_PAY_CHANNEL:
        return None
    if not refund and line["trade_type"] not in transform.TRADE_TYPES:
        return None
    if line["trans_stat"] != "S":
        return None  # the file lists what moved money: successes
    row = StatementRow(
        out_trade_no=line["req_seq_id"],
        kind="payment",
        amount=_amount(line["trans_amt"], "trans_amt"),
        fee=_amount(line["fee_amt"] or "0", "fee_amt"),
        channel_trade_no=line["hf_seq_id"],
        status="SUCCESS",
        occurred_at=_occurred(line),
        mchid=line["huifu_id"],
        currency="CNY",
        carries=answers.CARRIED_FIELDS["statement"] | {"currency"},
    )
    if not refund:
        return row
    return replace(
        row,
        kind="refund",
        out_trade_no=line["org_req_seq_id"],
        out_refund_no=line["req_seq_id"],
        channel_trade_no="",
        channel_refund_no=line["hf_seq_id"],
        status=RefundState.SUCCESS.value,
    )


def provider_row(row: StatementRow) -> StatementRow:
    """A sub-merchant's file (service-provider mode): its huifu_id is the sub-merchant's."""
    return replace(row, mchid="", sub_mchid=row.mchid, carries=row.carries - {"mchid"})
