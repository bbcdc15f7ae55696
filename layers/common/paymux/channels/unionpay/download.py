"""Fetching a day's reconciliation file (txnType 76) through the file transfer endpoint; the
request, its answer and the file itself are read by `files` and `statement`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from paymux.channels.base import ChannelAccount, StatementFile
from paymux.channels.download import discard
from paymux.channels.unionpay import files, statement
from paymux.channels.unionpay.file_answer import FileAnswer
from paymux.channels.unionpay.transform import Access


class FileClient(Protocol):
    @property
    def account(self) -> ChannelAccount: ...
    @property
    def now(self) -> float: ...

    def post_for_file(self, url: str, fields: dict[str, str]) -> FileAnswer: ...


def file_url(base_url: str) -> str:
    """UnionPay serves files on its own host: gateway.… becomes filedownload.… at path `/`;
    any other base (a sandbox) serves them at its own `/`."""
    parts = urlsplit(base_url)
    host = parts.netloc
    if host.startswith("gateway."):
        return urlunsplit((parts.scheme, "filedownload." + host.removeprefix("gateway."), "/", "", ""))
    return base_url.rstrip("/") + "/"


def fetch(client: FileClient, access: Access, bill_date: date) -> StatementFile | None:
    """The day's file, None for a day without one. The zip stays on disk (/tmp): checked whole
    first (lines and the RD totals), then read again line by line as it is matched, and
    archived from there; the reconciliation removes it (StatementFile.path)."""
    how = files.Access(access.acq_ins_code)
    fields = files.file_request(access.mer_id, bill_date, client.now, how)
    answer = client.post_for_file(file_url(client.account.base_url), fields)
    try:
        if not files.check_file_answer(answer.fields, has_content=bool(answer.zip_path)):
            discard(answer.zip_path)
            return None
        acquirer = bool(access.acq_ins_code)
        zip_file = Path(answer.zip_path)
        checked = statement.check_statement(zip_file, access.mer_id, settle_date=bill_date, acquirer=acquirer)
    except BaseException:
        discard(answer.zip_path)
        raise
    return StatementFile(
        raw=b"",
        rows=checked,
        summary=checked.summary,
        content_type="application/zip",
        extension="zip",
        path=answer.zip_path,
        sha1=answer.zip_sha1,
    )
