"""The reversal's last word about a trade (services/reversal._final_answer): PAID is taken as
paid only after a refused reverse; after an accepted one the trade is asked again, and a
second PAID is an unknown outcome (reversed again), never SUCCESS."""

from __future__ import annotations

import pytest

from paymux.channels.base import QueryContext, TradeResult, TradeState
from paymux.domain.payment import Payment
from paymux.errors import OutcomeNotKnown
from paymux.services.reversal import _final_answer


class _Answers:
    def __init__(self, *states: TradeState) -> None:
        self.states = list(states)
        self.asked = 0

    def query(self, out_trade_no: str, *, context: QueryContext | None = None) -> TradeResult:
        self.asked += 1
        return TradeResult(out_trade_no=out_trade_no, state=self.states.pop(0), raw_state="x")


PAYMENT = Payment(
    payment_id="pay_X",
    merchant_id="m",
    app_id="a",
    merchant_order_no="o",
    amount=1,
    currency="CNY",
    method="wechat.barcode",
    subject="s",
    notify_url="https://m.example/n",
    request_hash="",
    created_at=1000.0,
    expires_at=8200.0,
    out_trade_no="T1",
)


@pytest.mark.parametrize(
    ("did", "states", "final", "asked"),
    [
        ("reversed", (TradeState.PAID, TradeState.CLOSED), TradeState.CLOSED, 2),  # a stale PAID
        ("closed", (TradeState.CLOSED,), TradeState.CLOSED, 1),
        ("refunded", (TradeState.PAID,), TradeState.CLOSED, 1),  # Alipay gave the charge back
        ("refused TRADE_STATE_ERROR", (TradeState.PAID,), TradeState.PAID, 1),  # would not reverse
        ("not_found", (TradeState.NOT_FOUND,), TradeState.NOT_FOUND, 1),
    ],
)
def test_the_last_answer(did: str, states: tuple[TradeState, ...], final: TradeState, asked: int) -> None:
    channel = _Answers(*states)
    assert _final_answer(channel, PAYMENT, did).state == final
    assert channel.asked == asked


@pytest.mark.parametrize(
    "states", [(TradeState.PAID, TradeState.PAID), (TradeState.OPEN,), (TradeState.PAID, TradeState.OPEN)]
)
def test_paid_twice_after_an_accepted_reverse_or_still_open_is_not_known(
    states: tuple[TradeState, ...],
) -> None:
    with pytest.raises(OutcomeNotKnown):
        _final_answer(_Answers(*states), PAYMENT, "reversed")
