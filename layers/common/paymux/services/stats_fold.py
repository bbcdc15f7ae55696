"""What one change of a payment, a refund or a checkout session adds to the stats buckets (pure; no I/O).

The stream consumer (services.stats_stream) folds each DynamoDB stream record's old and new
image through `fold`; the backfill (services.stats_backfill) folds each stored payment and
refund as if it had just been written (no old image), so both count exactly the same things:

- a payment INSERT counts one `created` in the hour the payment was created (the attempted
  payments; its method and provider as created);
- a payment whose status moves from open (or from nothing, in the backfill) to an outcome counts
  one outcome in the 15-minute period of that outcome, under the method and provider the
  payment ended on (at SUCCESS, the paid attempt's): `succeeded` (+ `amount_succeeded`, and
  `rescued` / `amount_rescued` when the paid attempt was not the first: a fallback attempt,
  `out_trade_no` not the payment's `…01`) at `paid_at`; `failed` at the
  `updated_at` the transition leaves (a payment has no failure time: docs/analytics.md);
  `closed` at `closed_at`. SUCCESS → REFUNDED is no new outcome;
- a merchant refund whose status becomes SUCCESS counts one `refunds` (+ `amount_refunded`) at
  its `succeeded_at`, under its payment's method and provider (`PaymentLookup`). Automatic
  refunds (charges the payment never kept) are not the merchant's refunds: not counted;
- a hosted checkout session whose status becomes completed counts one `checkout_completed` at its
  `completed_at`, under the method the payer chose (the session's `method`, its paid
  payment's) and that payment's provider and currency (`PaymentLookup`): the share of each
  checkout method among the completed sessions.
Anything else (other items, changes within a state, REMOVE) adds nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paymux.domain.ids import attempt_out_trade_no
from paymux.store.buckets import BucketKey, Delta

OUTCOMES = {"SUCCESS": "succeeded", "REFUNDED": "succeeded", "FAILED": "failed", "CLOSED": "closed"}
# The stored payment (plain values) of a payment id, for a refund's bucket; None when unknown.
PaymentLookup = Callable[[str], dict[str, Any] | None]


def is_payment(image: dict[str, Any]) -> bool:
    return str(image.get("PK", "")).startswith("PAY#") and image.get("SK") == "PAY"


def is_refund(image: dict[str, Any]) -> bool:
    return str(image.get("PK", "")).startswith("REFUND#") and image.get("SK") == "REFUND"


def is_checkout_session(image: dict[str, Any]) -> bool:
    return str(image.get("PK", "")).startswith("CHECKOUT#") and image.get("SK") == "CHECKOUT"


def _key(payment: dict[str, Any], merchant_id: str | None = None) -> BucketKey:
    return BucketKey(
        merchant_id or str(payment.get("merchant_id", "")),
        str(payment.get("method", "")),
        str(payment.get("provider", "")),
        str(payment.get("currency", "")),
    )


def rescued_by_fallback(payment: dict[str, Any]) -> bool:
    """Whether the payment was paid on a fallback attempt (its 2nd or later out_trade_no)."""
    payment_id = str(payment.get("payment_id", ""))
    out_trade_no = str(payment.get("out_trade_no", ""))
    return bool(out_trade_no) and out_trade_no != attempt_out_trade_no(payment_id, 1)


def _outcome(payment: dict[str, Any]) -> Delta | None:
    outcome = OUTCOMES.get(str(payment.get("status", "")))
    if outcome is None:
        return None
    amount = int(payment.get("amount") or 0)
    counters = {outcome: 1}
    if outcome == "succeeded":
        at = payment.get("paid_at")
        counters["amount_succeeded"] = amount
        if rescued_by_fallback(payment):
            counters.update(rescued=1, amount_rescued=amount)
    elif outcome == "closed":
        at = payment.get("closed_at") or payment.get("updated_at")
    else:
        at = payment.get("updated_at")
    return Delta(_key(payment), float(at or 0), counters)


def fold_payment(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Delta]:
    if new is None:
        return []
    deltas = []
    if old is None:
        deltas.append(Delta(_key(new), float(new.get("created_at") or 0), {"created": 1}))
    if old is None or str(old.get("status", "")) not in OUTCOMES:
        outcome = _outcome(new)
        if outcome is not None:
            deltas.append(outcome)
    return deltas


def fold_refund(
    old: dict[str, Any] | None, new: dict[str, Any] | None, payment_of: PaymentLookup
) -> list[Delta]:
    if new is None or new.get("status") != "SUCCESS" or new.get("kind", "merchant") == "automatic":
        return []
    if old is not None and old.get("status") == "SUCCESS":
        return []
    payment = payment_of(str(new.get("payment_id", "")))
    if payment is None:
        return []
    key = _key(payment, str(new.get("merchant_id", "")) or None)
    counters = {"refunds": 1, "amount_refunded": int(new.get("amount") or 0)}
    return [Delta(key, float(new.get("succeeded_at") or new.get("updated_at") or 0), counters)]


def fold_checkout_session(
    old: dict[str, Any] | None, new: dict[str, Any] | None, payment_of: PaymentLookup
) -> list[Delta]:
    if new is None or new.get("status") != "completed":
        return []
    if old is not None and old.get("status") == "completed":
        return []
    payment = payment_of(str(new.get("payment_id", "")))
    if payment is None:
        return []
    key = _key(
        {**payment, "method": new.get("method") or payment.get("method")},
        str(new.get("merchant_id", "")) or None,
    )
    return [Delta(key, float(new.get("completed_at") or 0), {"checkout_completed": 1})]


def fold(old: dict[str, Any] | None, new: dict[str, Any] | None, payment_of: PaymentLookup) -> list[Delta]:
    """The deltas of one item change (plain values, not DynamoDB JSON)."""
    image = new or old or {}
    if is_payment(image):
        return fold_payment(old, new)
    if is_refund(image):
        return fold_refund(old, new, payment_of)
    if is_checkout_session(image):
        return fold_checkout_session(old, new, payment_of)
    return []
