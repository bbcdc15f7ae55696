"""How transactions end: paid (notified), unknown for a while, or failed (never notified)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sandbox.unionpay.errors import SUCCESS_MSG, SandboxStateError
from sandbox.unionpay.merchants import DEFAULT_FEE_RATE_BP, MerchantRegistry
from sandbox.unionpay.messages import MessageSigner, notify_fields
from sandbox.unionpay.notify import Notification, NotifyDispatcher
from sandbox.unionpay.store import PAID_CODES, UNKNOWN_CODES, Transaction, TransactionStore
from sandbox.unionpay.times import parse_txn_time

RESP_MESSAGES = {
    "00": SUCCESS_MSG,
    "03": "交易通讯超时，请发起查询交易",
    "04": "交易状态未明，请查询对账结果",
    "05": "交易已受理，请稍后查询交易结果",
    "30": "交易未通过，请尝试使用其他银联卡支付或联系95516",
    "35": "原交易不存在或状态不正确",
    "60": "交易失败，详情请咨询您的发卡行",
    "61": "输入的卡号无效，请确认后输入",
    "63": "卡状态不正确",
    "64": "卡上的余额不足",
}


def resp_msg(code: str) -> str:
    return RESP_MESSAGES.get(code, "交易失败")


def fee(amount: int, rate_bp: int) -> int:
    """The merchant fee in fen, rounded half up (0.60 % of 4768.00 is 28.61, as in the sample)."""
    return (amount * rate_bp + 5000) // 10000


class Payments:
    def __init__(
        self,
        store: TransactionStore,
        merchants: MerchantRegistry,
        clock: Callable[[], float],
        notifier: NotifyDispatcher,
        signer: MessageSigner,
    ) -> None:
        self._store = store
        self._merchants = merchants
        self._clock = clock
        self._notifier = notifier
        self._signer = signer
        self._lock = threading.Lock()
        self._payer_codes: dict[str, str] = {}
        self.auto_complete_refunds = True

    # payer codes (01/06) ---------------------------------------------------------------

    def script_payer_code(self, qr_no: str, resp_code: str) -> None:
        """What a consume with this payer code answers: 00 paid, 03/04/05 unknown (until
        ``pay`` or ``fail``), anything else failed."""
        with self._lock:
            self._payer_codes[qr_no] = resp_code

    def payer_code_outcome(self, qr_no: str) -> str:
        with self._lock:
            return self._payer_codes.get(qr_no, "00")

    # outcomes --------------------------------------------------------------------------

    def end(self, txn: Transaction, code: str) -> Transaction:
        """Give ``txn`` its outcome; a paid one is notified to its backUrl."""
        amount_fee = txn.fee if txn.txn_type != "01" else self._fee_of(txn)
        ended = self._store.complete(
            txn.mer_id, txn.order_id, code, resp_msg(code), self._clock(), amount_fee
        )
        if code in PAID_CODES and ended.back_url:
            self._notifier.submit(Notification(ended.back_url, self._signer.sign(notify_fields(ended))))
        return ended

    def pay(self, order_id: str, mer_id: str | None = None) -> Transaction:
        """The payer pays (a QR code, a gateway form, or a payer code whose result was unknown)."""
        txn = self._store.find(order_id, mer_id)
        if txn.txn_type != "01":
            raise SandboxStateError(f"{order_id} is not a consume")
        if txn.pay_timeout and txn.orig_resp_code is None and _expired(txn, self._clock()):
            raise SandboxStateError(f"order {order_id} is past its payTimeout")
        return self.end(txn, "00")

    def fail(self, order_id: str, mer_id: str | None = None, code: str = "30") -> Transaction:
        """The transaction fails (no notify is sent for it)."""
        if code in PAID_CODES or code in UNKNOWN_CODES:
            raise ValueError("a failure needs a failure code")
        return self.end(self._store.find(order_id, mer_id), code)

    def complete_refunds(self, mer_id: str | None = None) -> list[str]:
        """Every accepted refund still in progress succeeds now (and is notified)."""
        done = []
        for txn in self._store.all():
            pending = txn.txn_type == "04" and txn.orig_resp_code in UNKNOWN_CODES
            if pending and mer_id in (None, txn.mer_id):
                self.end(txn, "00")
                done.append(txn.order_id)
        return done

    def _fee_of(self, txn: Transaction) -> int:
        merchant = self._merchants.merchant(txn.mer_id)
        return fee(txn.amount, merchant.fee_rate_bp if merchant else DEFAULT_FEE_RATE_BP)


def _expired(txn: Transaction, now: float) -> bool:
    deadline = parse_txn_time(txn.pay_timeout)
    return deadline is not None and now > deadline
