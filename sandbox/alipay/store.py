"""Trades and refunds as Alipay holds them, behind one lock.

A *trade* here is one ``out_trade_no`` of one app. A precreated QR order is stored from the
``alipay.trade.precreate`` call on, but it *exists* for the trade APIs only once a payer has
scanned it (``status`` is None until then). Page/wap cashiers and app orders create the trade
(WAIT_BUYER_PAY) when the payer reaches the cashier.

Expiry is evaluated lazily against the clock on every access: an unpaid trade past its
``expires_at`` becomes TRADE_CLOSED. State changes that Alipay may notify about are reported
to ``listener`` (called under the lock; it must only enqueue).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from sandbox.alipay.crypto import random_digits, random_lower_alnum
from sandbox.alipay.errors import SandboxStateError, business, trade_not_exist
from sandbox.alipay.times import cst

WAIT_BUYER_PAY = "WAIT_BUYER_PAY"
TRADE_SUCCESS = "TRADE_SUCCESS"
TRADE_FINISHED = "TRADE_FINISHED"
TRADE_CLOSED = "TRADE_CLOSED"
PAID_STATES = frozenset({TRADE_SUCCESS, TRADE_FINISHED})

Event = Literal["paid", "closed", "refunded", "finished"]


@dataclass
class Trade:
    app_id: str
    out_trade_no: str
    method: str  # the API that created it: alipay.trade.precreate / page.pay / wap.pay / app.pay
    product_code: str
    subject: str
    body: str | None
    total: int  # fen
    charset: str  # of the creating request; notifications use it too
    notify_url: str | None
    return_url: str | None
    quit_url: str | None
    passback_params: str | None
    store_id: str | None
    operator_id: str | None
    terminal_id: str | None
    fingerprint: str  # method + canonical biz_content: a repeat must match it
    requested_at: float  # the precreate call, or the moment the payer reached the cashier
    expires_at: float
    qr_code: str | None  # precreate: the code at the end of qr_code
    cashier_token: str
    status: str | None = None  # None: an unscanned precreate, not yet a trade
    trade_no: str | None = None
    gmt_create: float | None = None
    gmt_payment: float | None = None
    gmt_close: float | None = None
    close_reason: str | None = None  # timeout / merchant / refund
    buyer_id: str | None = None
    refunded: int = 0  # fen
    fee: int = 0  # service fee charged on payment, fen
    fee_returned: int = 0  # service fee given back by refunds so far, fen
    caller_app_id: str | None = None  # the third-party application that placed it, if any

    @property
    def exists(self) -> bool:
        return self.status is not None


@dataclass
class Refund:
    app_id: str
    out_trade_no: str
    trade_no: str
    out_request_no: str
    amount: int  # fen
    reason: str | None
    refunded_at: float
    refund_fee: int  # the trade's cumulative refunded amount after this refund, fen
    fee_returned: int  # service fee given back with this refund, fen
    trade_closed: bool  # this refund refunded the rest of the trade


def new_trade_no(now: float) -> str:
    """28 digits, e.g. ``2019091622001458860515315453``."""
    return f"{cst(now):%Y%m%d}22001{random_digits(15)}"


def new_buyer_id() -> str:
    return f"2088{random_digits(12)}"


def buyer_logon_id(buyer_id: str) -> str:
    """A masked phone number derived from the buyer id, e.g. ``135****4321``."""
    phone = f"13{buyer_id[-9:]}"
    return f"{phone[:3]}****{phone[-4:]}"


def new_qr_code() -> str:
    """e.g. ``bax03431ljhokirwl38f00a7``."""
    return f"bax{random_lower_alnum(21)}"


def new_cashier_token() -> str:
    return secrets.token_urlsafe(16)


def service_fee(amount_fen: int, rate_bp: int) -> int:
    """The fee on a payment: ``amount × rate``, rounded half up to the fen."""
    return int((Decimal(amount_fen) * rate_bp / 10000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _proportional(fee: int, part: int, total: int) -> int:
    return int((Decimal(fee) * part / total).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class SandboxStore:
    def __init__(self, listener: Callable[[Event, Trade, Refund | None], None]) -> None:
        self._lock = threading.RLock()
        self._trades: dict[tuple[str, str], Trade] = {}
        self._refunds: dict[tuple[str, str, str], Refund] = {}
        self._listener = listener

    # orders -------------------------------------------------------------------------------

    def place(self, trade: Trade, now: float) -> Trade:
        """Store a new order, or answer a repeat of an existing ``out_trade_no`` as Alipay does:
        paid → ACQ.TRADE_HAS_SUCCESS, closed → ACQ.TRADE_HAS_CLOSE, other parameters →
        ACQ.CONTEXT_INCONSISTENT, the same parameters → the stored order."""
        with self._lock:
            key = (trade.app_id, trade.out_trade_no)
            existing = self._trades.get(key)
            if existing is not None:
                self._refresh(existing, now)
                if existing.status in PAID_STATES:
                    raise business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
                if existing.status == TRADE_CLOSED:
                    raise business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
                if existing.fingerprint != trade.fingerprint:
                    raise business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
                if existing.status is None and now > existing.expires_at:
                    # the QR code expired unscanned: a repeat of the same precreate renews it
                    existing.requested_at = now
                    existing.expires_at = now + (trade.expires_at - trade.requested_at)
                return replace(existing)
            if trade.status == WAIT_BUYER_PAY:
                trade.trade_no = trade.trade_no or new_trade_no(now)
                trade.gmt_create = trade.gmt_create or now
            self._trades[key] = trade
            return replace(trade)

    def trade(self, app_id: str, out_trade_no: str, now: float) -> Trade | None:
        """The order (existing or not yet) for sandbox-side use."""
        with self._lock:
            found = self._trades.get((app_id, out_trade_no))
            if found is None:
                return None
            self._refresh(found, now)
            return replace(found)

    def existing(self, app_id: str, out_trade_no: str, trade_no: str, now: float) -> Trade:
        """The trade a query/close/refund names (``trade_no`` wins), or ACQ.TRADE_NOT_EXIST."""
        with self._lock:
            return replace(self._existing(app_id, out_trade_no, trade_no, now))

    def _existing(self, app_id: str, out_trade_no: str, trade_no: str, now: float) -> Trade:
        found: Trade | None = None
        if trade_no:
            found = next(
                (t for t in self._trades.values() if t.app_id == app_id and t.trade_no == trade_no),
                None,
            )
        elif out_trade_no:
            found = self._trades.get((app_id, out_trade_no))
        if found is None or not found.exists:
            raise trade_not_exist()
        self._refresh(found, now)
        return found

    def by_qr_code(self, code: str, now: float) -> Trade | None:
        return self._find(lambda t: t.qr_code == code, now)

    def by_cashier_token(self, token: str, now: float) -> Trade | None:
        return self._find(lambda t: t.cashier_token == token, now)

    def _find(self, match: Callable[[Trade], bool], now: float) -> Trade | None:
        with self._lock:
            found = next((t for t in self._trades.values() if match(t)), None)
            if found is None:
                return None
            self._refresh(found, now)
            return replace(found)

    def trades(self, now: float) -> list[Trade]:
        with self._lock:
            for trade in self._trades.values():
                self._refresh(trade, now)
            return [replace(trade) for trade in self._trades.values()]

    def sweep(self, now: float) -> None:
        """Close every unpaid trade whose time is up (reads do this lazily anyway)."""
        self.trades(now)

    # the payer's side ---------------------------------------------------------------------

    def scan(self, app_id: str, out_trade_no: str, buyer_id: str | None, now: float) -> Trade:
        with self._lock:
            trade = self._payer_trade(app_id, out_trade_no, now)
            if trade.status is None:
                if now > trade.expires_at:
                    raise SandboxStateError(f"the QR code of {out_trade_no} has expired (二维码已失效)")
                self._open(trade, now, buyer_id or new_buyer_id())
            elif trade.status != WAIT_BUYER_PAY:
                raise SandboxStateError(f"trade {out_trade_no} is {trade.status}")
            elif trade.buyer_id is None or buyer_id:
                trade.buyer_id = buyer_id or new_buyer_id()
            return replace(trade)

    def pay(
        self, app_id: str, out_trade_no: str, buyer_id: str | None, fee_rate_bp: int, now: float
    ) -> Trade:
        with self._lock:
            trade = self._payer_trade(app_id, out_trade_no, now)
            if trade.status is None:
                self.scan(app_id, out_trade_no, buyer_id, now)
            if trade.status != WAIT_BUYER_PAY:
                raise SandboxStateError(f"trade {out_trade_no} is {trade.status}, it cannot be paid")
            trade.status = TRADE_SUCCESS
            trade.gmt_payment = now
            trade.buyer_id = buyer_id or trade.buyer_id or new_buyer_id()
            trade.fee = service_fee(trade.total, fee_rate_bp)
            self._listener("paid", replace(trade), None)
            return replace(trade)

    def _payer_trade(self, app_id: str, out_trade_no: str, now: float) -> Trade:
        trade = self._trades.get((app_id, out_trade_no))
        if trade is None:
            raise SandboxStateError(f"no order {out_trade_no} for app {app_id}")
        self._refresh(trade, now)
        return trade

    def _open(self, trade: Trade, now: float, buyer_id: str | None) -> None:
        trade.status = WAIT_BUYER_PAY
        trade.trade_no = new_trade_no(now)
        trade.gmt_create = now
        trade.buyer_id = buyer_id

    # the merchant's side ------------------------------------------------------------------

    def close(self, app_id: str, out_trade_no: str, trade_no: str, now: float) -> Trade:
        """WAIT_BUYER_PAY → TRADE_CLOSED; any other state → ACQ.TRADE_STATUS_ERROR."""
        with self._lock:
            trade = self._existing(app_id, out_trade_no, trade_no, now)
            if trade.status != WAIT_BUYER_PAY:
                raise business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            self._close(trade, now, "merchant")
            return replace(trade)

    def refund(
        self,
        app_id: str,
        reference: tuple[str, str],
        out_request_no: str | None,
        amount: int,
        reason: str | None,
        now: float,
    ) -> tuple[Refund, Trade, bool]:
        """Refund ``amount`` fen now; ``(refund, trade, new)``, new=False on a replay."""
        with self._lock:
            trade = self._existing(app_id, reference[0], reference[1], now)
            request_no = out_request_no or trade.out_trade_no
            key = (app_id, trade.out_trade_no, request_no)
            stored = self._refunds.get(key)
            if stored is not None:
                if stored.amount != amount:
                    raise business("ACQ.DISCORDANT_REPEAT_REQUEST", "不一致的请求")
                return replace(stored), replace(trade), False
            if trade.status == TRADE_FINISHED:
                raise business("ACQ.TRADE_HAS_FINISHED", "交易已完结")
            if trade.gmt_payment is None:
                raise business("ACQ.TRADE_STATUS_ERROR", "交易状态非法")
            if trade.refunded + amount > trade.total:
                raise business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
            returned = _proportional(trade.fee, trade.refunded + amount, trade.total) - trade.fee_returned
            trade.refunded += amount
            trade.fee_returned += returned
            closes = trade.refunded == trade.total
            if closes:
                self._close(trade, now, "refund", notify=False)
            assert trade.trade_no is not None  # an existing trade always has one
            refund = Refund(
                app_id=app_id,
                out_trade_no=trade.out_trade_no,
                trade_no=trade.trade_no,
                out_request_no=request_no,
                amount=amount,
                reason=reason,
                refunded_at=now,
                refund_fee=trade.refunded,
                fee_returned=returned,
                trade_closed=closes,
            )
            self._refunds[key] = refund
            self._listener("refunded", replace(trade), replace(refund))
            return replace(refund), replace(trade), True

    def refund_record(self, app_id: str, trade: Trade, out_request_no: str) -> Refund | None:
        with self._lock:
            found = self._refunds.get((app_id, trade.out_trade_no, out_request_no))
            return replace(found) if found else None

    def refunds(self) -> list[Refund]:
        with self._lock:
            return [replace(refund) for refund in self._refunds.values()]

    def finish(self, app_id: str | None, now: float) -> list[Trade]:
        """TRADE_SUCCESS → TRADE_FINISHED: the refund window is over."""
        with self._lock:
            done = []
            for trade in self._trades.values():
                if trade.status == TRADE_SUCCESS and app_id in (None, trade.app_id):
                    trade.status = TRADE_FINISHED
                    trade.gmt_close = now
                    self._listener("finished", replace(trade), None)
                    done.append(replace(trade))
            return done

    def _refresh(self, trade: Trade, now: float) -> None:
        if trade.status == WAIT_BUYER_PAY and now > trade.expires_at:
            self._close(trade, trade.expires_at, "timeout")

    def _close(self, trade: Trade, at: float, reason: str, *, notify: bool = True) -> None:
        trade.status = TRADE_CLOSED
        trade.gmt_close = at
        trade.close_reason = reason
        if notify:
            self._listener("closed", replace(trade), None)
