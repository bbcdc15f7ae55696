"""Fetching a day's reconciliation file (txnType 76) through the file transfer endpoint; the
request, its answer and the file itself are read by `files` and `statement`."""

from __future__ import annotations

from datetime import date
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from paymux.channels.base import ChannelAccount, StatementFile
from paymux.channels.unionpay import files, statement
from paymux.channels.unionpay.transform import Access


class FileClient(Protocol):
    @property
    def account(self) -> ChannelAccount: ...
    @property
    def now(self) -> float: ...

    def post_signed(self, url: str, fields: dict[str, str]) -> dict[str, str]: ...


def file_url(base_url: str) -> str:
    """UnionPay serves files on its own host: gateway.… becomes filedownload.… at path `/`;
    any other base (a sandbox) serves them at its own `/`."""
    parts = urlsplit(base_url)
    host = parts.netloc
    if host.startswith("gateway."):
        return urlunsplit((parts.scheme, "filedownload." + host.removeprefix("gateway."), "/", "", ""))
    return base_url.rstrip("/") + "/"


def fetch(client: FileClient, access: Access, bill_date: date) -> StatementFile | None:
    how = files.Access(access.acq_ins_code)
    fields = files.file_request(access.mer_id, bill_date, client.now, how)
    raw = files.read_file_answer(client.post_signed(file_url(client.account.base_url), fields))
    if raw is None:
        return None
    acquirer = bool(access.acq_ins_code)
    # checked whole first (lines and the RD totals), then read again line by line as it is
    # matched: no tuple of the day's rows
    checked = statement.check_statement(raw, access.mer_id, settle_date=bill_date, acquirer=acquirer)
    return StatementFile(
        raw=raw, rows=checked, summary=checked.summary, content_type="application/zip", extension="zip"
    )
