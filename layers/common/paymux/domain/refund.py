"""A refund of (part of) a paid payment."""

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
            "failure": (
                {"code": self.failure_code, "message": self.failure_message} if self.failure_code else None
            ),
        }
