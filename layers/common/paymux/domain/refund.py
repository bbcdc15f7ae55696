"""A refund of (part of) a paid payment, or an automatic refund of a charge the payment did not
keep (a second paid attempt, or a charge that arrived after the payment was closed).

An automatic refund is a refund like any other (same store, state machine, due index and
settle paths) with `kind="automatic"`: it names the attempt it refunds (`out_trade_no`,
`account_id`), reserves nothing on the payment (that money was never the payment's) and its
id is derived from the attempt, so placing it twice is placing it once."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from paymux.clock import iso
from paymux.domain.states import RefundStatus


def out_refund_no(refund_id: str) -> str:
    """What the channel sees: the refund's ULID (26 alphanumerics, fits every channel)."""
    return refund_id.removeprefix("re_")


def refund_id_from_out_refund_no(value: str) -> str:
    return "re_" + value


AUTOMATIC_PREFIX = "DUP"


def automatic_refund_id(out_trade_no: str) -> str:
    """The automatic refund of attempt `out_trade_no`; its out_refund_no is DUP<out_trade_no>."""
    return refund_id_from_out_refund_no(AUTOMATIC_PREFIX + out_trade_no)


@dataclass(slots=True)
class Refund:
    refund_id: str
    payment_id: str
    merchant_id: str
    app_id: str
    merchant_refund_no: str
    amount: int
    currency: str
    request_hash: str
    created_at: float
    reason: str = ""
    status: RefundStatus = RefundStatus.PROCESSING
    version: int = 1
    channel_refund_no: str = ""
    succeeded_at: float | None = None
    failure_code: str = ""
    failure_message: str = ""
    updated_at: float = 0.0
    # an ABNORMAL refund re-issued by an operator: merchant_bank_card (the money went to the
    # merchant's own bank account: the merchant pays the payer back itself) or user_bank_card
    reissued_to: str = ""
    kind: str = "merchant"  # or "automatic"
    out_trade_no: str = ""  # automatic: the attempt refunded (merchant: the payment's own)
    account_id: str = ""  # automatic: the attempt's account
    trade_no: str = ""  # automatic: the attempt's channel_trade_no (what UnionPay refunds by)
    attempts: int = 0  # submissions that met a transient channel error
    # when the refund was first sent, stored with it before that: every resend sends the same
    # time (UnionPay's txnTime: the same message), and its query names it
    sent_at: float | None = None
    last_error: str = ""  # the channel's code of the last one

    @property
    def automatic(self) -> bool:
        return self.kind == "automatic"

    @property
    def out_refund_no(self) -> str:
        return out_refund_no(self.refund_id)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_public(self) -> dict[str, Any]:
        return {
            "id": self.refund_id,
            "object": "refund",
            "payment_id": self.payment_id,
            "merchant_refund_no": self.merchant_refund_no,
            "amount": self.amount,
            "currency": self.currency,
            "reason": self.reason,
            "status": self.status.value,
            "channel_refund_no": self.channel_refund_no or None,
            "created_at": iso(self.created_at),
            "succeeded_at": iso(self.succeeded_at) if self.succeeded_at else None,
            "reissued_to": self.reissued_to or None,
            "failure": (
                {"code": self.failure_code, "message": self.failure_message} if self.failure_code else None
            ),
        }

    def to_summary(self) -> dict[str, Any]:
        """An automatic refund as the payment's public view lists it."""
        return {
            "id": self.refund_id,
            "out_trade_no": self.out_trade_no,
            "amount": self.amount,
            "currency": self.currency,
            "reason": self.reason,
            "status": self.status.value,
            "created_at": iso(self.created_at),
        }
