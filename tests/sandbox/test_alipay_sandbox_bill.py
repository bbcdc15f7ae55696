"""The trade bill: download URL, 30-second lifetime, and the zip of two GBK CSV files in
Alipay's layout (PROTOCOLS.md §2.6)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
import requests
from alipay_sandbox_helpers import APP_ID, GMT8, PID, AlipayEnv, FakeClock, alipay_env

BILL = "alipay.data.dataservice.bill.downloadurl.query"
DETAIL_HEADER = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
    "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
    "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
)
# 2026-11-27 10:00:00 GMT+8
DAY_ONE = datetime(2026, 11, 27, 10, 0, 0, tzinfo=GMT8).timestamp()


def bill_zip(env: AlipayEnv, bill_date: str) -> bytes:
    answer = env.client.call(BILL, {"bill_type": "trade", "bill_date": bill_date})
    assert answer["code"] == "10000", answer.text
    assert answer.verifies(env.key)
    download = requests.get(answer["bill_download_url"], timeout=5)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/octet-stream"
    return download.content


def files(content: bytes) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(content), metadata_encoding="gbk")
    for info in archive.infolist():
        assert info.flag_bits & 0x800 == 0  # GBK names, as Alipay's, not UTF-8-flagged
    return {info.filename: archive.read(info).decode("gbk") for info in archive.infolist()}


def test_a_day_of_payments_and_refunds(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock(DAY_ONE)
    with alipay_env(clock=clock) as env:
        # Given three payments and two refunds on 2026-11-27 (GMT+8)
        env.precreate("BL_PAY_000001", "100.00", store_id="NJ_001", body="两袋")
        env.sb.pay(APP_ID, "BL_PAY_000001", buyer_id="2088102177846880")
        clock.advance(60)
        env.paid_trade("BL_PAY_000002", "19.99")
        clock.advance(60)
        env.paid_trade("BL_PAY_000003", "0.01")
        clock.advance(60)
        assert env.refund("BL_PAY_000001", "30.00", "BL_REFUND_01")["code"] == "10000"
        clock.advance(60)
        assert env.refund("BL_PAY_000002", "19.99", "BL_REFUND_02")["code"] == "10000"
        # When the day's bill is downloaded
        content = bill_zip(env, "2026-11-27")
    detail_name = f"{PID}0156_20261127_业务明细.csv"
    summary_name = f"{PID}0156_20261127_业务明细(汇总).csv"
    bill = files(content)
    assert sorted(bill) == sorted([detail_name, summary_name])
    detail = bill[detail_name]
    # Then every line ends in CRLF and the detail file has Alipay's layout
    assert detail.endswith("\r\n") and "\n" not in detail.replace("\r\n", "")
    lines = detail.split("\r\n")[:-1]
    assert lines[:5] == [
        "#支付宝业务明细查询",
        f"#账号：[{PID}0156]",
        "#起始日期：[2026年11月27日 00:00:00]   终止日期：[2026年11月28日 00:00:00]",
        "#-----------------------------------------业务明细列表----------------------------------------",
        DETAIL_HEADER,
    ]
    rows = [line.split(",") for line in lines[5:10]]
    assert all(len(row) == 25 for row in rows)
    assert (
        lines[10]
        == "#-----------------------------------------业务明细列表结束------------------------------------"
    )
    assert lines[11] == "#交易合计：3笔，商家实收共120.00元，商家优惠共0.00元"
    assert lines[12] == "#退款合计：2笔，商家实收退款共-49.99元，商家优惠退款共0.00元"
    assert lines[13] == "#导出时间：[2026年11月27日 10:04:00]"
    assert len(lines) == 14
    # And the rows are in time order, ID-like columns tab-suffixed
    first, second, third, refund_one, refund_two = rows
    trades = env.sb.trades
    assert first[:6] == [
        f"{trades['BL_PAY_000001']['trade_no']}\t",
        "BL_PAY_000001\t",
        "交易\t",
        "Iphone6 16G",
        "2026-11-27 10:00:00",
        "2026-11-27 10:00:00",
    ]
    assert first[6:11] == ["NJ_001\t", "NJ_001\t", "\t", "\t", "**买家(131****6880)\t"]
    assert first[11:] == [
        "100.00", "100.00", "0.00", "0.00", "0.00", "0.00", "0.00", "", "0.00\t", "0.00", "\t", "-0.60", "0.00", "两袋",
    ]  # fmt: skip
    assert (second[1], second[11], second[22]) == ("BL_PAY_000002\t", "19.99", "-0.12")  # 0.11994 → 0.12
    assert (third[1], third[11], third[22]) == ("BL_PAY_000003\t", "0.01", "0.00")  # 0.00006 → 0.00
    assert refund_one[:3] == [f"{trades['BL_PAY_000001']['trade_no']}\t", "BL_PAY_000001\t", "退款\t"]
    assert (refund_one[4], refund_one[5]) == ("2026-11-27 10:00:00", "2026-11-27 10:03:00")
    assert (refund_one[11], refund_one[12], refund_one[21], refund_one[22]) == (
        "-30.00",
        "-30.00",
        "BL_REFUND_01\t",
        "0.18",
    )
    assert (refund_two[11], refund_two[21], refund_two[22]) == (
        "-19.99",
        "BL_REFUND_02\t",
        "0.12",
    )  # all back
    # And the summary file adds it up per store and in total
    summary = bill[summary_name].split("\r\n")[:-1]
    assert summary[0] == "#支付宝业务汇总查询" and summary[1] == f"#账号：[{PID}0156]"
    assert (
        summary[3]
        == "#-----------------------------------------业务汇总列表----------------------------------------"
    )
    assert summary[4].split(",")[:4] == ["门店编号", "门店名称", "交易订单总笔数", "退款订单总笔数"]
    assert summary[5] == "\t,\t,2,1,0.01,0.01,0.00,0.00,0.00,0.00,0.00,0.01"
    assert summary[6] == "NJ_001\t,NJ_001\t,1,1,70.00,70.00,0.00,0.00,0.00,-0.42,0.00,69.58"
    assert summary[7] == "合计,,3,2,70.01,70.01,0.00,0.00,0.00,-0.42,0.00,69.59"
    assert (
        summary[8]
        == "#-----------------------------------------业务汇总列表结束------------------------------------"
    )
    assert summary[9].startswith("#导出时间：[")


def test_payments_and_refunds_land_on_their_own_days() -> None:
    clock = FakeClock(DAY_ONE)
    with alipay_env(clock=clock) as env:
        env.paid_trade("BL_DAYS_00001", "10.00")
        clock.advance(86400)
        env.refund("BL_DAYS_00001", "4.00", "BL_DAYS_RF_1")
        day_one = files(bill_zip(env, "2026-11-27"))[f"{PID}0156_20261127_业务明细.csv"]
        day_two = files(bill_zip(env, "2026-11-28"))[f"{PID}0156_20261128_业务明细.csv"]
        month = files(bill_zip(env, "2026-11"))[f"{PID}0156_202611_业务明细.csv"]
    assert "#交易合计：1笔" in day_one and "#退款合计：0笔，商家实收退款共0.00元" in day_one
    assert (
        "#交易合计：0笔，商家实收共0.00元" in day_two and "#退款合计：1笔，商家实收退款共-4.00元" in day_two
    )
    assert (
        "终止日期：[2026年12月01日 00:00:00]" in month
        and "#交易合计：1笔" in month
        and "#退款合计：1笔" in month
    )


def test_days_without_bills() -> None:
    clock = FakeClock(DAY_ONE)
    with alipay_env(clock=clock) as env:
        env.precreate("BL_UNPAID_001", "10.00")  # never paid: not in any bill
        for bill_date in ("2026-11-27", "2026-11-26", "2026-11-28"):
            answer = env.client.call(BILL, {"bill_type": "trade", "bill_date": bill_date})
            assert (answer["code"], answer["sub_code"]) == ("40004", "isp.bill_not_exist")
            assert answer.verifies(env.key)
        env.paid_trade("BL_PAID_00001", "1.00")
        signcustomer = env.client.call(BILL, {"bill_type": "signcustomer", "bill_date": "2026-11-27"})
        assert signcustomer["sub_code"] == "isp.bill_not_exist"
        for bad in (
            {"bill_type": "trade", "bill_date": "20261127"},
            {"bill_type": "all", "bill_date": "2026-11-27"},
        ):
            assert env.client.call(BILL, bad)["sub_code"] == "isv.invalid-parameter"


def test_the_download_url_lives_thirty_seconds() -> None:
    clock = FakeClock(DAY_ONE)
    with alipay_env(clock=clock) as env:
        env.paid_trade("BL_EXPIRY_001", "1.00")
        answer = env.client.call(BILL, {"bill_type": "trade", "bill_date": "2026-11-27"})
        url = answer["bill_download_url"]
        assert url.startswith(f"{env.sb.base_url}/sandbox/bill/download?")
        assert "fileType=csv.zip" in url and f"userId={PID}0156" in url
        clock.advance(29)
        assert requests.get(url, timeout=5).content[:2] == b"PK"
        clock.advance(2)
        late = requests.get(url, timeout=5)
        assert (late.status_code, late.text) == (200, "下载超时")
        assert requests.get(url.replace("token=", "token=x"), timeout=5).status_code == 404
