"""The every-minute sweep: re-send the notification outbox, close expired payments (at the
channel first), and actively query open payments on a schedule that thins out with age."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.states import PaymentStatus
from paymux.errors import PaymuxError
from paymux.services.notifications import resend_unsent
from paymux.services.payments import close_open_payment, refresh_from_channel, watch_closed_payment
from paymux.services.refunds import refresh_refund
from paymux.store.payments import DUE_SHARDS

log = logging.getLogger("paymux")

# (age below which, check every) in seconds: every minute for 10 minutes, every 10 minutes up to
# an hour, hourly up to a day, then every 6 hours until the payment expires.
QUERY_TIERS = ((600, 60), (3600, 600), (86400, 3600))
LATE_INTERVAL = 21600


def next_check_at(payment: Payment, now: float) -> float:
    age = now - payment.created_at
    interval = next((every for limit, every in QUERY_TIERS if age < limit), LATE_INTERVAL)
    if payment.status == PaymentStatus.CLOSED:
        return min(now + interval, payment.watch_until)
    return min(now + interval, payment.expires_at)


@dataclass(slots=True)
class SweepReport:
    outbox_resent: int = 0
    expired_closed: int = 0
    queried: int = 0
    refunds_queried: int = 0
    errors: int = 0


def sweep(d: Deps) -> SweepReport:
    report = SweepReport(outbox_resent=resend_unsent(d))
    now = d.clock()
    for shard in range(DUE_SHARDS):
        for payment in d.payments.due(shard, now):
            try:
                _check(d, payment, now, report)
            except PaymuxError as exc:
                report.errors += 1
                log.warning("sweep of %s deferred: %s", payment.payment_id, exc.message)
                d.payments.reschedule(payment, now + 60)
            except Exception:  # one item never stops the run; it is due again next minute
                report.errors += 1
                log.exception("sweep of %s failed", payment.payment_id)
    for refund in d.refunds.due(now):
        try:
            refresh_refund(d, refund)
            report.refunds_queried += 1
        except PaymuxError as exc:
            report.errors += 1
            log.warning("sweep of refund %s deferred: %s", refund.refund_id, exc.message)
        except Exception:
            report.errors += 1
            log.exception("sweep of refund %s failed", refund.refund_id)
    return report


def _check(d: Deps, payment: Payment, now: float, report: SweepReport) -> None:
    if payment.status == PaymentStatus.CLOSED:
        _watch_closed(d, payment, now, report)
        return
    if now >= payment.expires_at:
        if close_open_payment(d, payment, actor="expiry").status == PaymentStatus.CLOSED:
            report.expired_closed += 1
        return
    updated = refresh_from_channel(d, payment, actor="active_query")
    report.queried += 1
    if updated.version == payment.version:
        d.payments.reschedule(payment, next_check_at(payment, now))


def _watch_closed(d: Deps, payment: Payment, now: float, report: SweepReport) -> None:
    """A payment closed while the channel had no trade for it: its code may still be paid
    until it expires at the channel (Alipay's precreate makes the trade when scanned), and the
    callback of such a charge may be lost. Asked until then, the last time at or after the
    watch's end; a trade found open (scanned, not paid) is closed at the channel, a charge found
    is refunded automatically (services/duplicates), which ends the watch."""
    updated = watch_closed_payment(d, payment, actor="closed_watch")
    report.queried += 1
    if updated.version != payment.version:
        return
    if now >= payment.watch_until:
        d.payments.stop_watching(payment)
    else:
        d.payments.reschedule(payment, next_check_at(payment, now))
