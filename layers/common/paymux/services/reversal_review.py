"""A payer-code reversal that never ends: the channel accepts the reverse (WeChat Pay's
`recall=N`, Alipay's cancel without `retry_flag=Y`) but its query keeps reading the trade paid.

services/reversal sends such a reversal again (a stale read after the reverse is possible), but
not forever: after MAX_STILL_PAID_ROUNDS accepted-but-still-paid rounds it stops. Both wallets'
own sample code bounds its reverse retries (WeChat Pay's SDK demo reverses at most 10 times,
Alipay's face-to-face SDK cancels at most `max_cancel_retry = 3` times; docs/channels.md), and
each of our rounds is a sweep (one a minute), so three rounds is already minutes of "paid"
after an accepted reverse: no stale read. The payment's money state is then not known (the
payer may or may not have the money back), so it is neither SUCCESS nor CLOSED: it stays open,
marked `reversal_escalated_at`, and one operator exception `reversal_unconfirmed` is opened in
the same transaction (store/exceptions), naming the payment, the channel's answers and what to
do. No reverse is sent for it again (services/reversal) and the sweeper leaves it alone.

The operator checks the trade in the channel's merchant platform and resolves the exception
(console/exceptions_queue) with an `outcome`:
- `closed`: the payer has the money back (the trade is revoked or refunded there): CLOSED, with
  no closed watch (the channel's query reads paid, and the watch would refund that again);
- `paid`: the channel kept the charge: the trade as last read is applied (its checks
  included), so the payment becomes SUCCESS and the merchant can refund it."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from paymux.channels.base import TradeResult, TradeState
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.states import OPEN_PAYMENT_STATES, PaymentStatus
from paymux.errors import Conflict, IllegalTransition, NotFound, OutcomeNotKnown, ValidationFailed
from paymux.observability import emit_metric
from paymux.services.outcomes import apply_trade_result, transition
from paymux.store.dynamo import to_item
from paymux.store.exceptions import exception_item

log = logging.getLogger("paymux")
REVERSAL_UNCONFIRMED = "reversal_unconfirmed"
MAX_STILL_PAID_ROUNDS = 3
OUTCOMES = {"closed": PaymentStatus.CLOSED, "paid": PaymentStatus.SUCCESS}
ACTION = (
    "check the trade in the channel's merchant platform: if the payer has the money back "
    "(revoked or refunded), resolve with outcome=closed; if the channel kept the charge, "
    "resolve with outcome=paid (the payment becomes SUCCESS and can be refunded)"
)


def under_review(payment: Payment) -> bool:
    """An open payment whose reversal was stopped for an operator (see above)."""
    return payment.reversal_escalated_at is not None and payment.status in OPEN_PAYMENT_STATES


def review_conflict(payment: Payment) -> Conflict:
    return Conflict(
        "payment_under_review",
        f"payment {payment.payment_id}'s reversal was accepted but the channel still reads it paid: "
        "operators decide its outcome; it stays open until then",
        details=[{"payment_id": payment.payment_id, "status": payment.status.value}],
    )


def still_paid(d: Deps, payment: Payment, did: str, trade: TradeResult, actor: str) -> Payment:
    """Counts one accepted reverse after which the trade read paid twice; at the bound, marks
    the payment for review and opens its exception, in one transaction (so exactly once)."""
    rounds = payment.reversal_rounds + 1
    detail: dict[str, Any] = {"out_trade_no": payment.out_trade_no, "reversal": did, "rounds": rounds}
    changes: dict[str, Any] = {"reversal_rounds": rounds}
    extra = None
    if rounds >= MAX_STILL_PAID_ROUNDS:
        changes["reversal_escalated_at"] = d.clock()
        record = exception_item(
            d,
            REVERSAL_UNCONFIRMED,
            payment.payment_id,
            _exception_detail(payment, did, trade, rounds),
            key=f"reversal#{payment.payment_id}",
        )
        put = {"TableName": d.settings.table, "Item": to_item(record)}
        extra = [{"Put": {**put, "ConditionExpression": "attribute_not_exists(PK)"}}]
    event = "payment.reversal_escalated" if extra else "payment.reversal_still_paid"
    try:
        updated = transition(d, payment, payment.status, changes, event, actor, detail, extra_items=extra)
    except IllegalTransition as exc:  # another writer first: this round is asked again later
        raise OutcomeNotKnown(
            f"payment {payment.payment_id} changed while its reversal was counted; it is asked again",
            details=[{"payment_id": payment.payment_id, "status": payment.status.value}],
        ) from exc
    if extra:  # committed once: pages operators like any exception (CallbackExceptionsAlarm)
        emit_metric("CallbackExceptions")
        log.error("exception recorded: %s %s", REVERSAL_UNCONFIRMED, payment.payment_id)
    return updated


def _exception_detail(payment: Payment, did: str, trade: TradeResult, rounds: int) -> dict[str, Any]:
    return {
        "payment_id": payment.payment_id,
        "merchant_id": payment.merchant_id,
        "provider": payment.provider,
        "method": payment.method,
        "amount": payment.amount,
        "out_trade_no": payment.out_trade_no,
        "reverse_answer": did,
        "query_answer": trade.raw_state or trade.state.value,
        "rounds": rounds,
        "trade": {**asdict(trade), "state": trade.state.value, "carries": sorted(trade.carries)},
        "action": ACTION,
    }


def resolve_unconfirmed(d: Deps, detail: dict[str, Any], outcome: Any, actor: str) -> Payment:
    """The operator's decision applied to the payment; a payment already in that state (a
    resolution retried) is returned as it is, one in another final state is a 409."""
    target = OUTCOMES.get(outcome) if isinstance(outcome, str) else None
    if target is None:
        raise ValidationFailed(
            "outcome is required for a reversal_unconfirmed exception",
            details=[{"field": "outcome", "message": "one of: " + ", ".join(OUTCOMES)}],
        )
    payment = d.payments.get(str(detail.get("payment_id", "")))
    if payment is None:
        raise NotFound("no such payment")
    if payment.status in OPEN_PAYMENT_STATES:
        payment = _decide(d, payment, outcome, detail, actor)
    reached = {PaymentStatus.SUCCESS, PaymentStatus.REFUNDED} if outcome == "paid" else {target}
    if payment.status not in reached:
        raise Conflict(
            "exception_outcome_conflict",
            f"payment {payment.payment_id} is {payment.status.value} already, not {outcome}",
            details=[{"payment_id": payment.payment_id, "status": payment.status.value}],
        )
    return payment


def _decide(d: Deps, payment: Payment, outcome: str, detail: dict[str, Any], actor: str) -> Payment:
    note = {"reason": "operator", "resolution": outcome, "out_trade_no": payment.out_trade_no}
    if outcome == "closed":
        changes = {"closed_at": d.clock(), "watch_until": 0.0}
        return transition(d, payment, PaymentStatus.CLOSED, changes, "payment.closed", actor, note)
    fields = dict(detail["trade"])
    fields |= {"state": TradeState(fields["state"]), "carries": frozenset(fields["carries"])}
    trade = TradeResult(**fields)
    # conditioned on the version read while open: a concurrent resolution wins, this one is a 409
    return apply_trade_result(d, payment, trade, actor, by_reversal=True, while_open=True)
