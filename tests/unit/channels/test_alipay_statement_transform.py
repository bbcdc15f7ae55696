"""The Alipay bill parser and field mapping, on files and answers written here by hand in the
layout of PROTOCOLS.md §2.6 / §2.4 (the sandbox-made files are parsed in the integration
tests)."""

from __future__ import annotations

import io
import zipfile

import pytest

from paymux.channels.alipay import statement, transform
from paymux.channels.base import CreateRequest, RefundState, TradeState
from paymux.channels.statement import StatementInvalid
from paymux.errors import BadRequest

HEADER = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,"
    "对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,"
    "券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
)


def row(trade_no: str, out_trade_no: str, kind: str, amount: str, fee: str, request_no: str = "") -> str:
    values = [
        f"{trade_no}\t", f"{out_trade_no}\t", f"{kind}\t", "咖啡豆", "2026-11-27 10:55:16",
        "2026-11-27 10:55:23", "", "", "", "", "buyer@example.com", amount, amount, "0.00", "0.00",
        "0.00", "0.00", "0.00", "", "0.00", "0.00", f"{request_no}\t" if request_no else "", fee, "0.00", "",
    ]  # fmt: skip
    return ",".join(values)


def bill(rows: list[str], trades: str, refunds: str, detail_only: bool = False) -> bytes:
    lines = [
        "#支付宝业务明细查询",
        "#账号：[20880000000000010156]",
        "#起始日期：[2026年11月27日 00:00:00]   终止日期：[2026年11月28日 00:00:00]",
        "#-----------------------------------------业务明细列表----------------------------------------",
        HEADER,
        *rows,
        "#-----------------------------------------业务明细列表结束------------------------------------",
        trades,
        refunds,
        "#导出时间：[2026年11月28日 05:46:49]",
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("20880000000000010156_20261127_业务明细.csv", "\r\n".join(lines).encode("gbk"))
        if not detail_only:
            archive.writestr(
                "20880000000000010156_20261127_业务明细(汇总).csv", "#支付宝业务汇总查询\r\n".encode("gbk")
            )
    return buffer.getvalue()


GOOD_ROWS = [
    row("2026112722001", "PAY0101", "交易", "19.99", "-0.12"),
    row("2026112722002", "PAY0201", "交易", "100.00", "-0.60"),
    row("2026112722002", "PAY0201", "退款", "-30.00", "0.18", request_no="RF01"),
]


def test_a_bill_parses_into_normalised_rows_and_checks_its_footer():
    raw = bill(
        GOOD_ROWS,
        "#交易合计：2笔，商家实收共119.99元，商家优惠共0.00元",
        "#退款合计：1笔，商家实收退款共-30.00元，商家优惠退款共0.00元",
    )
    parsed = statement.parse_trade_bill(raw)
    first, _, refund = parsed.rows
    assert (first.out_trade_no, first.kind, first.amount, first.fee, first.channel_trade_no) == (
        "PAY0101", "payment", 1999, 12, "2026112722001"
    )  # fmt: skip
    assert first.occurred_at == "2026-11-27T02:55:23Z"  # GMT+8 → UTC
    assert first.mchid == "2088000000000001"  # the account minus its "0156" suffix
    assert (refund.kind, refund.amount, refund.fee, refund.out_refund_no, refund.status) == (
        "refund", 3000, -18, "RF01", "SUCCESS"
    )  # fmt: skip
    assert (parsed.summary.records, parsed.summary.payment_total, parsed.summary.refund_total) == (
        3,
        11999,
        3000,
    )
    assert parsed.summary.fee_total == 12 + 60 - 18


@pytest.mark.parametrize(
    ("rows", "trades", "refunds", "message"),
    [
        (
            GOOD_ROWS[:2],
            "#交易合计：3笔，商家实收共119.99元",
            "#退款合计：0笔，商家实收退款共0.00元",
            "footer says 3",
        ),
        (
            GOOD_ROWS[:2],
            "#交易合计：2笔，商家实收共119.98元",
            "#退款合计：0笔，商家实收退款共0.00元",
            "totalling",
        ),
        (GOOD_ROWS[:2], "#交易合计：2笔，商家实收共119.99元", "", "no 退款合计"),
        (GOOD_ROWS[:2], "", "", "no 交易合计"),
    ],
)
def test_a_bill_that_does_not_add_up_or_is_truncated_is_refused(rows, trades, refunds, message):
    with pytest.raises(StatementInvalid, match=message):
        statement.parse_trade_bill(bill(rows, trades, refunds))


def test_a_file_that_is_not_an_alipay_bill_zip_is_refused():
    with pytest.raises(StatementInvalid, match="not a zip"):
        statement.parse_trade_bill("<html>下载超时</html>".encode())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x_业务明细(汇总).csv", "#支付宝业务汇总查询\r\n".encode("gbk"))
    with pytest.raises(StatementInvalid, match="no 业务明细 detail file"):
        statement.parse_trade_bill(buffer.getvalue())


def request(product: str, **overrides: object) -> CreateRequest:
    values: dict[str, object] = {
        "out_trade_no": "01JDEXAMPLE0000000000000001",
        "product": product,
        "amount": 8888,
        "currency": "CNY",
        "subject": "a/b=c&d",
        "notify_url": "https://pay.example.com/v1/callbacks/alipay/ali-1",
        "expires_at": 1764300000.0,
        **overrides,
    }
    return CreateRequest(**values)  # type: ignore[arg-type]


def test_biz_content_speaks_yuan_gmt8_and_the_product_codes():
    content = transform.biz_content(request("alipay.wap", return_url="https://shop.example.com/back"))
    assert content["total_amount"] == "88.88"
    assert content["time_expire"] == "2025-11-28 11:20:00"  # 1764300000 is 03:20:00 UTC
    assert content["product_code"] == "QUICK_WAP_WAY"  # not python-alipay-sdk's QUICK_WAP_PAY
    assert content["quit_url"] == "https://shop.example.com/back"
    assert content["subject"] == "a-b-c+d"  # Alipay refuses / = & in subject
    assert "product_code" not in transform.biz_content(request("alipay.qr"))
    assert transform.biz_content(request("alipay.page"))["product_code"] == "FAST_INSTANT_TRADE_PAY"
    assert transform.biz_content(request("alipay.app"))["product_code"] == "QUICK_MSECURITY_PAY"
    with pytest.raises(BadRequest, match="return_url"):
        transform.biz_content(request("alipay.wap"))


def test_trade_states_map_exhaustively_and_a_refunded_closed_trade_was_paid():
    def state(**fields: str) -> TradeState:
        return transform.trade_result({"out_trade_no": "X", **fields}, message="query").state

    assert state(trade_status="WAIT_BUYER_PAY") == TradeState.OPEN
    assert state(trade_status="TRADE_SUCCESS", send_pay_date="2026-11-27 10:55:23") == TradeState.PAID
    assert state(trade_status="TRADE_FINISHED", send_pay_date="2026-11-27 10:55:23") == TradeState.PAID
    assert state(trade_status="TRADE_CLOSED") == TradeState.CLOSED
    assert state(trade_status="TRADE_CLOSED", send_pay_date="2026-11-27 10:55:23") == TradeState.PAID
    assert state(trade_status="SOMETHING_NEW") == TradeState.OPEN  # unknown is never final
    paid = transform.trade_result(
        {
            "out_trade_no": "X",
            "trade_status": "TRADE_SUCCESS",
            "total_amount": "19.99",
            "gmt_payment": "2026-11-27 10:55:23",
        },
        message="callback",
    )
    assert (paid.amount, paid.paid_at) == (1999, 1795748123.0)  # 2026-11-27 02:55:23 UTC


def test_refund_query_without_refund_fields_means_alipay_has_no_such_refund():
    missing = transform.refund_query_result("RF01", {"code": "10000", "msg": "Success", "out_trade_no": "X"})
    assert missing.state == RefundState.NOT_FOUND
    done = transform.refund_query_result(
        "RF01", {"out_request_no": "RF01", "refund_amount": "30.00", "refund_status": "REFUND_SUCCESS"}
    )
    assert (done.state, done.amount) == (RefundState.SUCCESS, 3000)


def test_a_notify_is_about_a_refund_only_when_it_names_the_refund_request():
    assert transform.is_refund_notify({"out_biz_no": "RF01", "gmt_refund": "2026-11-27 11:00:00.123"})
    assert not transform.is_refund_notify(
        {"trade_status": "TRADE_SUCCESS", "gmt_payment": "2026-11-27 10:55:23"}
    )


def test_refund_times_carry_milliseconds():
    result = transform.refund_notify_result({"out_biz_no": "RF01", "gmt_refund": "2026-11-27 10:55:23.665"})
    assert result.succeeded_at == 1795748123.665


def test_timeout_express_never_outlives_the_payment():
    assert [transform.timeout_express(s) for s in (30, 60, 3599, 7200.5)] == ["1m", "1m", "59m", "120m"]
