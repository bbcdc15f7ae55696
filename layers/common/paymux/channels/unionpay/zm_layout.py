"""One line of the UnionPay ZM detail file (全渠道商户一般交易明细), sliced by GBK byte widths.

Widths of the first 41 fields: RESEARCH.md §1.5 (the official demo's parseZMFile, checked on
the official sample). Each field is followed by one space; what follows field 41 (98 bytes in
the sample's layout, 99 in the later one) is not read, so a line is 607 or 608 bytes without
its CRLF. Text is decoded after slicing, so a Chinese (two-byte) character shifts nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import itemgetter

from paymux.channels.statement import StatementInvalid

log = logging.getLogger("paymux")
WIDTHS: tuple[int, ...] = (3, 11, 11, 6, 10, 19, 12, 4, 2, 21, 2, 32, 2, 6, 10, 13, 13, 4, 15, 2, 2)
WIDTHS += (6, 2, 4, 32, 1, 21, 15, 1, 15, 32, 13, 13, 8, 32, 13, 13, 12, 2, 1, 32)
LINE_LENGTHS = frozenset({607, 608})


def _spans() -> tuple[tuple[int, int], ...]:
    spans, start = [], 0
    for width in WIDTHS:
        spans.append((start, start + width))
        start += width + 1
    return tuple(spans)


_SPANS = _spans()
_SEPARATORS = itemgetter(*(end for _, end in _SPANS))  # the byte after each field: a space
_SPACES = (0x20,) * len(_SPANS)
# field number (1-based) of what is read
CODE, TXN_TIME, TXN_AMT, QUERY_ID, ORDER_ID, FEE, SETTLEMENT = 1, 5, 7, 10, 12, 16, 17
TXN_TYPE, ORIG_QUERY_ID, MER_ID, ORIG_ORDER_ID = 20, 27, 28, 41
_READ: tuple[int, ...] = (CODE, TXN_TIME, TXN_AMT, QUERY_ID, ORDER_ID, FEE, SETTLEMENT, TXN_TYPE)
_READ += (ORIG_QUERY_ID, MER_ID, ORIG_ORDER_ID)
_SLICES = itemgetter(*(slice(*_SPANS[field - 1]) for field in _READ))
_EIGHT_HOURS = timedelta(hours=8)
# field 20 txnType → statement row kind: consume; refund (退货) and consume undo (消费撤销)
KINDS = {"01": "payment", "04": "refund", "31": "refund"}


@dataclass(frozen=True, slots=True)
class ZmLine:
    """What the reconciliation reads of one line. Money is fen. `fee` is the merchant's fee
    (+ debited, − given back; 0 when blank); `amount_credit` the amount as it moves the
    merchant's money (+ a payment, − a refund or undo); `settlement` field 17 signed the same
    way (credit +), or amount_credit − fee when blank."""

    number: int
    code: str
    txn_type: str
    order_id: str
    orig_order_id: str
    query_id: str
    orig_query_id: str
    mer_id: str
    amount: int
    fee: int
    amount_credit: int
    settlement: int
    occurred_at: str


def _credit(text: str, number: int, field: int) -> int | None:
    """A D/C + 12 digits amount as a credit of the merchant (C +, D −); None when blank."""
    if not text:
        return None
    sign, digits = text[:1], text[1:]
    if sign not in ("C", "D") or len(digits) != 12 or not (digits.isascii() and digits.isdigit()):
        raise StatementInvalid(f"UnionPay ZM line {number}: field {field} is not D/C + 12 digits: {text!r}")
    return int(digits) if sign == "C" else -int(digits)


def occurred_at(mmddhhmmss: str, settle_date: date, number: int = 0) -> str:
    """txnTime MMDDhhmmss (Beijing, no year) → ISO UTC: the year that puts it nearest the
    settle date, so a 12-31 trade settled on 01-02 is of the year before."""
    if len(mmddhhmmss) != 10 or not (mmddhhmmss.isascii() and mmddhhmmss.isdigit()):
        raise StatementInvalid(f"UnionPay ZM line {number}: txnTime is not MMDDhhmmss: {mmddhhmmss!r}")
    month, day, hour, minute, second = (int(mmddhhmmss[i : i + 2]) for i in range(0, 10, 2))
    candidates = []
    for year in (settle_date.year - 1, settle_date.year, settle_date.year + 1):
        try:
            moment = datetime(year, month, day, hour, minute, second)  # Beijing wall clock
        except ValueError:
            continue  # 0229 in a year without it, or not a time at all
        candidates.append((abs((moment.date() - settle_date).days), moment))
    if not candidates:
        raise StatementInvalid(f"UnionPay ZM line {number}: txnTime is not a time: {mmddhhmmss!r}")
    return (min(candidates)[1] - _EIGHT_HOURS).isoformat() + "Z"  # Beijing is UTC+8, no DST


def _fields(number: int, raw: bytes) -> dict[int, str]:
    if len(raw) not in LINE_LENGTHS:
        log.error("UnionPay ZM line %d is %d bytes, not 607 or 608: the layout changed", number, len(raw))
        raise StatementInvalid(f"UnionPay ZM line {number} is {len(raw)} bytes, not 607 or 608")
    if _SEPARATORS(raw) != _SPACES:
        log.error("UnionPay ZM line %d: a field separator is not a space", number)
        raise StatementInvalid(f"UnionPay ZM line {number}: a field separator is not a space")
    try:
        if raw.isascii():  # most lines: one decode, and characters are bytes
            values = [value.strip() for value in _SLICES(raw.decode("ascii"))]
        else:  # GBK text somewhere: each field decoded after slicing its bytes
            values = [value.decode("gbk").strip() for value in _SLICES(raw)]
    except UnicodeDecodeError as exc:
        raise StatementInvalid(f"UnionPay ZM line {number}: a field is not GBK text") from exc
    return dict(zip(_READ, values, strict=True))


def _amount_credit(values: dict[int, str], amount: int, fee: int, settlement: int | None, number: int) -> int:
    """The amount signed by its kind; for another txnType, by its fee and settlement."""
    kind = KINDS.get(values[TXN_TYPE])
    if kind is not None:
        return amount if kind == "payment" else -amount
    if settlement is None:
        raise StatementInvalid(
            f"UnionPay ZM line {number}: txnType {values[TXN_TYPE]!r} has no settlement amount "
            "to tell which way its money moved"
        )
    credit = settlement + fee
    if abs(credit) != amount:
        raise StatementInvalid(f"UnionPay ZM line {number}: settlement {settlement} ≠ ±{amount} − fee {fee}")
    return credit


def parse_line(number: int, raw: bytes, settle_date: date) -> ZmLine:
    """One ZM line (without CRLF); raises StatementInvalid for anything it cannot trust."""
    values = _fields(number, raw)
    if not (values[TXN_AMT].isascii() and values[TXN_AMT].isdigit()):
        raise StatementInvalid(f"UnionPay ZM line {number}: txnAmt is not fen: {values[TXN_AMT]!r}")
    amount = int(values[TXN_AMT])
    fee_credit = _credit(values[FEE], number, FEE)
    fee = -fee_credit if fee_credit is not None else 0
    settlement = _credit(values[SETTLEMENT], number, SETTLEMENT)
    credit = _amount_credit(values, amount, fee, settlement, number)
    if settlement is not None and fee_credit is not None and settlement != credit - fee:
        raise StatementInvalid(
            f"UnionPay ZM line {number}: settlement {settlement} ≠ amount {credit} − fee {fee} (fen)"
        )
    return ZmLine(
        number=number,
        code=values[CODE],
        txn_type=values[TXN_TYPE],
        order_id=values[ORDER_ID],
        orig_order_id=values[ORIG_ORDER_ID],
        query_id=values[QUERY_ID],
        orig_query_id=values[ORIG_QUERY_ID],
        mer_id=values[MER_ID],
        amount=amount,
        fee=fee,
        amount_credit=credit,
        settlement=settlement if settlement is not None else credit - fee,
        occurred_at=occurred_at(values[TXN_TIME], settle_date, number),
    )
