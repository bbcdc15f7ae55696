"""Payments as the console shows them: a search (one payment by id or merchant_order_no, or a
day's payments filtered by status) and a detail with its audit trail and notifications.

A merchant user's scope is its own merchant: another merchant's payment is answered exactly as
a missing one (the same 404, code and message), so ids cannot be probed."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from paymux.clock import CHINA, iso
from paymux.console.identity import ConsoleUser
from paymux.deps import Deps
from paymux.domain.ids import MERCHANT_ORDER_NO, PAYMENT_ID
from paymux.domain.payment import Payment
from paymux.domain.states import PaymentStatus
from paymux.errors import NotFound, ValidationFailed
from paymux.services.notifications import public_notification
from paymux.services.report_export import report_day
from paymux.store.day_payments import DayPayments
from paymux.store.payment_keys import payment_from_values

MAX_RESULTS = 100
STATUSES = tuple(s.value for s in PaymentStatus)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", details=[{"field": field, "message": message}])


def row(payment: Payment) -> dict[str, Any]:
    """A payment as the console lists it: the public resource and whose it is."""
    return {
        **payment.to_public(),
        "merchant_id": payment.merchant_id,
        "account_id": payment.account_id or None,
    }


def visible_payment(d: Deps, user: ConsoleUser, payment_id: str) -> Payment:
    """The payment if the user may see it; one NotFound for missing and not-yours alike."""
    payment = d.payments.get(payment_id) if PAYMENT_ID.fullmatch(payment_id) else None
    if payment is None or not user.sees(payment.merchant_id):
        raise NotFound("no such payment")
    return payment


def search(d: Deps, user: ConsoleUser, query: dict[str, str]) -> list[dict[str, Any]]:
    """By `id`, by `merchant_order_no` (operators also name the `merchant_id`), or the payments
    created on `day` (Asia/Shanghai), optionally of one `status`: newest first, at most 100."""
    if query.get("id"):
        try:
            return [row(visible_payment(d, user, query["id"]))]
        except NotFound:
            return []
    if query.get("merchant_order_no"):
        return _by_order_no(d, user, query["merchant_order_no"], query.get("merchant_id", ""))
    status = query.get("status", "")
    if status and status not in STATUSES:
        raise _invalid("status", f"one of {', '.join(STATUSES)}")
    day = report_day(query.get("day", ""))
    return _of_day(d, user, day, status)


def _by_order_no(d: Deps, user: ConsoleUser, order_no: str, merchant_id: str) -> list[dict[str, Any]]:
    if not MERCHANT_ORDER_NO.fullmatch(order_no):
        raise _invalid("merchant_order_no", "1-64 of 0-9 A-Z a-z _ - * | @ .")
    owner = user.merchant_id if user.role == "merchant" else merchant_id
    if not owner:
        raise _invalid("merchant_id", "required with merchant_order_no")
    payment = d.payments.get_by_merchant_order_no(owner, order_no) if user.sees(owner) else None
    return [row(payment)] if payment is not None else []


def _of_day(d: Deps, user: ConsoleUser, day: date, status: str) -> list[dict[str, Any]]:
    accounts = [a.account_id for a in d.channel_config.accounts()]
    tomorrow = datetime.fromtimestamp(d.clock(), CHINA).date() + timedelta(days=1)
    found = (
        payment_from_values(p)
        for p in DayPayments(d.dynamodb, d.settings.table).created_on(day, accounts, latest=tomorrow)
        if user.sees(str(p.get("merchant_id"))) and (not status or p.get("status") == status)
    )
    payments = sorted(islice(found, MAX_RESULTS * 10), key=lambda p: p.created_at, reverse=True)
    return [row(p) for p in payments[:MAX_RESULTS]]


def detail(d: Deps, user: ConsoleUser, payment_id: str) -> dict[str, Any]:
    """The payment, every change of it and its refunds (oldest first), and its notifications."""
    payment = visible_payment(d, user, payment_id)
    events = sorted(d.payments.events(payment_id), key=lambda e: (e["at"], e["SK"]))
    notifications = sorted(d.notifications.for_payment(payment_id), key=lambda n: n["created_at"])
    return {
        "payment": row(payment),
        "events": [
            {
                "type": e["type"],
                "actor": e["actor"],
                "from_status": e.get("from_status"),
                "to_status": e["to_status"],
                "at": iso(e["at"]),
                "detail": json.loads(e["detail"]),
            }
            for e in events
        ],
        "notifications": [public_notification(n) for n in notifications],
    }
