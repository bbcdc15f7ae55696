"""The WeChat Pay trade bill (交易账单) as normalised statement rows: pure parsing, no I/O.

Format (PROTOCOLS.md §1.6): a detail header row, detail rows, a summary header row and one
summary row. Header rows are plain; every value starts with a backtick. Amounts are yuan with
2 decimals, fees yuan with 5 decimals, times Asia/Shanghai wall clock. Lines end in ``\\r\\n``
or ``\\n``; a UTF-8 BOM may lead. Columns are found by header name, so ALL, SUCCESS and REFUND
bills all parse.

Fees are rounded to whole fen with ROUND_HALF_UP (half away from zero, so a refund's negative
fee rounds symmetrically); the check against the summary is done on the exact 5-decimal values.
A bill whose detail rows do not add up to its summary row (a truncated or damaged download)
raises `StatementInvalid` rather than passing with rows missing."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from paymux.channels.base import StatementRow, StatementSummary
from paymux.channels.statement import ParsedBill, StatementInvalid, bill_time, decimal, to_fen
from paymux.channels.wechat import partner
from paymux.channels.wechat.transform import CARRIED_FIELDS

SUMMARY_FIRST_COLUMN = "总交易单数"
_REQUIRED = ("交易时间", "交易状态", "商户订单号", "微信订单号", "手续费")
# 退款状态 as written in bills → RefundState value, by the same rules as the API's statuses
# (transform.REFUND_STATES): closed is a definitive failure; ABNORMAL (and CHANGE, its v2-era
# name) is not a failure. Unknown values are treated as not final.
_REFUND_STATUS = {
    "SUCCESS": "SUCCESS",
    "PROCESSING": "PROCESSING",
    "REFUNDCLOSE": "FAILED",
    "CLOSED": "FAILED",
    "ABNORMAL": "ABNORMAL",
    "CHANGE": "ABNORMAL",
}
# summary column → detail column it totals
_TOTALS = {
    "应结订单总金额": "应结订单金额",
    "退款总金额": "退款金额",
    "手续费总金额": "手续费",
    "订单总金额": "订单金额",
    "申请退款总金额": "申请退款金额",
}


def _lines(raw: bytes) -> Iterator[str]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StatementInvalid("the bill is not UTF-8") from exc
    for line in text.split("\n"):
        stripped = line.rstrip("\r")
        if stripped.strip():
            yield stripped


def _values(line: str, header: list[str]) -> dict[str, str]:
    """A backticked row → {column: value}; values are separated by ",`" (so a comma inside
    a product name does not split a value)."""
    if not line.startswith("`"):
        raise StatementInvalid(f"bill row does not start with a backtick: {line[:60]!r}")
    values = line[1:].split(",`")
    if len(values) != len(header):
        raise StatementInvalid(f"bill row has {len(values)} values for {len(header)} columns")
    return dict(zip(header, (v.strip() for v in values), strict=True))


def _header(line: str) -> list[str]:
    header = [column.strip().lstrip("\ufeff") for column in line.split(",")]
    missing = [column for column in _REQUIRED if column not in header]
    if missing:
        raise StatementInvalid(f"not a WeChat Pay trade bill (no {', '.join(missing)} column)")
    return header


def _row(values: dict[str, str], provider: bool) -> StatementRow | None:
    state = values["交易状态"]
    if state not in ("SUCCESS", "REFUND"):
        return None  # e.g. REVOKED (付款码 only): no money moved; counted, not reconciled
    refund = state == "REFUND"
    # A payment's 订单金额 is what the payer was asked for (our amount); 应结订单金额 excludes coupons.
    order_amount = values.get("订单金额") or values.get("应结订单金额", "")
    amount = values.get("退款金额", "") if refund else order_amount
    return StatementRow(
        out_trade_no=values["商户订单号"],
        kind="refund" if refund else "payment",
        amount=to_fen(decimal(amount, "退款金额" if refund else "订单金额")),
        fee=to_fen(decimal(values["手续费"], "手续费")),
        channel_trade_no=values["微信订单号"],
        status=_REFUND_STATUS.get(values.get("退款状态", ""), "PROCESSING") if refund else "SUCCESS",
        occurred_at=bill_time(values["交易时间"]),
        out_refund_no=values.get("商户退款单号", "") if refund else "",
        channel_refund_no=values.get("微信退款单号", "") if refund else "",
        mchid=values.get("商户号", ""),
        appid=values.get("公众账号ID", ""),
        currency=values.get("货币种类", ""),
        # a service provider's bill: 商户号/公众账号ID are the provider's, 特约商户号 the sub-merchant
        carries=(partner.CARRIED_FIELDS if provider else CARRIED_FIELDS)["statement"],
        sub_mchid=_sub_mchid(values) if provider else "",
    )


def _sub_mchid(values: dict[str, str]) -> str:
    """特约商户号 of a partner bill row ("0" or absent: no sub-merchant, so none is claimed)."""
    value = values.get("特约商户号", "")
    return "" if value in ("", "0") else value


def _check(sums: dict[str, Decimal], count: int, summary: dict[str, str]) -> StatementSummary:
    declared = int(decimal(summary.get(SUMMARY_FIRST_COLUMN, ""), SUMMARY_FIRST_COLUMN))
    if declared != count:
        raise StatementInvalid(f"the bill has {count} detail rows but its summary says {declared}")
    for total_column, detail_column in _TOTALS.items():
        if total_column in summary and detail_column in sums:
            expected = decimal(summary[total_column], total_column)
            if sums[detail_column] != expected:
                raise StatementInvalid(
                    f"bill {detail_column} adds up to {sums[detail_column]}, summary says {expected}"
                )
    order_total = summary.get("订单总金额") or summary.get("应结订单总金额", "")
    return StatementSummary(
        records=count,
        payment_total=to_fen(decimal(order_total, "订单总金额")),
        refund_total=to_fen(decimal(summary.get("退款总金额", ""), "退款总金额")),
        fee_total=to_fen(decimal(summary.get("手续费总金额", ""), "手续费总金额")),
    )


def parse_trade_bill(raw: bytes, *, provider: bool = False) -> ParsedBill:
    """The rows of a trade bill, checked against its summary row; `provider`: a service
    provider's bill, whose rows name their sub-merchant (特约商户号 → StatementRow.sub_mchid)."""
    lines = _lines(raw)
    first = next(lines, None)
    if first is None:
        raise StatementInvalid("the bill is empty")
    header = _header(first)
    rows: list[StatementRow] = []
    sums = {column: Decimal(0) for column in _TOTALS.values() if column in header}
    count = 0
    for line in lines:
        if line.split(",", 1)[0].strip() == SUMMARY_FIRST_COLUMN:
            summary_header = [column.strip() for column in line.split(",")]
            summary_line = next(lines, None)
            if summary_line is None:
                raise StatementInvalid("the bill ends after its summary header (truncated)")
            if next(lines, None) is not None:
                raise StatementInvalid("the bill has lines after its summary row")
            summary = _check(sums, count, _values(summary_line, summary_header))
            return ParsedBill(tuple(rows), summary)
        values = _values(line, header)
        count += 1
        for column in sums:
            sums[column] += decimal(values[column], column)
        row = _row(values, provider)
        if row is not None:
            rows.append(row)
    raise StatementInvalid(f"the bill has no summary after {count} detail rows (truncated)")
