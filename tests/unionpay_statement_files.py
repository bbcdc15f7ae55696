"""UnionPay reconciliation files built by hand for tests, in the official layout (RESEARCH.md
§1.5, SOURCES.md): ZM lines of fixed GBK byte widths with a space after each field, an RD
summary shaped like the official sample's, and the zip around them. Independent of paymux's
parser: the widths are written out here again, with both known tails."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

SAMPLE_ZIP = Path(__file__).parent / "fixtures" / "unionpay" / "802310048993424_20150905.zip"
SAMPLE_SHA256 = "b40e994087113cb27dc9b08a7ede2bdc7d1f9aea29ab5420c56e241668f7fd38"
SAMPLE_MER_ID = "802310048993424"
SAMPLE_ZM = "INN15090588ZM_802310048993424"
SAMPLE_RD = "RD201015090501_802310048993424"
HEAD = (3, 11, 11, 6, 10, 19, 12, 4, 2, 21, 2, 32, 2, 6, 10, 13, 13, 4, 15, 2, 2, 6, 2, 4, 32, 1, 21, 15)
HEAD += (1, 15, 32, 13, 13, 8, 32, 13, 13, 12, 2, 1, 32)
TAIL_607 = (98,)  # the official demo's 42 fields (the sample)
TAIL_608 = (13, 2, 1, 12, 67)  # Dax-Pay's 46 fields


def zm_line(values: dict[int, str], *, tail: tuple[int, ...] = TAIL_607) -> bytes:
    """One ZM line (no CRLF): field number → text, GBK-encoded, space-padded to its width."""
    out = b""
    for number, width in enumerate(HEAD + tail, 1):
        data = values.get(number, "").encode("gbk")
        assert len(data) <= width, (number, values.get(number))
        out += data.ljust(width, b" ") + (b" " if number < len(HEAD + tail) else b"")
    return out


def payment(order_id: str, amount: int, fee: int, **extra: str) -> dict[int, str]:
    """A consume line's fields like the sample's (S56, txnType 01, merId 802310048993424)."""
    values = {
        1: "S56",
        2: "88022900",
        3: "00049993",
        4: "190624",
        5: "0906112203",
        6: "622609******0048",
        7: f"{amount:012d}",
        10: f"2015090611220{order_id[-8:]}",
        12: order_id,
        16: f"D{fee:012d}",
        17: f"C{amount - fee:012d}",
        20: "01",
        21: "01",
        22: "000201",
        28: SAMPLE_MER_ID,
    }
    return values | {int(k.lstrip("f")): v for k, v in extra.items()}


def refund(order_id: str, original: str, amount: int, fee_back: int, txn_type: str = "04") -> dict[int, str]:
    """A refund (04) or undo (31) line: the merchant is debited the amount, credited its fee."""
    values = payment(order_id, amount, 0, f20=txn_type, f41=original, f27="201509061122031906248")
    return values | {16: f"C{fee_back:012d}", 17: f"D{amount - fee_back:012d}"}


def rd_text(
    count: int, amounts: tuple[str, ...], *, mer_id: str = SAMPLE_MER_ID, day: str = "20150905"
) -> str:
    """An RD summary in the sample's shape: its header and two equal 总计 lines
    (count, 交易金额 借 贷, 费用 借 贷, 资金清算差额 借 贷)."""
    total = "总计" + f"{count:>23}" + "".join(f"{a:>16}" for a in amounts)
    return "\r\n".join(
        [
            " " * 73 + "中国银联全渠道商户交易汇总表",
            "",
            f"商户代码:{mer_id}" + " " * 40 + "清算币种:人民币",
            "收单机构:88022900" + " " * 47 + f"清算日期:{day}",
            "商户名称:淘在路上" + " " * 47 + "生成日期:20150906",
            "",
            "交易类型            交易笔数               交易金额                         费用",
            "_" * 136,
            total,
            "",
            "卡性质              交易笔数               交易金额",
            "_" * 136,
            total,
            "",
        ]
    )


def statement_zip(
    lines: list[bytes],
    rd: str,
    *,
    zm_name: str = SAMPLE_ZM,
    rd_name: str = SAMPLE_RD,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zm_name, b"".join(line + b"\r\n" for line in lines))
        archive.writestr(rd_name, rd.encode("gbk"))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def sample_entries() -> dict[str, bytes]:
    with zipfile.ZipFile(SAMPLE_ZIP) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def with_gbk_name(raw_zip: bytes, placeholder: str, name: str) -> bytes:
    """The zip with an entry's ASCII placeholder name replaced by `name` in GBK bytes and no
    UTF-8 flag, as Windows tools and UnionPay write them (same byte length required)."""
    encoded = name.encode("gbk")
    assert len(encoded) == len(placeholder)
    return raw_zip.replace(placeholder.encode("ascii"), encoded)
