"""The payment and refund state machines: the one table every writer consults.

Payment: PENDING → PROCESSING → SUCCESS | FAILED | CLOSED; PENDING may also end FAILED or
CLOSED directly (the channel refused or was never reached); SUCCESS → REFUNDED when fully
refunded. A paid result may still arrive for an open order in either open state.
Refund: PROCESSING → SUCCESS | FAILED | ABNORMAL; ABNORMAL → SUCCESS (a later success settles
it) | PROCESSING (an operator re-issued it to another card). ABNORMAL is WeChat Pay's "the money
left the merchant's balance but did not reach the payer": not a failure, so the reservation is
kept and the refund stays followed up."""

from __future__ import annotations

from enum import StrEnum

from paymux.errors import IllegalTransition


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    CLOSED = "CLOSED"
    REFUNDED = "REFUNDED"


class RefundStatus(StrEnum):
    PROCESSING = "PROCESSING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    ABNORMAL = "ABNORMAL"


_P = PaymentStatus
PAYMENT_TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    _P.PENDING: frozenset({_P.PROCESSING, _P.SUCCESS, _P.FAILED, _P.CLOSED}),
    _P.PROCESSING: frozenset({_P.SUCCESS, _P.FAILED, _P.CLOSED}),
    _P.SUCCESS: frozenset({_P.REFUNDED}),
    _P.FAILED: frozenset(),
    _P.CLOSED: frozenset(),
    _P.REFUNDED: frozenset(),
}

_R = RefundStatus
REFUND_TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    _R.PROCESSING: frozenset({_R.SUCCESS, _R.FAILED, _R.ABNORMAL}),
    _R.ABNORMAL: frozenset({_R.SUCCESS, _R.PROCESSING}),
    _R.SUCCESS: frozenset(),
    _R.FAILED: frozenset(),
}
# Refunds the sweeper still follows up (they stay on the due index).
OPEN_REFUND_STATES = frozenset({_R.PROCESSING, _R.ABNORMAL})

OPEN_PAYMENT_STATES = frozenset({_P.PENDING, _P.PROCESSING})
TERMINAL_PAYMENT_STATES = frozenset({_P.SUCCESS, _P.FAILED, _P.CLOSED, _P.REFUNDED})

# Terminal outcomes the merchant is told about, by the state reached.
NOTIFIED_EVENTS: dict[PaymentStatus, str] = {
    _P.SUCCESS: "payment.succeeded",
    _P.FAILED: "payment.failed",
    _P.CLOSED: "payment.closed",
    _P.REFUNDED: "payment.refunded",
}


def check_payment_transition(current: PaymentStatus, target: PaymentStatus) -> None:
    if target not in PAYMENT_TRANSITIONS[current]:
        raise IllegalTransition(f"a payment cannot go from {current} to {target}")


def check_refund_transition(current: RefundStatus, target: RefundStatus) -> None:
    if target not in REFUND_TRANSITIONS[current]:
        raise IllegalTransition(f"a refund cannot go from {current} to {target}")
