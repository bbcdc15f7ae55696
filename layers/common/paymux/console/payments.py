"""Payments as the console shows them: a search (one payment by id or merchant_order_no, or a
day's payments filtered by status) and a detail with its audit trail and notifications.

A merchant user's scope is its own merchant: another merchant's payment is answered exactly as
a missing one (the same 404, code and message), so ids cannot be probed.

A day's search of one merchant (a merchant user's, or an operator's naming `merchant_id`) reads
that merchant's day alone (store.merchant_days: its own index partition key), newest first, a
page of at most 100, with `next` (an opaque cursor, validated: another search's or a tampered
one is a 422) while older ones follow. With a `status`, the page is filled from at most
`MAX_READ` of the day's payments a request: a rare status may answer fewer (even none) and a
`next` that goes on from where the reading stopped. An operator's search of every merchant
reads every channel account's day (store.day_payments): at most 100, no `next`."""

from __future__ import annotations

import base64
import binascii
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
from paymux.store.merchant_days import MerchantDays
from paymux.store.payment_keys import payment_from_values

MAX_RESULTS = 100
MAX_READ = 1000  # a status search's payments read per request, at most (10 pages of 100)
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


def search(d: Deps, user: ConsoleUser, query: dict[str, str]) -> dict[str, Any]:
    """By `id`, by `merchant_order_no` (operators also name the `merchant_id`), or the payments
    created on `day` (Asia/Shanghai), optionally of one `status`, newest first: `data` and
    `next` (the cursor of the following page, or None)."""
    if query.get("id"):
        try:
            return {"data": [row(visible_payment(d, user, query["id"]))], "next": None}
        except NotFound:
            return {"data": [], "next": None}
    if query.get("merchant_order_no"):
        found = _by_order_no(d, user, query["merchant_order_no"], query.get("merchant_id", ""))
        return {"data": found, "next": None}
    status = query.get("status", "")
    if status and status not in STATUSES:
        raise _invalid("status", f"one of {', '.join(STATUSES)}")
    day = report_day(query.get("day", ""))
    merchant_id = user.merchant_id if user.role == "merchant" else query.get("merchant_id", "")
    if merchant_id:
        return _of_merchant_day(d, merchant_id, day, status, query.get("next", ""))
    if query.get("next"):
        raise _invalid("next", "a cursor of a search of one merchant's day")
    return {"data": _of_day(d, user, day, status), "next": None}


def cursor(merchant_id: str, day: date, status: str, before: str) -> str:
    """The `next` of a page: the search it continues and the last payment id it read."""
    text = json.dumps([merchant_id, day.isoformat(), status, before], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _position(token: str, merchant_id: str, day: date, status: str) -> str | None:
    """The payment id a cursor goes on after; a 422 for one of another search, or not ours."""
    if not token:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        decoded = None
    if (
        not isinstance(decoded, list)
        or decoded[:3] != [merchant_id, day.isoformat(), status]
        or len(decoded) != 4
        or not isinstance(decoded[3], str)
        or not PAYMENT_ID.fullmatch(decoded[3])
    ):
        raise _invalid("next", "the cursor of this search's previous page")
    return decoded[3]


def _of_merchant_day(d: Deps, merchant_id: str, day: date, status: str, token: str) -> dict[str, Any]:
    """A page of one merchant's day: the index's ids a page at a time (only this merchant's
    partition key), their payments by BatchGetItem, kept by status until the page is full."""
    before = _position(token, merchant_id, day, status)
    index = MerchantDays(d.dynamodb, d.settings.table)
    found: list[Payment] = []
    read = 0
    while True:
        ids, more = index.newest(merchant_id, day, before, MAX_RESULTS)
        payments = d.payments.get_many(ids)
        for payment_id in ids:
            payment = payments.get(payment_id)
            read += 1
            before = payment_id
            mine = payment is not None and payment.merchant_id == merchant_id
            if mine and payment is not None and (not status or payment.status.value == status):
                found.append(payment)
            if len(found) == MAX_RESULTS:
                more = more or payment_id != ids[-1]
                break
        if not more or len(found) == MAX_RESULTS or read >= MAX_READ:
            break
    next_page = cursor(merchant_id, day, status, before) if more and before else None
    return {"data": [row(p) for p in found], "next": next_page}


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
