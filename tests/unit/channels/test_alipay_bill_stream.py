"""The Alipay bill streamed: downloaded to /tmp and hashed as it arrives, its zip member
inflated, GBK-decoded and parsed one record at a time in integer fen, with bounded memory
(tracemalloc); on the real sample bill (tests/fixtures/alipay, from /work/shared/samples) and on
hand-made ones it gives exactly the rows and totals the whole-file parser of 071d513 gave
(alipay_bill_before.py)."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
import zipfile
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from paymux.channels import download
from paymux.channels.alipay import statement
from paymux.channels.alipay.client import AlipayChannel
from paymux.channels.base import ChannelAccount
from paymux.channels.http import HttpResponse, HttpStream
from paymux.channels.statement import StatementInvalid
from tests.keys import keypair
from tests.unit.channels import alipay_bill_before as before
from tests.unit.channels.test_alipay_statement_transform import GOOD_ROWS, HEADER, bill, row

SAMPLE = Path(__file__).parents[2] / "fixtures" / "alipay" / "alipay_tradebill_20190916_detail.csv"
MIB = 1 << 20


def zipped(detail: bytes, *, summary_first: bool = True) -> bytes:
    """The sample as Alipay serves it: GBK CSV files in a zip, the summary file first."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if summary_first:
            archive.writestr(
                "20880211096256330156_20190916_业务明细(汇总).csv", "#支付宝业务汇总查询\r\n".encode("gbk")
            )
        archive.writestr("20880211096256330156_20190916_业务明细.csv", detail)
    return buffer.getvalue()


def sample_zip(end: str = "\n") -> bytes:
    text = SAMPLE.read_text(encoding="utf-8")
    return zipped(text.replace("\n", end).encode("gbk"))


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_the_real_sample_parses_as_the_whole_file_parser_did(end: str, tmp_path: Path) -> None:
    raw = sample_zip(end)
    old = before.parse_trade_bill(raw)
    new = statement.parse_trade_bill(raw)
    assert new == old
    assert (len(new.rows), sum(r.kind == "payment" for r in new.rows)) == (10, 6)
    assert (new.summary.payment_total, new.summary.refund_total) == (6, 4)
    path = tmp_path / "bill.zip"
    path.write_bytes(raw)
    reader = statement.read_bill_file(str(path))
    assert (tuple(reader), reader.summary) == (old.rows, old.summary)
    assert tuple(reader) == old.rows  # read again: the file is read anew


def test_hand_made_bills_parse_as_the_whole_file_parser_did() -> None:
    raw = bill(
        [*GOOD_ROWS, row("2026112722003", "PAY0301", "交易", "0.05", "0.00")],
        "#交易合计：3笔，商家实收共120.04元，商家优惠共0.00元",
        "#退款合计：1笔，商家实收退款共-30.00元，商家优惠退款共0.00元",
    )
    assert statement.parse_trade_bill(raw) == before.parse_trade_bill(raw)


def test_a_bill_that_does_not_add_up_raises_at_its_end_after_its_rows(tmp_path: Path) -> None:
    raw = bill(GOOD_ROWS, "#交易合计：2笔，商家实收共119.98元", "#退款合计：1笔，商家实收退款共-30.00元")
    (tmp_path / "bill.zip").write_bytes(raw)
    reader = statement.read_bill_file(str(tmp_path / "bill.zip"))
    seen = []
    with pytest.raises(StatementInvalid, match=r"footer says 2 totalling 119\.98000"):
        for r in reader:
            seen.append(r.out_trade_no)
    assert seen == ["PAY0101", "PAY0201", "PAY0201"]
    with pytest.raises(StatementInvalid):
        _ = reader.summary


def test_a_damaged_member_is_a_statement_invalid_not_a_crash() -> None:
    raw = bytearray(sample_zip())
    raw[len(raw) // 2] ^= 0xFF  # inside the detail member's compressed data
    with pytest.raises(StatementInvalid):
        statement.parse_trade_bill(bytes(raw))


# -- at volume --------------------------------------------------------------------------------
def big_bill(path: Path, payments: int) -> int:
    """A bill zip of `payments` payment rows written to `path` a chunk at a time; its
    uncompressed size."""
    head = [
        "#支付宝业务明细查询",
        "#账号：[20880000000000010156]",
        "#-----------------------------------------业务明细列表----------------------------------------",
        HEADER,
    ]
    size = 0
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("20880000000000010156_20261127_业务明细.csv", "w", force_zip64=True) as member,
    ):
        chunk = ["\r\n".join(head) + "\r\n"]
        for n in range(payments):
            chunk.append(row(f"2026112722{n:018d}", f"PAY{n:012d}01", "交易", "12.34", "0.07") + "\r\n")
            if len(chunk) == 5000 or n == payments - 1:
                data = "".join(chunk).encode("gbk")
                member.write(data)
                size, chunk = size + len(data), []
        total = f"{payments * 1234 // 100}.{payments * 1234 % 100:02d}"
        tail = f"#交易合计：{payments}笔，商家实收共{total}元\r\n#退款合计：0笔，商家实收退款共0.00元\r\n"
        member.write(tail.encode("gbk"))
    return size


class FileHttp:
    """The bill's download URL served from a file, as a stream when asked so (and whole by
    `request` for a client that cannot stream, as the original fetch read it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def request(self, method: str, url: str, *, headers: Mapping[str, str], **_: Any) -> HttpResponse:
        return HttpResponse(200, self.path.read_bytes(), {"Content-Type": "application/zip"})

    def stream(self, method: str, url: str, *, headers: Mapping[str, str], **_: Any) -> HttpStream:
        def chunks() -> Iterator[bytes]:
            with self.path.open("rb") as file:
                while block := file.read(1 << 16):
                    yield block

        return HttpStream(200, chunks(), {"Content-Type": "application/zip"})


class BillChannel(AlipayChannel):
    """The real channel; only the download URL answer is made here."""

    def _call(self, method: str, content: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        assert method == "alipay.data.dataservice.bill.downloadurl.query"
        return {
            "bill_download_url": "https://dwbillcenter.alipay.com/downloadBillFile.resource?bizType=trade"
        }


def bill_channel(http: Any) -> AlipayChannel:
    account = ChannelAccount(
        "ali-1",
        "alipay",
        ("alipay.qr",),
        "2088000000000001",
        "2021000000000001",
        "https://openapi.alipay.com/gateway.do",
    )
    credentials = {
        "app_private_key_pem": keypair("ali-app").private_pem,
        "alipay_public_key_pem": keypair("alipay").public_pem,
    }
    return BillChannel(account, credentials, http, lambda: 1_764_316_800.0)


def test_a_large_bill_is_fetched_and_parsed_in_bounded_memory(tmp_path: Path) -> None:
    """A 100,000-row bill (over 15 MiB of GBK text) fetched and read row by row holds at most a
    few MiB at once: the zip is on disk, its member inflated and decoded as it is read."""
    source = tmp_path / "served.zip"
    uncompressed = big_bill(source, 100_000)
    assert uncompressed > 15 * MIB
    channel = bill_channel(FileHttp(source))
    tracemalloc.start()
    try:
        fetched = channel.fetch_statement(date(2026, 11, 27))
        assert fetched is not None
        count, amount = 0, 0
        for r in fetched.rows:
            count, amount = count + 1, amount + r.amount
        summary = fetched.final_summary()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (count, amount, summary.records, summary.payment_total) == (
        100_000,
        100_000 * 1234,
        100_000,
        100_000 * 1234,
    )
    assert peak < 4 * MIB, f"peak {peak / MIB:.1f} MiB"
    assert fetched.sha1 == hashlib.sha1(source.read_bytes()).hexdigest()
    assert Path(fetched.path).read_bytes() == source.read_bytes() and fetched.extension == "zip"
    download.discard(fetched.path)


def test_a_download_that_is_not_a_bill_zip_is_refused_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "served.zip"
    source.write_bytes("<html>下载超时</html>".encode())
    monkeypatch.setattr(download.tempfile, "tempdir", str(tmp_path))
    with pytest.raises(StatementInvalid, match="not a zip"):
        bill_channel(FileHttp(source)).fetch_statement(date(2026, 11, 27))
    assert [p.name for p in tmp_path.iterdir()] == ["served.zip"]
