"""Statements written by hand in each channel's real file format, served to reconciliation in
place of the channel's download (the sandboxes list only what really happened there; a
reconciliation test needs the channel to say something else: a refund closed, a trade revoked,
a row a day late). The rows go through the channel's own parser, so they are read exactly as a
downloaded file is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest

from paymux.channels.base import StatementFile
from paymux.channels.wechat.statement import parse_trade_bill
from sandbox.wechat.bill import DETAIL_HEADERS, SUMMARY_HEADERS, fee_fen, fee_yuan, yuan
from tests.integration.conftest import World
from tests.integration.test_reconcile import SHANGHAI

FEE_BP = 60  # the test account's fee_rate 0.006


@dataclass(frozen=True)
class BillRow:
    """One detail row of a WeChat Pay ALL bill: a trade (SUCCESS or REVOKED) or a refund
    (退款状态 SUCCESS, PROCESSING, REFUNDCLOSE, ABNORMAL)."""

    out_trade_no: str
    amount: int
    at: float
    state: str = "SUCCESS"
    out_refund_no: str = ""
    refund_status: str = ""
    trade_no: str = "4200000000000000000000000001"


def _values(world: World, row: BillRow) -> dict[str, str]:
    refund = bool(row.out_refund_no)
    fee = (
        -fee_fen(row.amount, FEE_BP)
        if refund
        else (0 if row.state != "SUCCESS" else fee_fen(row.amount, FEE_BP))
    )
    trade = "0.00" if refund else yuan(row.amount)
    return {
        "交易时间": f"{datetime.fromtimestamp(row.at, SHANGHAI):%Y-%m-%d %H:%M:%S}",
        "公众账号ID": world.appid,
        "商户号": world.mchid,
        "特约商户号": "0",
        "设备号": "",
        "微信订单号": row.trade_no,
        "商户订单号": row.out_trade_no,
        "用户标识": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        "交易类型": "NATIVE",
        "交易状态": "REFUND" if refund else row.state,
        "付款银行": "OTHERS",
        "货币种类": "CNY",
        "应结订单金额": trade,
        "代金券金额": "0.00",
        "微信退款单号": "50300000000000000000000000001" if refund else "0",
        "商户退款单号": row.out_refund_no or "0",
        "退款金额": yuan(row.amount) if refund else "0.00",
        "充值券退款金额": "0.00",
        "退款类型": "ORIGINAL" if refund else "",
        "退款状态": row.refund_status,
        "商品名称": "咖啡豆 1kg",
        "商户数据包": "",
        "手续费": fee_yuan(fee),
        "费率": "0.60%",
        "订单金额": trade,
        "申请退款金额": yuan(row.amount) if refund else "0.00",
        "费率备注": "",
    }


def wechat_bill(world: World, rows: list[BillRow]) -> bytes:
    """An ALL bill of `rows`, with its summary row adding them up."""
    columns = DETAIL_HEADERS["ALL"].split(",")
    details = [_values(world, r) for r in rows]

    def total(column: str) -> int:
        return sum(round(float(v[column]) * (100_000 if column == "手续费" else 100)) for v in details)

    summary = {
        "总交易单数": str(len(details)),
        "应结订单总金额": yuan(total("应结订单金额")),
        "退款总金额": yuan(total("退款金额")),
        "充值券退款总金额": "0.00",
        "手续费总金额": f"{total('手续费') / 100_000:.5f}",
        "订单总金额": yuan(total("订单金额")),
        "申请退款总金额": yuan(total("申请退款金额")),
    }
    lines = [DETAIL_HEADERS["ALL"]]
    lines += [",".join(f"`{v[c]}" for c in columns) for v in details]
    lines += [SUMMARY_HEADERS["ALL"], ",".join(f"`{summary[c]}" for c in SUMMARY_HEADERS["ALL"].split(","))]
    return ("\r\n".join(lines) + "\r\n").encode()


def serve_wechat_bills(monkeypatch: pytest.MonkeyPatch, bills: dict[date, bytes]) -> None:
    """The WeChat Pay channel answers a day's statement with `bills[day]` (no statement: None)."""

    def fetch(self: Any, bill_date: date) -> StatementFile | None:
        raw = bills.get(bill_date)
        if raw is None:
            return None
        parsed = parse_trade_bill(raw)
        return StatementFile(raw, parsed.rows, parsed.summary)

    monkeypatch.setattr("paymux.channels.wechat.client.WeChatPayChannel.fetch_statement", fetch)
