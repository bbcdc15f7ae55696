"""Fetching a day's reconciliation file (txnType 76) through the file transfer endpoint: the
answer streamed to /tmp and read there in bounded memory (`file_answer`), the request and its
answer's codes by `files`, the zip by `statement`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from paymux.channels.base import ChannelAccount, StatementFile
from paymux.channels.download import TEMP_PREFIX, discard
from paymux.channels.http import HttpClient, HttpStream
from paymux.channels.unionpay import files, statement
from paymux.channels.unionpay.file_answer import FileAnswer, scan, signed_digest, unpack
from paymux.channels.unionpay.transform import Access
from paymux.errors import CallbackRejected, ChannelUnavailable


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


def receive(http: HttpClient, url: str, headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
    """POSTs `body` and writes the answer to a new file in /tmp as it arrives: its HTTP status
    and path (removed here when writing fails, else by the caller)."""
    stream = getattr(http, "stream", None)
    if stream is not None:
        answer: HttpStream = stream("POST", url, headers=headers, body=body)
    else:  # an HTTP port without streaming (a test's) gives the body whole
        response = http.request("POST", url, headers=headers, body=body)
        answer = HttpStream(response.status, iter((response.body,)), response.headers)
    descriptor, path = tempfile.mkstemp(prefix=TEMP_PREFIX)
    try:
        with os.fdopen(descriptor, "wb") as file:
            for chunk in answer.chunks:
                file.write(chunk)
    except (OSError, ChannelUnavailable) as exc:
        discard(path)
        if isinstance(exc, ChannelUnavailable):
            raise
        raise ChannelUnavailable(f"the UnionPay file answer could not be written: {exc.strerror}") from exc
    return answer.status, path


def fetch_verified(
    http: HttpClient,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    verify: Callable[[Mapping[str, str], bytes], None],
) -> FileAnswer:
    """POSTs `body`; the answer verified by `verify(fields, digest)` (which raises), then its
    file unpacked. The answer's own file is removed here; the zip, by the caller. An answer
    that is not a form is ChannelUnavailable (outcome unknown), as post_signed has it."""
    status, path = receive(http, url, headers, body)
    try:
        if status != 200:
            raise ChannelUnavailable(f"UnionPay answered HTTP {status}")
        try:
            located = scan(path)
        except CallbackRejected as exc:
            raise ChannelUnavailable("UnionPay answered something that is not a k=v form") from exc
        verify(located.fields, signed_digest(path, located))
        unpacked = unpack(path, located)
    finally:
        discard(path)
    return FileAnswer(located.fields, unpacked.zip_path, unpacked.zip_sha1)
