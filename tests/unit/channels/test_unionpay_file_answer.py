"""The file transfer answer (txnType 76) read from disk in bounded memory
(paymux.channels.unionpay.file_answer): the body streamed to /tmp, fileContent's value hashed
into the signed string, then decoded and inflated chunk by chunk; the same fields and zip as
the in-memory reader (form.parse_form + statement.unpack_file_content), nothing believed before
the signature verifies, and no file left behind."""

from __future__ import annotations

import base64
import glob
import os
import random
import tempfile
import tracemalloc
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from paymux.channels.download import TEMP_PREFIX
from paymux.channels.http import HttpResponse, HttpStream
from paymux.channels.statement import StatementInvalid
from paymux.channels.unionpay import form
from paymux.channels.unionpay.statement import unpack_file_content
from paymux.errors import ChannelUnavailable
from tests import unionpay_keys as keys
from tests.unit.channels.test_unionpay_client import MER_ID, _channel

URL = "https://filedownload.test.95516.com/"
HEADERS = {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}


def _answer(zip_bytes: bytes, *, raw_deflate: bool = False, **extra: str) -> bytes:
    packed = zlib.compress(zip_bytes) if not raw_deflate else _raw_deflate(zip_bytes)
    content = base64.b64encode(packed).decode()
    fields = {
        "version": "5.1.0",
        "encoding": "UTF-8",
        "signMethod": "01",
        "txnType": "76",
        "txnSubType": "01",
        "bizType": "000000",
        "accessType": "0",
        "merId": MER_ID,
        "settleDate": "0305",
        "txnTime": "20260306093000",
        "respCode": "00",
        "respMsg": "成功[0000000]",
        "fileName": "INN26030588ZM_777290058167151.zip",
        "reqReserved": "{a=1&b=[2&3]}",  # kept whole, as the official parser does
        "fileContent": content,
        **extra,
    }
    signed = keys.sign_as_unionpay(fields)
    return "&".join(f"{k}={v}" for k, v in signed.items()).encode()


def _raw_deflate(data: bytes) -> bytes:
    engine = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return engine.compress(data) + engine.flush()


@dataclass
class StreamingUnionPay:
    """Answers the POST with `body`, handed out 1 MiB at a time as a real stream arrives."""

    body: bytes
    status: int = 200
    sent: list[tuple[str, str]] = field(default_factory=list)

    def request(self, method: str, url: str, **_: Any) -> HttpResponse:
        raise AssertionError("the file answer must be streamed")

    def stream(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes = b"", **_: Any
    ) -> HttpStream:
        self.sent.append((method, url))
        view = memoryview(self.body)
        chunks: Iterator[bytes] = (bytes(view[i : i + (1 << 20)]) for i in range(0, len(view), 1 << 20))
        return HttpStream(self.status, chunks)


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """/tmp of its own: what these tests leave behind is theirs alone."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _left_behind() -> set[str]:
    return set(glob.glob(os.path.join(tempfile.gettempdir(), TEMP_PREFIX + "*")))


def test_a_multi_megabyte_answer_is_read_with_bounded_memory_and_as_parse_form_reads_it() -> None:
    zip_bytes = os.urandom(12 << 20)  # incompressible: the answer is 16 MB of text
    body = _answer(zip_bytes)
    before = _left_behind()
    http = StreamingUnionPay(body)
    channel = _channel(http)  # type: ignore[arg-type]

    tracemalloc.start()
    try:
        answer = channel.post_for_file(URL, {"txnType": "76", "merId": MER_ID})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    try:
        assert peak < len(body) // 4, (peak, len(body))  # a few 1 MiB chunks, never the text
        in_memory = form.parse_form(body.decode())
        assert answer.fields == {k: v for k, v in in_memory.items() if k != "fileContent"}
        assert (
            Path(answer.zip_path).read_bytes() == unpack_file_content(in_memory["fileContent"]) == zip_bytes
        )
        assert http.sent == [("POST", URL)]
    finally:
        os.unlink(answer.zip_path)
    assert _left_behind() == before  # the answer's own file is gone


@pytest.mark.parametrize("raw_deflate", [False, True])
def test_zlib_or_raw_deflate_and_line_breaks_are_read_alike(raw_deflate: bool) -> None:
    zip_bytes = b"PK\x03\x04" + random.Random(7).randbytes(300_000)  # fixed: its deflate header too
    body = _answer(zip_bytes, raw_deflate=raw_deflate)
    head, _, tail = body.partition(b"fileContent=")
    content, amp, rest = tail.partition(b"&")
    wrapped = b"\r\n".join(content[i : i + 76] for i in range(0, len(content), 76))
    fields = form.parse_form((head + b"fileContent=" + wrapped + amp + rest).decode())
    resigned = "&".join(f"{k}={v}" for k, v in keys.sign_as_unionpay(fields).items()).encode()

    answer = _channel(StreamingUnionPay(resigned)).post_for_file(URL, {})  # type: ignore[arg-type]

    try:
        assert Path(answer.zip_path).read_bytes() == zip_bytes == unpack_file_content(fields["fileContent"])
    finally:
        os.unlink(answer.zip_path)


@pytest.mark.parametrize(
    "damage",
    [
        lambda body: body.replace(b"fileContent=", b"fileContent=A", 1),  # one more base64 char
        lambda body: body.replace(b"respCode=00", b"respCode=98", 1),
        lambda body: body + b"&extra=1",
    ],
    ids=["fileContent changed", "a field changed", "a field added"],
)
def test_an_answer_that_does_not_verify_is_an_unknown_outcome_and_leaves_nothing(damage: Any) -> None:
    before = _left_behind()
    body = damage(_answer(b"PK" + os.urandom(50_000)))

    with pytest.raises(ChannelUnavailable, match="unverifiable"):
        _channel(StreamingUnionPay(body)).post_for_file(URL, {})  # type: ignore[arg-type]

    assert _left_behind() == before


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"respCode=00&fileContent=QUFB&fileContent=QUFB",
        b"respCode=00&reqReserved={open",
        b"a=1&",
        b"fileContent=QUFB&",
        b"respCode=00&fileContent=QUFB&noValue",
    ],
    ids=[
        "empty",
        "fileContent twice",
        "unclosed bracket",
        "trailing &",
        "& after fileContent",
        "a field without =",
    ],
)
def test_what_is_not_a_form_is_an_unknown_outcome(body: bytes) -> None:
    with pytest.raises(ChannelUnavailable):
        _channel(StreamingUnionPay(body)).post_for_file(URL, {})  # type: ignore[arg-type]


def test_an_answer_without_file_content_is_verified_whole_and_has_no_zip() -> None:
    fields = {"txnType": "76", "respCode": "98", "respMsg": "文件不存在", "merId": MER_ID}
    body = "&".join(f"{k}={v}" for k, v in keys.sign_as_unionpay(fields).items()).encode()

    answer = _channel(StreamingUnionPay(body)).post_for_file(URL, {})  # type: ignore[arg-type]

    assert answer.zip_path == "" and answer.fields == form.parse_form(body.decode())


def test_a_verified_content_that_is_not_deflate_is_a_refused_file() -> None:
    fields = {
        "txnType": "76",
        "respCode": "00",
        "merId": MER_ID,
        "fileContent": base64.b64encode(b"not zlib").decode(),
    }
    body = "&".join(f"{k}={v}" for k, v in keys.sign_as_unionpay(fields).items()).encode()
    before = _left_behind()

    with pytest.raises(StatementInvalid):
        _channel(StreamingUnionPay(body)).post_for_file(URL, {})  # type: ignore[arg-type]

    assert _left_behind() == before
