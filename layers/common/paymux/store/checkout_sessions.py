"""Hosted checkout sessions in the single table.

    CHECKOUT#<session_id> / CHECKOUT         the session: status open → completed | expired,
                                             version (+1 per write, every write conditional on
                                             it), the current attempt number and its payment;
                                             while open on the due index (GSI1PK=DUE#CHECKOUT#n,
                                             GSI1SK=<expires_at>#<session_id>) for the sweeper
                                             to expire; `ttl` = expiry + RETAIN_SECONDS
    MCHECKOUT#<merchant_id>#<merchant_order_no> / MCHECKOUT
                                             session_id and request_hash: one session per order
                                             number, written in the session's own transaction

A session event (checkout.session.completed / .expired) is an outbox item written in the same
transaction as the status change (paymux.store.notifications.notification_item keyed by the
session id: its partition is `PAY#<session_id>`, which the notifier and the sweeper's outbox
re-send read like any other)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from paymux.clock import iso
from paymux.errors import Conflict, IllegalTransition
from paymux.store.due import due_pk, due_sk
from paymux.store.dynamo import cancellation_codes, from_item, to_attr, to_item, transact

RETAIN_SECONDS = 90 * 24 * 3600
OPEN, COMPLETED, EXPIRED = "open", "completed", "expired"
TRANSITIONS = {OPEN: frozenset({COMPLETED, EXPIRED})}


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    session_id: str
    merchant_id: str
    app_id: str
    amount: int
    currency: str
    subject: str
    merchant_order_no: str
    notify_url: str
    return_url: str
    methods: tuple[str, ...]
    created_at: float
    expires_at: float
    request_hash: str
    url: str  # the page on paymux's domain
    status: str = OPEN
    version: int = 1
    attempt: int = 0  # payments started so far; the current one is merchant_order_no <id>.<attempt>
    payment_id: str = ""
    method: str = ""  # the current attempt's method
    completed_at: float = 0.0

    def payment_order_no(self, attempt: int) -> str:
        """The merchant_order_no paymux gives the session's payment attempt number `attempt`."""
        return f"{self.session_id}.{attempt}"


def session_key(session_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"CHECKOUT#{session_id}"}, "SK": {"S": "CHECKOUT"}}


def _to_values(session: CheckoutSession) -> dict[str, Any]:
    values = {
        "PK": f"CHECKOUT#{session.session_id}",
        "SK": "CHECKOUT",
        "kind": "checkout_session",
        **{name: getattr(session, name) for name in CheckoutSession.__slots__},
        "methods": list(session.methods),
        "ttl": int(session.expires_at + RETAIN_SECONDS),
    }
    if session.status == OPEN:
        values["GSI1PK"] = due_pk("checkout", session.session_id)
        values["GSI1SK"] = due_sk(iso(session.expires_at), session.session_id)
    return values


def session_from_item(item: dict[str, Any]) -> CheckoutSession:
    values = from_item(item)
    fields = {name: values[name] for name in CheckoutSession.__slots__ if name in values}
    fields["methods"] = tuple(fields.get("methods") or ())
    for name in ("amount", "version", "attempt"):
        fields[name] = int(fields[name])
    for name in ("created_at", "expires_at", "completed_at"):
        fields[name] = float(fields.get(name, 0.0))
    return CheckoutSession(**fields)


class DuplicateSession(Exception):
    def __init__(self, session_id: str, request_hash: str) -> None:
        super().__init__(session_id)
        self.session_id = session_id
        self.request_hash = request_hash


class CheckoutSessionStore:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def create(self, session: CheckoutSession) -> None:
        """The session and its order-number claim, at once. DuplicateSession: the merchant's
        order number already has a session (nothing was written)."""
        claim = {
            "PK": f"MCHECKOUT#{session.merchant_id}#{session.merchant_order_no}",
            "SK": "MCHECKOUT",
            "session_id": session.session_id,
            "request_hash": session.request_hash,
        }
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(claim),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(_to_values(session)),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
        ]
        try:
            transact(self._ddb, self._table, "checkout_session_create", items)
        except self._ddb.exceptions.TransactionCanceledException as exc:
            if cancellation_codes(exc)[0] != "ConditionalCheckFailed":
                raise
            found = self._ddb.get_item(
                TableName=self._table,
                Key=to_item({"PK": claim["PK"], "SK": "MCHECKOUT"}),
                ConsistentRead=True,
            ).get("Item")
            if not found:
                raise
            raise DuplicateSession(found["session_id"]["S"], found["request_hash"]["S"]) from exc

    def get(self, session_id: str) -> CheckoutSession | None:
        item = self._ddb.get_item(
            TableName=self._table, Key=session_key(session_id), ConsistentRead=True
        ).get("Item")
        return session_from_item(item) if item else None

    def start_attempt(self, session: CheckoutSession, method: str) -> CheckoutSession:
        """Claims the next attempt number for `method` (the previous attempt is closed or was
        never shown to the payer). Conditional on the version, so two concurrent choices get
        one attempt each in turn, never the same number: the loser gets IllegalTransition."""
        changes = {"attempt": session.attempt + 1, "method": method, "payment_id": ""}
        return self._update(session, changes)

    def set_payment(self, session: CheckoutSession, payment_id: str) -> CheckoutSession:
        return self._update(session, {"payment_id": payment_id})

    def transition(self, session: CheckoutSession, updated: CheckoutSession, outbox: dict[str, Any]) -> None:
        """open → completed | expired (`updated`, one version on) with its event's outbox
        item, in one transaction; the session leaves the due index."""
        if updated.status not in TRANSITIONS.get(session.status, frozenset()):
            raise IllegalTransition(
                f"checkout session {session.session_id}: {session.status} → {updated.status}"
            )
        values = _to_values(updated)
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(values),
                    "ConditionExpression": "#status = :open AND version = :version",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":open": to_attr(OPEN),
                        ":version": to_attr(session.version),
                    },
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(outbox),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
        ]
        try:
            transact(self._ddb, self._table, f"checkout_session_{updated.status}", items)
        except self._ddb.exceptions.TransactionCanceledException as exc:
            raise IllegalTransition(f"checkout session {session.session_id} changed meanwhile") from exc

    def _update(self, session: CheckoutSession, changes: dict[str, Any]) -> CheckoutSession:
        if session.status != OPEN:
            raise Conflict("checkout_session_not_open", f"the checkout session is {session.status}")
        updated = replace(session, version=session.version + 1, **changes)
        names = {f"#{k}": k for k in changes} | {"#status": "status"}
        assignments = ", ".join(f"#{k} = :{k}" for k in changes)
        values = {f":{k}": to_attr(v) for k, v in changes.items()}
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=session_key(session.session_id),
                UpdateExpression=f"SET {assignments}, version = :next",
                ConditionExpression="#status = :open AND version = :version",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    **values,
                    ":open": to_attr(OPEN),
                    ":version": to_attr(session.version),
                    ":next": to_attr(updated.version),
                },
            )
        except self._ddb.exceptions.ConditionalCheckFailedException as exc:
            raise IllegalTransition(f"checkout session {session.session_id} changed meanwhile") from exc
        return updated

    # -- the methods' recent use per merchant and kind of device (the page's order) ----------
    def count_use(self, merchant_id: str, device: str, method: str, day: str, now: float) -> None:
        self._ddb.update_item(
            TableName=self._table,
            Key=to_item({"PK": f"CHECKOUTUSE#{merchant_id}#{device}#{day}", "SK": "CHECKOUTUSE"}),
            UpdateExpression="ADD #method :one SET #ttl = :ttl",
            ExpressionAttributeNames={"#method": f"m_{method}", "#ttl": "ttl"},
            ExpressionAttributeValues={":one": to_attr(1), ":ttl": to_attr(int(now + 9 * 86400))},
        )

    def recent_use(self, merchant_id: str, device: str, days: list[str]) -> dict[str, int]:
        keys = [
            to_item({"PK": f"CHECKOUTUSE#{merchant_id}#{device}#{day}", "SK": "CHECKOUTUSE"}) for day in days
        ]
        found = self._ddb.batch_get_item(RequestItems={self._table: {"Keys": keys}})
        counts: dict[str, int] = {}
        for item in found.get("Responses", {}).get(self._table, []):
            for name, value in from_item(item).items():
                if name.startswith("m_"):
                    counts[name[2:]] = counts.get(name[2:], 0) + int(value)
        return counts
