"""A statement's paid row is given back by a payment's reversal only when it is the row of the
attempt that reversal cancelled (services/reconciliation_reversals): with two attempts, the
other attempt's charge is not the one the channel refunded, and must not be matched away."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, cast

from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.states import PaymentStatus
from paymux.services.reconciliation_reversals import reversal_refunded
from paymux.services.reversal import REFUNDED


def _closed(events: list[dict[str, Any]]) -> tuple[Deps, Payment]:
    payment = Payment(
        "pay_1", "mch", "app", "o1", 100, "CNY", "alipay.barcode", "s", "", "h", 0.0, 60.0,
        status=PaymentStatus.CLOSED, reversal_started_at=1.0,
    )  # fmt: skip
    d = SimpleNamespace(payments=SimpleNamespace(events=lambda payment_id: events))
    return cast(Deps, d), payment


def test_only_the_reversed_attempts_row_is_given_back() -> None:
    detail = {"out_trade_no": "A", "reversal": REFUNDED}
    d, payment = _closed([{"type": "payment.reversed", "detail": json.dumps(detail)}])
    assert reversal_refunded(d, payment, "A")
    assert not reversal_refunded(d, payment, "B")  # attempt B's charge: not refunded by A's cancel


def test_a_reversal_that_did_not_refund_gives_nothing_back() -> None:
    detail = {"out_trade_no": "A", "reversal": "reversed"}
    d, payment = _closed([{"type": "payment.reversed", "detail": detail}])
    assert not reversal_refunded(d, payment, "A")
