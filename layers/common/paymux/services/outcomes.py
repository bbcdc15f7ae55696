"""The single path by which a channel's word about a trade changes a payment: callbacks, active
queries, closes and the sweeper all come through `apply_trade_result`."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from paymux.channels.base import CHECKED_FIELD_LABELS, ChannelAccount, TradeResult, TradeState
from paymux.deps import Deps
from paymux.domain.ids import new_event_id
from paymux.domain.payment import Payment
from paymux.domain.states import NOTIFIED_EVENTS, OPEN_PAYMENT_STATES, PaymentStatus
from paymux.errors import IllegalTransition, PaymuxError
from paymux.observability import emit_metric
from paymux.services.routes import ForeignAttempt, attempt_route, route_fields
from paymux.services.routing import Route
from paymux.services.sweep_schedule import closed_watch
from paymux.store.bindings import Binding
from paymux.store.exceptions import record_exception
from paymux.store.notifications import notification_ids_in, notification_item
from paymux.store.payments import Outcome

log = logging.getLogger("paymux")
MAX_RACE_RETRIES = 3
PAID_STATES = frozenset({PaymentStatus.SUCCESS, PaymentStatus.REFUNDED})
UNPAID_FINAL_STATES = frozenset({PaymentStatus.CLOSED, PaymentStatus.FAILED})
STATE_METRICS = {
    PaymentStatus.SUCCESS: "PaymentSucceeded",
    PaymentStatus.FAILED: "PaymentFailed",
    PaymentStatus.CLOSED: "PaymentClosed",
}


class TradeMismatch(PaymuxError):
    """A verified channel message that disagrees with our order (amount, currency, merchant)."""

    status = 400
    code = "trade_mismatch"

    def __init__(self, message: str, *, reason: str = "amount_mismatch") -> None:
        super().__init__(message)
        self.reason = reason  # the CallbackRejected metric's reason (observability.CALLBACK_REASONS)


class IncompleteTrade(TradeMismatch):
    """A verified PAID message without a checked field its kind of message always carries
    (TradeResult.carries): it cannot be checked, so it is not believed."""

    code = "incomplete_trade"


# provider mode: the sub-merchant a message names, compared with the attempt's binding
SUB_MERCHANT_LABELS = {"sub_mchid": "sub-merchant id", "sub_appid": "sub-merchant app id"}
FIELD_LABELS = CHECKED_FIELD_LABELS | SUB_MERCHANT_LABELS
ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class NotificationFor:
    """Builds the outbox item for `event_type` from the payment as it is after the transition;
    its data object is `subject` (a refund …) or that payment. Its id is chosen up front, so the
    writer knows which notification to hand to SQS once the transaction has committed."""

    event_type: str
    now: float
    subject: Any = None
    notification_id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.notification_id:
            object.__setattr__(self, "notification_id", new_event_id(self.now))

    def __call__(self, payment: Payment) -> dict[str, Any]:
        subject = self.subject.to_public() if self.subject is not None else payment.to_public()
        payload = {
            "id": self.notification_id,
            "type": self.event_type,
            "created": int(self.now),
            "data": {"object": subject},
        }
        return notification_item(
            payment_id=payment.payment_id,
            notification_id=self.notification_id,
            merchant_id=payment.merchant_id,
            app_id=payment.app_id,
            event_type=self.event_type,
            notify_url=payment.notify_url,
            payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            created_at=self.now,
        )


def notification_for(event_type: str, now: float, subject: Any = None) -> NotificationFor:
    return NotificationFor(event_type, now, subject)


def transition(
    d: Deps,
    payment: Payment,
    target: PaymentStatus,
    changes: dict[str, Any],
    event_type: str | None,
    actor: str,
    detail: dict[str, Any],
    extra_items: list[dict[str, Any]] | None = None,
) -> Payment:
    """A status change with its event and, for outcomes the merchant hears about, its
    notification — then every notification the transaction wrote (also those of
    `extra_items`) is handed to SQS (the sweeper re-sends one this process did not send).
    `event_type` None: the change is recorded by the event among `extra_items` (a refund's)."""
    now = d.clock()
    event = NOTIFIED_EVENTS.get(target) if target != payment.status else None
    outcome = Outcome(event_type, actor, detail, notification_for(event, now) if event else None)
    updated = d.payments.transition(
        payment, target, {**changes, "updated_at": now}, outcome, extra_items=extra_items
    )
    if target != payment.status and target in STATE_METRICS:  # committed: counted once
        emit_metric(STATE_METRICS[target], method=updated.method, provider=updated.provider)
    written = notification_ids_in(extra_items or [])
    if isinstance(outcome.notification, NotificationFor):
        written.insert(0, outcome.notification.notification_id)
    if written:
        from paymux.services.notifications import hand_off  # noqa: PLC0415 - import cycle

        hand_off(d, updated.payment_id, written)
    if target == PaymentStatus.SUCCESS != payment.status and "checkout_session" in updated.metadata:
        from paymux.checkout.sessions import payment_paid  # noqa: PLC0415 - checkout payments only

        payment_paid(d, updated)  # after the hand-off: its session completes (best effort)
    return updated


def field_problems(
    values: Mapping[str, object], expected: Mapping[str, object], carries: frozenset[str]
) -> dict[str, str]:
    """Checked field → what is wrong with it: a present value that differs from `expected`
    ("amount 1 != 2500"), or ABSENT for a field of `carries` the message does not have. A field
    outside `carries` is compared only when present (the message type does not have it)."""
    problems = {}
    for name, want in expected.items():
        value = values.get(name)
        if value is None or value == "":
            if name in carries:
                problems[name] = ABSENT
        elif value != want:
            problems[name] = f"{FIELD_LABELS[name]} {value} != {want}"
    return problems


def raise_problems(problems: Mapping[str, str], *, paid: bool) -> None:
    """A disagreement is a TradeMismatch; a missing field makes a PAID word an IncompleteTrade
    (an unpaid word, CLOSED or FAILED, is compared on the fields it has)."""
    mismatched = [problem for problem in problems.values() if problem != ABSENT]
    if mismatched:
        amounts = {"amount", "currency"}.issuperset(n for n, p in problems.items() if p != ABSENT)
        raise TradeMismatch(
            "; ".join(mismatched), reason="amount_mismatch" if amounts else "merchant_mismatch"
        )
    missing = [FIELD_LABELS[name] for name, problem in problems.items() if problem == ABSENT]
    if missing and paid:
        raise IncompleteTrade(f"a paid answer without {', '.join(missing)}", reason="incomplete")


def check_trade(
    payment: Payment, trade: TradeResult, account: ChannelAccount, binding: Binding | None = None
) -> None:
    """Before a channel's PAID, CLOSED or FAILED word changes anything: amount and currency must
    be the order's, merchant id and app id the account's, and the sub-merchant the attempt's
    binding's (none in direct mode); PAID must carry all it always has."""
    values = {"amount": trade.amount, "currency": trade.currency, "mchid": trade.mchid, "appid": trade.appid}
    values |= {"sub_mchid": trade.sub_mchid, "sub_appid": trade.sub_appid}
    expected: dict[str, object] = {
        "amount": payment.amount,
        "currency": payment.currency,
        "mchid": account.mchid,
        "appid": account.appid,
        "sub_mchid": binding.sub_mchid if binding else "",
        "sub_appid": binding.sub_appid if binding else "",
    }
    raise_problems(field_problems(values, expected, trade.carries), paid=trade.state == TradeState.PAID)


def check_sent_at(trade: TradeResult, sent_at: float | None) -> None:
    """A message that names when the attempt's request was sent (UnionPay's txnTime, whole
    seconds) must name the time stored with the attempt; compared when both are known."""
    if trade.sent_at is None or sent_at is None or int(trade.sent_at) == int(sent_at):
        return
    raise TradeMismatch(
        f"send time {int(trade.sent_at)} != {int(sent_at)} (attempt {trade.out_trade_no})",
        reason="merchant_mismatch",
    )


def attempt_sent_at(d: Deps, payment: Payment, out_trade_no: str) -> float | None:
    """When attempt `out_trade_no` of `payment` was (last) sent: the payment's for its current
    attempt, else the attempt's own record's (None when it has none)."""
    if out_trade_no == payment.out_trade_no:
        return payment.sent_at
    attempt = d.payments.get_attempt(out_trade_no) or {}
    value = attempt.get("sent_at")
    return float(value) if value is not None else None


def check_identity(trade: TradeResult, account: ChannelAccount) -> None:
    """The merchant id and app id alone, for a message about no order we know."""
    values, expected = (
        {"mchid": trade.mchid, "appid": trade.appid},
        {"mchid": account.mchid, "appid": account.appid},
    )
    raise_problems(field_problems(values, expected, trade.carries), paid=trade.state == TradeState.PAID)


def record_unapplied(d: Deps, trade: TradeResult | None, exc: TradeMismatch, actor: str, key: str) -> None:
    """A verified word that was checked and not believed, for operators (`key`: one record per
    cause, however often the channel repeats it)."""
    detail = {"reason": exc.message, "actor": actor}
    if trade is not None:
        detail |= {"channel_state": trade.raw_state, "channel_trade_no": trade.channel_trade_no}
        detail |= attempt_owner(d, trade.out_trade_no)
    record_exception(d, exc.code, trade.out_trade_no if trade else "", detail, key=key)


def attempt_owner(d: Deps, out_trade_no: str) -> dict[str, str]:
    """Whose attempt an exception is about (merchant_id, binding_id), when it is one of ours:
    operators see per merchant and sub-merchant what was held back."""
    attempt = d.payments.get_attempt(out_trade_no) if out_trade_no else None
    if attempt is None:
        return {}
    return {
        "merchant_id": str(attempt.get("merchant_id") or ""),
        "binding_id": str(attempt.get("binding_id") or ""),
    }


def apply_queried_trade(d: Deps, payment: Payment, trade: TradeResult, actor: str) -> Payment:
    """An answer paymux asked for (the sweeper's active query, `?sync=true`). One that disagrees
    with the order or lacks what it always carries changes nothing: it is recorded for
    operators and the payment, still open, is asked about again on its schedule."""
    try:
        return apply_trade_result(d, payment, trade, actor)
    except TradeMismatch as exc:
        record_unapplied(d, trade, exc, actor, key=queried_key(trade, exc))
        return payment


def queried_key(trade: TradeResult, exc: TradeMismatch) -> str:
    cause = hashlib.sha256(exc.message.encode()).hexdigest()[:16]
    return f"query#{trade.out_trade_no}#{exc.code}#{cause}"


def apply_trade_result(
    d: Deps, payment: Payment, trade: TradeResult, actor: str, *, by_reversal: bool = False
) -> Payment:
    """Applies what the channel says about one of the payment's attempts, idempotently and
    race-safely: a lost race re-reads the payment and decides again. The trade is checked
    against the route (account and binding) of the attempt it is about, which must be the
    payment's merchant's own (RouteRefused otherwise: nothing changes). While a reversal holds
    the payment (reversal_started_at), a PAID word is applied only `by_reversal` (its own last
    query, services/reversal): the reverse may have given that charge back."""
    try:
        route = attempt_route(d, payment, trade.out_trade_no)
    except ForeignAttempt as exc:
        raise TradeMismatch(exc.message, reason="unknown_order") from exc
    for _ in range(MAX_RACE_RETRIES):
        try:
            return _apply_once(d, payment, trade, actor, route, by_reversal)
        except IllegalTransition:
            fresh = d.payments.get(payment.payment_id)
            if fresh is None or fresh.version == payment.version:
                raise
            payment = fresh
    raise IllegalTransition(f"payment {payment.payment_id} kept changing; giving up this pass")


def _apply_paid(d: Deps, payment: Payment, trade: TradeResult, actor: str, route: Route) -> Payment:
    account = route.account
    if payment.status in OPEN_PAYMENT_STATES:
        changes = {
            "paid_at": trade.paid_at or d.clock(),
            "channel_trade_no": trade.channel_trade_no,
            # the attempt that was paid is the payment's attempt from now on
            "out_trade_no": trade.out_trade_no,
            "sent_at": attempt_sent_at(d, payment, trade.out_trade_no),
            **route_fields(route),
        }
        if trade.settle_date:  # reconciled on the channel's clearing day (store/payment_keys)
            changes["settle_date"] = trade.settle_date
        detail = {
            "out_trade_no": trade.out_trade_no,
            "channel_trade_no": trade.channel_trade_no,
        }
        return transition(d, payment, PaymentStatus.SUCCESS, changes, "payment.succeeded", actor, detail)
    if payment.channel_trade_no == trade.channel_trade_no:
        return payment  # a duplicate of what we already applied
    if payment.status in PAID_STATES and trade.out_trade_no != payment.out_trade_no:
        from paymux.services.duplicates import refund_duplicate_charge  # noqa: PLC0415

        refund_duplicate_charge(d, payment, trade, account, actor)
        return d.payments.get(payment.payment_id) or payment
    record_exception(
        d,
        "paid_after_terminal",
        payment.payment_id,
        {
            "status": payment.status.value,
            "out_trade_no": trade.out_trade_no,
            "channel_trade_no": trade.channel_trade_no,
            "amount": trade.amount,
            "actor": actor,
        },
        key=f"paid-after#{trade.out_trade_no}#{trade.channel_trade_no}",
    )
    if payment.status in UNPAID_FINAL_STATES:
        # The merchant was told this payment will not be paid (e.g. an Alipay QR code closed
        # before anyone scanned it, which Alipay cannot close, then paid): the charge goes back.
        from paymux.services.duplicates import PAID_AFTER_CLOSE, refund_duplicate_charge  # noqa: PLC0415

        refund_duplicate_charge(d, payment, trade, account, actor, PAID_AFTER_CLOSE)
        return d.payments.get(payment.payment_id) or payment
    return payment


def held_by_reversal(payment: Payment) -> bool:
    """An open payment whose reversal has begun (services/reversal's claim)."""
    return payment.reversal_started_at is not None and payment.status in OPEN_PAYMENT_STATES


def _apply_once(
    d: Deps, payment: Payment, trade: TradeResult, actor: str, route: Route, by_reversal: bool
) -> Payment:
    if trade.state in (TradeState.PAID, TradeState.CLOSED, TradeState.FAILED):
        check_trade(payment, trade, *route)
        if trade.sent_at is not None:
            check_sent_at(trade, attempt_sent_at(d, payment, trade.out_trade_no))
    if trade.state == TradeState.PAID:
        if held_by_reversal(payment) and not by_reversal:
            log.info("payment %s is being reversed: its reversal's query applies PAID", payment.payment_id)
            return payment
        return _apply_paid(d, payment, trade, actor, route)
    if trade.state == TradeState.CLOSED and payment.status in OPEN_PAYMENT_STATES:
        changes = {"closed_at": d.clock(), **closed_watch(payment, route.account.provider, d.clock())}
        return transition(
            d,
            payment,
            PaymentStatus.CLOSED,
            changes,
            "payment.closed",
            actor,
            {"reason": "closed_by_channel", "channel_state": trade.raw_state},
        )
    if trade.state == TradeState.FAILED and payment.status in OPEN_PAYMENT_STATES:
        failure = {
            "failure_code": trade.raw_state,
            "failure_message": "the channel reported the payment failed",
        }
        return transition(
            d,
            payment,
            PaymentStatus.FAILED,
            failure,
            "payment.failed",
            actor,
            {"channel_state": trade.raw_state},
        )
    return payment
