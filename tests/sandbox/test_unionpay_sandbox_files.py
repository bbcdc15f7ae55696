"""File transfer (txnType 76): 98 until the day's file is ready, then base64(deflate(zip))
holding the GBK fixed-width ZM detail (607-byte lines, or 608 in the Dax-Pay layout) and the RD
summary, whose totals agree with the rows."""

from __future__ import annotations

import base64
import io
import re
import zipfile
import zlib
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from unionpay_sandbox_client import MER_ID, AcpClient, FakeClock, at_beijing

from sandbox.unionpay import GeneratedMerchant, UnionPaySandbox

# RESEARCH.md §1.5, written out here independently of the sandbox's own table.
ZM_WIDTHS = [3, 11, 11, 6, 10, 19, 12, 4, 2, 21, 2, 32, 2, 6, 10, 13, 13, 4, 15, 2, 2, 6, 2, 4, 32, 1, 21,
             15, 1, 15, 32, 13, 13, 8, 32, 13, 13, 12, 2, 1, 32, 98]  # fmt: skip
URL = "http://127.0.0.1:9/notify"


def unpack(answer: dict[str, str]) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(zlib.decompress(base64.b64decode(answer["fileContent"]))))


def slice_line(line: bytes, widths: list[int]) -> list[str]:
    fields, position = [], 0
    for width in widths:
        fields.append(line[position : position + width].decode("gbk"))
        position += width + 1
    return fields


def day_with_trades(sb: UnionPaySandbox, client: AcpClient, clock: FakeClock) -> None:
    """On clearing day 2026-03-05: three consumes, a partial refund of one, an undo of another."""
    for order_id, amount in (("FILEORDER01", 476800), ("FILEORDER02", 83800), ("FILEORDER03", 10000)):
        extra = {"reqReserved": "中文透传字段"} if order_id == "FILEORDER01" else {}
        assert client.apply_qr(order_id, amount, URL, **extra)["respCode"] == "00"
        sb.pay(order_id)
        clock.advance(60)
    query_ids = {o: sb.transaction(o)["queryId"] for o in ("FILEORDER01", "FILEORDER02")}
    assert client.refund("FILEREFUND1", query_ids["FILEORDER01"], 100000, URL)["respCode"] == "00"
    assert (
        client.refund("FILEUNDO001", query_ids["FILEORDER02"], 83800, URL, txn_type="31")["respCode"] == "00"
    )


def test_the_file_is_98_until_ready_then_the_real_format(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    clock = FakeClock(at_beijing(2026, 3, 5, 10))
    sb = make_unionpay(unionpay_identity, clock=clock)
    client = AcpClient(sb, unionpay_identity, clock)
    day_with_trades(sb, client, clock)
    # Not ready on the day itself, nor the next morning before 09:00
    assert client.file("0305")["respCode"] == "98"
    clock.now = at_beijing(2026, 3, 6, 8, 59)
    not_ready = client.file("0305")
    assert (not_ready["respCode"], not_ready["respMsg"]) == ("98", "文件不存在")
    assert "fileContent" not in not_ready
    clock.now = at_beijing(2026, 3, 6, 9, 0)
    answer = client.file("0305")
    assert answer["respCode"] == "00" and answer["fileName"] == f"{MER_ID}_20260305.zip"
    archive = unpack(answer)
    assert archive.namelist() == [f"INN26030588ZM_{MER_ID}", f"RD201026030501_{MER_ID}"]
    detail = archive.read(f"INN26030588ZM_{MER_ID}")
    assert detail.endswith(b"\r\n")
    lines = detail.split(b"\r\n")[:-1]
    assert len(lines) == 5 and {len(line) for line in lines} == {607}
    assert all(line[w] == 32 for line in lines for w in _separators(ZM_WIDTHS))
    rows = {slice_line(line, ZM_WIDTHS)[11].strip(): slice_line(line, ZM_WIDTHS) for line in lines}
    assert set(rows) == {"FILEORDER01", "FILEORDER02", "FILEORDER03", "FILEREFUND1", "FILEUNDO001"}
    first, refund, undo = rows["FILEORDER01"], rows["FILEREFUND1"], rows["FILEUNDO001"]
    assert (first[19], refund[19], undo[19]) == ("01", "04", "31")  # field 20 txnType
    assert first[9] == sb.transaction("FILEORDER01")["queryId"]  # field 10
    assert first[6] == "000000476800"  # field 7, fen
    assert (first[15], first[16]) == ("D000000002861", "C000000473939")  # fee 0.60 %, net
    assert refund[15] == "C000000000600" and refund[16] == "D000000099400"
    assert (refund[26], refund[40].strip()) == (first[9], "FILEORDER01")  # origQryId, field 41
    assert undo[40].strip() == "FILEORDER02" and undo[15] == "C000000000503"
    assert first[27] == MER_ID and first[21] == "000000"
    assert first[34].rstrip() == "中文透传字段"  # GBK bytes: the later fields did not move
    # The RD summary's totals agree with the detail rows
    summary = archive.read(f"RD201026030501_{MER_ID}").decode("gbk")
    assert "清算日期:20260305" in summary and f"商户代码:{MER_ID}" in summary
    totals = _total_line(summary)
    credit = sum(int(r[6]) for r in rows.values() if r[19] == "01")
    debit = sum(int(r[6]) for r in rows.values() if r[19] != "01")
    fees = sum(int(r[15][1:]) for r in rows.values() if r[15][0] == "D")
    fees_back = sum(int(r[15][1:]) for r in rows.values() if r[15][0] == "C")
    assert totals[:5] == [5, *(Decimal(fen) / 100 for fen in (debit, credit, fees, fees_back))]
    net = sum(int(r[16][1:]) * (1 if r[16][0] == "C" else -1) for r in rows.values())
    assert totals[6] - totals[5] == Decimal(net) / 100


def _separators(widths: list[int]) -> list[int]:
    positions, position = [], 0
    for width in widths[:-1]:
        position += width
        positions.append(position)
        position += 1
    return positions


def _total_line(summary: str) -> list[Decimal | int]:
    line = next(text for text in summary.split("\r\n") if text.startswith("总计"))
    count, *amounts = re.findall(r"[\d.]+", line)
    return [int(count), *(Decimal(amount) for amount in amounts)]


def test_rows_are_booked_on_their_settle_date(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    clock = FakeClock(at_beijing(2026, 3, 5, 23, 30))  # after the cut-off: clearing day 0306
    sb = make_unionpay(unionpay_identity, clock=clock)
    client = AcpClient(sb, unionpay_identity, clock)
    client.apply_qr("LATEORDER01", 100, URL)
    sb.pay("LATEORDER01")
    clock.now = at_beijing(2026, 3, 7, 10)
    assert "fileContent" not in client.file("0305")  # ready, but nothing booked on 0305
    archive = unpack(client.file("0306"))
    (line,) = archive.read(f"INN26030688ZM_{MER_ID}").split(b"\r\n")[:-1]
    fields = slice_line(line, ZM_WIDTHS)
    assert fields[11].strip() == "LATEORDER01" and fields[4].startswith("0305233")  # MMDDhhmmss


def test_a_day_without_trades_answers_00_without_a_file(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    clock = FakeClock(at_beijing(2026, 3, 10, 12))
    sb = make_unionpay(unionpay_identity, clock=clock)
    client = AcpClient(sb, unionpay_identity, clock)
    answer = client.file("0309")
    assert (answer["respCode"], answer["respMsg"]) == ("00", "成功[0000000]")
    assert "fileContent" not in answer and "fileName" not in answer
    sb.set_file_ready(date(2026, 3, 9), False)
    assert client.file("0309")["respCode"] == "98"


def test_file_readiness_can_be_forced_and_the_daxpay_layout_has_608_bytes(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    clock = FakeClock(at_beijing(2026, 3, 5, 10))
    sb = make_unionpay(unionpay_identity, clock=clock, statement_layout="daxpay")
    client = AcpClient(sb, unionpay_identity, clock)
    client.apply_qr("DAXORDER001", 100, URL)
    sb.pay("DAXORDER001")
    sb.set_file_ready(date(2026, 3, 5), True)
    archive = unpack(client.file("0305"))
    (line,) = archive.read(f"INN26030588ZM_{MER_ID}").split(b"\r\n")[:-1]
    assert len(line) == 608
    assert slice_line(line, ZM_WIDTHS[:41])[11].strip() == "DAXORDER001"  # the first 41 fields hold
    sb.statement_layout = "official"
    (line,) = unpack(client.file("0305")).read(f"INN26030588ZM_{MER_ID}").split(b"\r\n")[:-1]
    assert len(line) == 607


def test_file_requests_are_checked(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    client = AcpClient(sb, unionpay_identity)
    assert client.file("1399")["respCode"] == "10"
    bad_type = client.envelope(MER_ID, txnType="76", txnSubType="01", bizType="000000", fileType="01")
    assert client.post("/", bad_type | {"settleDate": "0101"})["respMsg"] == "fileType无效"
