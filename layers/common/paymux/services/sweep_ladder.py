"""The first step of a channel's query ladder, sent when a payment is created (the following
steps are sent by the worker that runs each one: services/sweep_checks)."""

from __future__ import annotations

import logging

from paymux.clock import iso
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.services.sweep_schedule import LADDER_GUARD, ladder_step_at
from paymux.store.due import due_sk
from paymux.store.sweep_queue import SweepMessage, SweepQueue

log = logging.getLogger("paymux")


def start_ladder(d: Deps, payment: Payment) -> None:
    """At creation, for a channel with a ladder: the message that fires its first step (the
    payment was written with its entry at that step's guard, sweep_schedule.first_check_at).
    A failure is logged: the planner asks the payment at the guard instead."""
    at = ladder_step_at(payment, 0)
    if at is None:
        return
    claim = due_sk(iso(at + LADDER_GUARD), payment.payment_id)
    message = SweepMessage(
        "payment", f"PAY#{payment.payment_id}", "PAY", claim, at + LADDER_GUARD, 0, not_before=at
    )
    try:
        SweepQueue(d.sqs, d.settings.sweep_queue_url).send_later(message, at - d.clock())
    except Exception:
        log.exception("first ladder step of %s not queued; the sweeper asks it later", payment.payment_id)
