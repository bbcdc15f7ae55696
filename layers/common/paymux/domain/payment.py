"""The payment (an order) and its public representation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from paymux.clock import iso
from paymux.domain.states import PaymentStatus


@dataclass(slots=True)
class Payment:
    payment_id: str
    merchant_id: str
    app_id: str
    merchant_order_no: str
    amount: int
    currency: str
    method: str
    subject: str
    notify_url: str
    request_hash: str
    created_at: float
    expires_at: float
    status: PaymentStatus = PaymentStatus.PENDING
    version: int = 1
    description: str = ""
    return_url: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    payer: dict[str, str] = field(default_factory=dict)
    provider: str = ""
    account_id: str = ""
    # provider mode: the binding (and its sub-merchant) the current attempt acts for
    binding_id: str = ""
    sub_mchid: str = ""
    sub_appid: str = ""
    out_trade_no: str = ""
    # when out_trade_no's create was (last) sent, stored before it is sent: what the channel
    # is told the request's time is (UnionPay's txnTime), and names again in a query
    sent_at: float | None = None
    attempt_count: int = 0
    channel_trade_no: str = ""
    action: dict[str, Any] = field(default_factory=dict)
    paid_at: float | None = None
    # the channel's clearing day of the payment (ISO), when it names one (UnionPay's settleDate):
    # the day whose statement lists it, and so the day it is reconciled on
    settle_date: str = ""
    closed_at: float | None = None
    amount_refunded: int = 0  # refunds that succeeded
    amount_refund_reserved: int = 0  # refunds that succeeded or are still processing
    failure_code: str = ""
    failure_message: str = ""
    updated_at: float = 0.0
    payer_counter: str = ""  # the payer's daily-limit counter (PK) this payment counts on, if any
    # A payment closed while the channel had no trade for it (Alipay's precreate has none until
    # a payer scans): its code can still be paid, so the sweeper asks until then.
    watch_until: float = 0.0
    # A payer's code whose reversal began (services/reversal): written before the reverse is
    # sent, so a PAID word meanwhile is applied only by the reversal's own final query.
    reversal_started_at: float | None = None
    # Reverses the channel accepted whose trade still read paid afterwards (services/
    # reversal_review); at its bound the reversal stops and an operator decides the outcome:
    # `reversal_escalated_at` is when, and the payment stays open until then.
    reversal_rounds: int = 0
    reversal_escalated_at: float | None = None
    # refund_id → Refund.to_summary() of the automatic refunds of charges it did not keep
    automatic_refunds: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_public(self) -> dict[str, Any]:
        """What the merchant sees (API responses and notifications)."""
        return {
            "id": self.payment_id,
            "object": "payment",
            "merchant_order_no": self.merchant_order_no,
            "amount": self.amount,
            "currency": self.currency,
            "method": self.method,
            "status": self.status.value,
            "subject": self.subject,
            "description": self.description,
            "amount_refunded": self.amount_refunded,
            "amount_refundable": self.amount - self.amount_refund_reserved
            if self.status.value == "SUCCESS"
            else 0,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "paid_at": iso(self.paid_at) if self.paid_at else None,
            "closed_at": iso(self.closed_at) if self.closed_at else None,
            "channel": {
                "provider": self.provider or None,
                "trade_no": self.channel_trade_no or None,
            },
            "action": self.action or None,
            "failure": (
                {"code": self.failure_code, "message": self.failure_message} if self.failure_code else None
            ),
            "metadata": self.metadata,
            "automatic_refunds": sorted(
                self.automatic_refunds.values(), key=lambda r: (str(r["created_at"]), str(r["id"]))
            ),
            "version": self.version,
        }
