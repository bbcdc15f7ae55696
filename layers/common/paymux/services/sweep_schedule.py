"""When an open (or watched) payment is asked again.

Tiers by age (QUERY_TIERS): every minute for the first 10 minutes, every 10 minutes up to an
hour, hourly up to a day, then every 6 hours until the payment expires (or its watch ends).

Ladders: a channel class may declare `query_ladder`, seconds after creation of its first
checks, or per product `query_ladders` (UnionPay asks 1, 2, 4, 8, 16, 32 s for server-side
transactions, 5, 10, 30, 60, 120 min for front ones). Steps shorter than
the planner's minute are fired by a message to the sweep queue with SQS DelaySeconds (≤ 900 s),
sent at creation and after each step; meanwhile the payment's due-index entry sits LADDER_GUARD
after the step, and the message names that entry as its claim, so the planner never asks it at
the same time and a lost message only delays the step to the guard. A step further away than
SQS's 900 s (UnionPay's 30, 60 and 120 min) is reached in hops: the message carries the step's
time and a worker that gets it early queues it again for the time left (sweep_worker), so no
step is asked before its time. After the last step, the tiers apply."""

from __future__ import annotations

from paymux.channels.registry import PROVIDERS, channel_class
from paymux.domain.payment import Payment
from paymux.domain.states import PaymentStatus

# (age below which, check every) in seconds.
QUERY_TIERS = ((600, 60), (3600, 600), (86400, 3600))
LATE_INTERVAL = 21600
FIRST_CHECK_AFTER = 60.0
# The longest a worker spends on one message (its Lambda timeout): a claim with less than this
# left is not acted on, so a claim never outlives its check.
MAX_CHECK_SECONDS = 60.0
# How long the planner's claim keeps an item off the index: longer than a backlog of the sweep
# queue is expected to last (after that the item is claimed again; the old message is stale).
CLAIM_SECONDS = 900.0
LADDER_GUARD = MAX_CHECK_SECONDS + 60.0
SQS_MAX_DELAY = 900


def tier_interval(age: float) -> float:
    return next((every for limit, every in QUERY_TIERS if age < limit), LATE_INTERVAL)


def next_check_at(payment: Payment, now: float) -> float:
    interval = tier_interval(now - payment.created_at)
    if payment.status == PaymentStatus.CLOSED:
        return min(now + interval, payment.watch_until)
    return min(now + interval, payment.expires_at)


def ladder_of(provider: str, product: str = "") -> tuple[float, ...]:
    """The ladder of `product` at `provider`: the class's `query_ladders[product]` when it
    declares one for that product (UnionPay's back and front transactions differ), else its
    `query_ladder`; () for a class that declares neither (or an unknown provider)."""
    if provider not in PROVIDERS:
        return ()
    cls = channel_class(provider)
    per_product = getattr(cls, "query_ladders", {})
    ladder = per_product[product] if product in per_product else getattr(cls, "query_ladder", ())
    return tuple(float(s) for s in ladder)


def ladder_step_at(payment: Payment, step: int) -> float | None:
    """When ladder step `step` of `payment` is due, None past the ladder (or the expiry)."""
    ladder = ladder_of(payment.provider, payment.method)
    if step >= len(ladder):
        return None
    at = payment.created_at + ladder[step]
    return at if at < payment.expires_at else None


def first_check_at(payment: Payment) -> float:
    """The due-index time written at creation: the ladder's guard of its first step, or the
    first tier."""
    step = ladder_step_at(payment, 0)
    if step is not None:
        return step + LADDER_GUARD
    return payment.created_at + FIRST_CHECK_AFTER


def late_payment_watch(provider: str, now: float) -> dict[str, float]:
    """The watch a payment closed by its channel's word gets: a channel that cannot close an
    order (e-CNY through Huifu) may still see it paid after it timed out, so its closed
    payments are asked on the tiers for the class's `late_payment_watch_seconds` (a charge
    found is refunded automatically); {} for every other channel."""
    if provider not in PROVIDERS:
        return {}
    seconds = float(getattr(channel_class(provider), "late_payment_watch_seconds", 0.0))
    return {"watch_until": now + seconds} if seconds > 0 else {}


# How long a closed payer code is watched: a charge the channel makes after the reversal (a
# pay call still running when "order does not exist" was read) is found and refunded.
PAYER_CODE_WATCH_SECONDS = 86400.0


def payer_code_watch(now: float) -> dict[str, float]:
    return {"watch_until": now + PAYER_CODE_WATCH_SECONDS}


def closed_watch(payment: Payment, provider: str, now: float) -> dict[str, float]:
    """The watch of a payment its channel's word closes: the provider's (late_payment_watch),
    else a payer code's (every closed payer code is watched), else none."""
    watch = late_payment_watch(provider, now)
    if watch or provider not in PROVIDERS:
        return watch
    reversible = getattr(channel_class(provider), "reversible_products", ())
    return payer_code_watch(now) if payment.method in reversible else {}
