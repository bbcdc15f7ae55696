import itertools

import pytest

from paymux.domain.states import (
    PAYMENT_TRANSITIONS,
    TERMINAL_PAYMENT_STATES,
    PaymentStatus,
    RefundStatus,
    check_payment_transition,
    check_refund_transition,
)
from paymux.errors import IllegalTransition

P = PaymentStatus
ALLOWED = {
    (P.PENDING, P.PROCESSING),
    (P.PENDING, P.SUCCESS),
    (P.PENDING, P.FAILED),
    (P.PENDING, P.CLOSED),
    (P.PROCESSING, P.SUCCESS),
    (P.PROCESSING, P.FAILED),
    (P.PROCESSING, P.CLOSED),
    (P.SUCCESS, P.REFUNDED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(P, P)))
def test_every_payment_pair_is_allowed_exactly_when_listed(current, target):
    if (current, target) in ALLOWED:
        check_payment_transition(current, target)
    else:
        with pytest.raises(IllegalTransition):
            check_payment_transition(current, target)


def test_terminal_states_lead_nowhere_but_success_to_refunded():
    for state in TERMINAL_PAYMENT_STATES - {P.SUCCESS}:
        assert PAYMENT_TRANSITIONS[state] == frozenset()


def test_refund_states():
    check_refund_transition(RefundStatus.PROCESSING, RefundStatus.SUCCESS)
    check_refund_transition(RefundStatus.PROCESSING, RefundStatus.FAILED)
    with pytest.raises(IllegalTransition):
        check_refund_transition(RefundStatus.SUCCESS, RefundStatus.FAILED)
    with pytest.raises(IllegalTransition):
        check_refund_transition(RefundStatus.FAILED, RefundStatus.SUCCESS)


R = RefundStatus
REFUND_ALLOWED = {
    (R.PROCESSING, R.SUCCESS),
    (R.PROCESSING, R.FAILED),
    (R.PROCESSING, R.ABNORMAL),
    (R.ABNORMAL, R.SUCCESS),  # a later success settles it
    (R.ABNORMAL, R.PROCESSING),  # re-issued by an operator
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(R, R)))
def test_every_refund_pair_is_allowed_exactly_when_listed(current, target):
    """ABNORMAL is not a failure: it never becomes FAILED (its money left the merchant)."""
    if (current, target) in REFUND_ALLOWED:
        check_refund_transition(current, target)
    else:
        with pytest.raises(IllegalTransition):
            check_refund_transition(current, target)
