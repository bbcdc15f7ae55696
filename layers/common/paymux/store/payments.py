"""Payments, merchant-order-number uniqueness, attempts and the audit trail, in one table.

Every status change is one TransactWriteItems: the payment update conditioned on the expected
status and version, the event put conditioned on its absence, and (for outcomes the merchant
must hear about) the notification outbox item. Nothing changes status any other way. A
refund's settlement is a payment transition too (its amounts, REFUNDED when all is refunded)
whose audit event is the refund's own: it writes a payment event only for REFUNDED
(`payment.refunded`), so one change is never listed twice.

A change that writes nothing but the payment and its event (today: the submission, PENDING →
PROCESSING) is one conditional UpdateItem instead (1 WRU, not the transaction's 2 per item): the
event is kept on the payment item itself, as the attribute named by its own key (`EVT#000002`),
set by the same conditional write, never rewritten afterwards, and read back by `events` with
the event items. The audit trail is the same; only where one event lives differs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from paymux.clock import iso
from paymux.domain.payer_limits import PayerCharge
from paymux.domain.payment import Payment
from paymux.domain.states import (
    TERMINAL_PAYMENT_STATES,
    PaymentStatus,
    check_payment_transition,
)
from paymux.errors import IllegalTransition
from paymux.store.due import DUE_SHARDS, DueIndex, due_pk
from paymux.store.dynamo import (
    batch_get,
    cancellation_codes,
    cancellation_reasons,
    from_attr,
    from_item,
    query_all,
    to_attr,
    to_item,
    transact,
)
from paymux.store.merchant_days import merchant_day_key
from paymux.store.payer_limits import claim_item, refusal, release_item
from paymux.store.payment_keys import (
    PAYMENT_FIELDS,
    created_day_key,
    event_item,
    first_attempt_key,
    kept_events,
    paid_day_key,
    paid_day_keys,
    paid_sort_key,
    payment_from_item,
    payment_from_values,
    payment_key,
    payment_values,
    with_event,
)
from paymux.store.wire_items import index_sort_keys

__all__ = ["DuplicateMerchantOrder", "Outcome", "PaymentStore", "payment_from_item", "payment_key"]

__all__ = ["DUE_SHARDS", "PaymentStore", "due_shard"]
# A payment that ends unpaid gives its place in the payer's daily limits back; a paid one keeps it.
RELEASING_STATES = frozenset({PaymentStatus.CLOSED, PaymentStatus.FAILED})


def due_shard(payment_id: str) -> str:
    return due_pk("payment", payment_id)


def _day_index_keys(payment: Payment, updated: Payment, changes: dict[str, Any]) -> dict[str, str]:
    """The day indexes a transition puts the payment on: GSI3 (its paid day) when it is paid,
    GSI2 (its creation day) when it ends unpaid."""
    if updated.status == PaymentStatus.SUCCESS and changes.get("paid_at") is not None:
        # The account that was paid: the changes move the payment to the paid attempt's
        # account (a fallback's earlier attempt may be the one paid).
        pk = paid_day_key(updated.account_id, changes["paid_at"], payment.payment_id, updated.settle_date)
        return {"GSI3PK": pk, "GSI3SK": paid_sort_key(updated)}
    if updated.status in RELEASING_STATES and payment.status not in RELEASING_STATES:
        # Ended unpaid: of the day's created payments, the ones no other index holds (the daily
        # analytics, store.day_payments). Set once: nothing leaves CLOSED or FAILED.
        return {
            "GSI2PK": created_day_key(payment.created_at, payment.payment_id),
            "GSI2SK": payment.payment_id,
        }
    return {}


def _audit_event(payment: Payment, updated: Payment, outcome: Outcome) -> dict[str, Any] | None:
    """The transition's own event, at the version it writes (none: see Outcome)."""
    if outcome.event_type is None:
        return None
    kind, actor, detail = outcome.event_type, outcome.actor, outcome.detail
    return event_item(updated, payment.status, updated.status, kind, actor, detail)


@dataclass(frozen=True, slots=True)
class DuplicateMerchantOrder(Exception):
    payment_id: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a transition appends: the audit event, and optionally a notification to enqueue.
    No event (`event_type` None) where the change is another's, recorded by that one's event
    among the transition's extra items: a refund's settlement moves the payment's amounts, and
    its audit event is the refund's (store/refunds.settle_items), not a second one."""

    event_type: str | None
    actor: str
    detail: dict[str, Any]
    # Builds the outbox item from the payment as it will be after the transition.
    notification: Callable[[Payment], dict[str, Any]] | None = None


class PaymentStore:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    # -- reads -------------------------------------------------------------------------------
    def get(self, payment_id: str) -> Payment | None:
        item = self._ddb.get_item(
            TableName=self._table, Key=payment_key(payment_id), ConsistentRead=True
        ).get("Item")
        return payment_from_item(item) if item else None

    def get_by_merchant_order_no(self, merchant_id: str, merchant_order_no: str) -> Payment | None:
        ref = self._ddb.get_item(
            TableName=self._table,
            Key={"PK": {"S": f"MORDER#{merchant_id}#{merchant_order_no}"}, "SK": {"S": "MORDER"}},
            ConsistentRead=True,
        ).get("Item")
        return self.get(ref["payment_id"]["S"]) if ref else None

    def get_attempt(self, out_trade_no: str) -> dict[str, Any] | None:
        """The attempt a channel knows as `out_trade_no`: a first attempt is kept on its
        payment's creation event, a fallback's (and an older payment's first) on its own item."""
        key = first_attempt_key(out_trade_no)
        if key is not None:
            event = self._ddb.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
            if event and "attempt" in event:
                return dict(from_item(event)["attempt"])
        item = self._ddb.get_item(
            TableName=self._table,
            Key={"PK": {"S": f"ATTEMPT#{out_trade_no}"}, "SK": {"S": "ATTEMPT"}},
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None

    def attempts_of(self, out_trade_nos: Iterable[str]) -> dict[str, dict[str, Any]]:
        """get_attempt of many out_trade_nos in BatchGetItem calls: first attempts from their
        creation events, the others (and an older payment's first) from their own items."""
        wanted = list(dict.fromkeys(out_trade_nos))
        found: dict[str, dict[str, Any]] = {}
        events = {key["PK"]["S"]: (no, key) for no in wanted if (key := first_attempt_key(no)) is not None}
        for event in batch_get(self._ddb, self._table, [key for _, key in events.values()]):
            if "attempt" in event:  # the payment's partition names its first attempt
                found[events[str(event["PK"])][0]] = dict(event["attempt"])
        rest = [{"PK": {"S": f"ATTEMPT#{no}"}, "SK": {"S": "ATTEMPT"}} for no in wanted if no not in found]
        for item in batch_get(self._ddb, self._table, rest):
            found.setdefault(str(item["out_trade_no"]), item)
        return found

    def events(self, payment_id: str) -> list[dict[str, Any]]:
        """The payment's audit events: its event items and those kept on the payment item."""
        events = self._query_partition(f"PAY#{payment_id}", "EVT#")
        item = self._ddb.get_item(
            TableName=self._table, Key=payment_key(payment_id), ConsistentRead=True
        ).get("Item", {})
        return sorted([*events, *kept_events(payment_id, item)], key=lambda e: str(e["SK"]))

    def _query_partition(self, pk: str, prefix: str) -> list[dict[str, Any]]:
        return query_all(
            self._ddb,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": prefix}},
            ConsistentRead=True,
        )

    def due(self, shard: int, now: float) -> list[Payment]:
        """Every payment of due shard `shard` due by `now` (claimed ones included: their entry
        is then ahead of its check), read from the item itself (the index holds keys only)."""
        index = DueIndex(self._ddb, self._table)
        keys = [k.table_key for k in index.due_on("payment", f"DUE#PAY#{shard}", iso(now) + "~")]
        return [payment_from_item(i) for i in index.get_items(keys).values()]

    def paid_on(self, account_id: str, day: date) -> list[Payment]:
        """Payments of `account_id` that succeeded on `day` (Asia/Shanghai): the keys from every
        shard of the day in GSI3 (KEYS_ONLY), then the items themselves, read consistently."""
        keys = [
            {"PK": {"S": i["PK"]}, "SK": {"S": i["SK"]}}
            for pk in paid_day_keys(account_id, day)
            for i in query_all(
                self._ddb,
                TableName=self._table,
                IndexName="GSI3",
                KeyConditionExpression="GSI3PK = :pk",
                ExpressionAttributeValues={":pk": {"S": pk}},
            )
        ]
        items = batch_get(self._ddb, self._table, keys)
        return sorted((payment_from_values(i) for i in items), key=lambda p: p.payment_id)

    def paid_sort_keys(self, account_id: str, day: date) -> list[str]:
        """The GSI3SK of every payment of `account_id` paid on `day` (payment_keys.paid_entry
        reads them): every key of the day queried at once, one thread each, each page projected
        to GSI3SK alone (what an answer of the index costs to parse is per attribute)."""
        return index_sort_keys(
            self._ddb, self._table, "GSI3", paid_day_keys(account_id, day), name="paid-day"
        )

    def get_many(self, payment_ids: Iterable[str]) -> dict[str, Payment]:
        """The payments of `payment_ids` that exist, by id (BatchGetItem, 100 keys a call)."""
        keys = [payment_key(pid) for pid in dict.fromkeys(payment_ids)]
        return {p.payment_id: p for p in map(payment_from_values, batch_get(self._ddb, self._table, keys))}

    # -- writes ------------------------------------------------------------------------------
    def create(
        self,
        payment: Payment,
        attempt: dict[str, Any],
        next_check_at: float,
        charge: PayerCharge | None = None,
    ) -> None:
        """Writes the payment, its merchant-order-number claim and its creation event (which
        carries the first attempt: see get_attempt) atomically, and takes `charge` from the
        payer's counter of the day.
        Raises DuplicateMerchantOrder if the number is taken (also when the payer is at a
        limit: a repeated create is answered as one), PayerLimitExceeded if the counter has no
        room; nothing is written then."""
        order_key = f"MORDER#{payment.merchant_id}#{payment.merchant_order_no}"
        payment_item = {
            "PK": f"PAY#{payment.payment_id}",
            "SK": "PAY",
            **payment_values(payment),
            "GSI1PK": due_shard(payment.payment_id),
            "GSI1SK": f"{iso(next_check_at)}#{payment.payment_id}",
        }
        event = event_item(payment, None, payment.status, "payment.created", "merchant", {})
        event["attempt"] = attempt
        not_exists = "attribute_not_exists(PK)"
        puts = [
            {
                "PK": order_key,
                "SK": "MORDER",
                "payment_id": payment.payment_id,
                "request_hash": payment.request_hash,
                # the merchant's day search (store.merchant_days): written here only
                "GSI3PK": merchant_day_key(payment.merchant_id, payment.created_at),
                "GSI3SK": payment.payment_id,
            },
            payment_item,
            event,
        ]
        items = [
            {"Put": {"TableName": self._table, "Item": to_item(p), "ConditionExpression": not_exists}}
            for p in puts
        ]
        if charge is not None:
            items.append(claim_item(self._table, charge))  # last: its reason is the last one
        try:
            transact(self._ddb, self._table, f"payment.create#{payment.payment_id}", items)
        except self._ddb.exceptions.TransactionCanceledException as exc:
            refused = self._create_refused(exc, order_key, charge)
            if refused is None:
                raise
            raise refused from exc

    def _create_refused(self, exc: Exception, order_key: str, charge: PayerCharge | None) -> Exception | None:
        reasons = cancellation_reasons(exc)
        if not any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
            return None
        claim = self._ddb.get_item(
            TableName=self._table,
            Key={"PK": {"S": order_key}, "SK": {"S": "MORDER"}},
            ConsistentRead=True,
        ).get("Item")
        if claim:
            return DuplicateMerchantOrder(claim["payment_id"]["S"], claim["request_hash"]["S"])
        if charge is not None and reasons[-1].get("Code") == "ConditionalCheckFailed":
            return refusal(charge, reasons[-1])
        return None

    def add_attempt(self, payment: Payment, attempt: dict[str, Any], changes: dict[str, Any]) -> Payment:
        """Records a further channel attempt (fallback) on a still-PENDING payment."""
        return self.transition(
            payment,
            payment.status,
            changes,
            Outcome(
                "payment.attempt_added",
                "paymux",
                {
                    "out_trade_no": attempt["out_trade_no"],
                    "account_id": attempt["account_id"],
                    "method": attempt["product"],
                    "routing": attempt.get("routing", {}),
                },
            ),
            extra_puts=[{"PK": f"ATTEMPT#{attempt['out_trade_no']}", "SK": "ATTEMPT", **attempt}],
        )

    def transition(
        self,
        payment: Payment,
        target: PaymentStatus,
        changes: dict[str, Any],
        outcome: Outcome,
        *,
        extra_puts: list[dict[str, Any]] | None = None,
        extra_items: list[dict[str, Any]] | None = None,
    ) -> Payment:
        """Moves `payment` (as read, at its version) to `target`; raises IllegalTransition if the
        state machine forbids it or if another writer changed the payment first (or if one of
        `extra_items`, further TransactWriteItems entries such as a refund's update, fails)."""
        if target != payment.status:
            check_payment_transition(payment.status, target)
        now = changes.get("updated_at") or payment.updated_at
        updated = Payment(**{**payment.to_dict(), **changes})
        updated.status = target
        updated.version = payment.version + 1
        updated.updated_at = now
        # Only what changes: an attribute left out at its default stays out (the reader restores it).
        sets = {k: v for k, v in changes.items() if k in PAYMENT_FIELDS and v != getattr(payment, k)}
        sets.update({"status": target.value, "version": updated.version, "updated_at": now})
        sets.update(_day_index_keys(payment, updated, changes))
        names = {f"#a{i}": k for i, k in enumerate(sets)}
        values = {f":v{i}": to_attr(v) for i, v in enumerate(sets.values())}
        values[":expected_status"] = to_attr(payment.status.value)
        values[":expected_version"] = to_attr(payment.version)
        names["#status"] = "status"
        names["#version"] = "version"
        expression = "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(sets)))
        if target in TERMINAL_PAYMENT_STATES and updated.watch_until > now:
            # still asked by the sweeper (see Payment.watch_until), first in a minute
            next_check = min(now + 60, updated.watch_until)
            values[":due_pk"] = to_attr(due_shard(payment.payment_id))
            values[":due_sk"] = to_attr(f"{iso(next_check)}#{payment.payment_id}")
            expression += ", GSI1PK = :due_pk, GSI1SK = :due_sk"
        elif target in TERMINAL_PAYMENT_STATES:
            expression += " REMOVE GSI1PK, GSI1SK"
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": payment_key(payment.payment_id),
                    "UpdateExpression": expression,
                    "ConditionExpression": "#status = :expected_status AND #version = :expected_version",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
        ]
        event = _audit_event(payment, updated, outcome)
        puts = [*([event] if event else []), *(extra_puts or [])]
        if outcome.notification is not None:
            puts.append(outcome.notification(updated))
        items.extend(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(p),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
            for p in puts
        )
        if target in RELEASING_STATES and payment.status not in RELEASING_STATES and payment.payer_counter:
            items.append(release_item(self._table, payment.payer_counter, payment.amount))
        items.extend(extra_items or [])
        if event is not None and len(items) == 2:  # the payment and its event alone: one write
            return self._write_with_event(payment, updated, items[0]["Update"], event)
        try:
            operation = f"payment.transition#{payment.payment_id}#v{payment.version}>{target.value}"
            transact(self._ddb, self._table, operation, items)
        except self._ddb.exceptions.TransactionCanceledException as exc:
            if "ConditionalCheckFailed" in cancellation_codes(exc):
                raise IllegalTransition(
                    f"payment {payment.payment_id} changed concurrently "
                    f"(expected {payment.status} at version {payment.version})"
                ) from exc
            raise
        return updated

    def _write_with_event(
        self, payment: Payment, updated: Payment, update: dict[str, Any], event: dict[str, Any]
    ) -> Payment:
        """The transition's update, with its event set on the payment item (see the module
        docstring) under the condition that no event of that version is there yet."""
        kept = {k: v for k, v in event.items() if k not in ("PK", "SK")}
        try:
            self._ddb.update_item(**with_event(update, event["SK"], kept))
        except self._ddb.exceptions.ConditionalCheckFailedException as exc:
            stored = self._ddb.get_item(
                TableName=self._table, Key=payment_key(payment.payment_id), ConsistentRead=True
            ).get("Item", {})
            if event["SK"] in stored and from_attr(stored[event["SK"]]) == kept:
                return updated  # our own write, retried by the SDK after its answer was lost
            raise IllegalTransition(
                f"payment {payment.payment_id} changed concurrently "
                f"(expected {payment.status} at version {payment.version})"
            ) from exc
        return updated

    def stop_watching(self, payment: Payment) -> None:
        """Takes a payment off the sweeper's index: a closed one once its watch is over, an open
        one whose reversal an operator decides (services/reversal_review)."""
        self._schedule(payment, "REMOVE GSI1PK, GSI1SK", {})

    def reschedule(self, payment: Payment, next_check_at: float) -> None:
        """Moves an open (or watched) payment's next active check; bookkeeping, not a
        transition, so it is conditioned on the payment being on the index at the version read."""
        sk = {":sk": {"S": f"{iso(next_check_at)}#{payment.payment_id}"}}
        self._schedule(payment, "SET GSI1SK = :sk", sk, " AND attribute_exists(GSI1PK)")

    def _schedule(self, payment: Payment, update: str, values: dict[str, Any], condition: str = "") -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=payment_key(payment.payment_id),
                UpdateExpression=update,
                ConditionExpression="#version = :v" + condition,
                ExpressionAttributeNames={"#version": "version"},
                ExpressionAttributeValues={":v": {"N": str(payment.version)}, **values},
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return  # it changed meanwhile; the writer that changed it owns its schedule
