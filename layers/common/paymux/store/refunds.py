"""Refunds: created with an atomic reservation of the payment's refundable amount, settled with
a versioned payment transition, so concurrent refunds can never exceed what was paid."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from paymux.clock import iso
from paymux.domain.payment import Payment
from paymux.domain.refund import Refund
from paymux.domain.states import RefundStatus, check_refund_transition
from paymux.store.due import due_pk
from paymux.store.dynamo import (
    batch_get,
    cancellation_codes,
    from_item,
    query_all,
    to_attr,
    to_item,
    transact,
)
from paymux.store.payment_keys import payment_key

SETTLE_EVENTS = {
    RefundStatus.SUCCESS: "refund.succeeded",
    RefundStatus.FAILED: "refund.failed",
    RefundStatus.ABNORMAL: "refund.abnormal",
    RefundStatus.PROCESSING: "refund.reissued",
}
_FIELDS = frozenset(Refund.__dataclass_fields__)


def refund_key(refund_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"REFUND#{refund_id}"}, "SK": {"S": "REFUND"}}


def refund_from_item(item: dict[str, Any]) -> Refund:
    return refund_from_values(from_item(item))


def refund_from_values(item: dict[str, Any]) -> Refund:
    values = {k: v for k, v in item.items() if k in _FIELDS}
    values["status"] = RefundStatus(values["status"])
    return Refund(**values)


@dataclass(frozen=True, slots=True)
class DuplicateMerchantRefund(Exception):
    refund_id: str
    request_hash: str


class RefundRejected(Exception):
    """The payment is not refundable now (not SUCCESS, or the amount exceeds what is left)."""


def refund_event(
    refund: Refund, event_type: str, actor: str, at: float, detail: dict[str, Any]
) -> dict[str, Any]:
    return {
        "PK": f"PAY#{refund.payment_id}",
        "SK": f"EVT#REFUND#{refund.refund_id}#{refund.version:03d}",
        "type": event_type,
        "actor": actor,
        "from_status": None,
        "to_status": refund.status.value,
        "refund_id": refund.refund_id,
        "at": at,
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
    }


class RefundStore:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def get(self, refund_id: str) -> Refund | None:
        item = self._ddb.get_item(TableName=self._table, Key=refund_key(refund_id), ConsistentRead=True).get(
            "Item"
        )
        return refund_from_item(item) if item else None

    def get_many(self, refund_ids: list[str]) -> dict[str, Refund]:
        """The refunds of `refund_ids` that exist, by id (BatchGetItem, 100 keys a call)."""
        keys = [refund_key(r) for r in dict.fromkeys(refund_ids)]
        return {r.refund_id: r for r in map(refund_from_values, batch_get(self._ddb, self._table, keys))}

    def for_payment(self, payment_id: str) -> list[Refund]:
        """The payment's refunds, oldest first: their keys from GSI2, then the items."""
        entries = query_all(
            self._ddb,
            TableName=self._table,
            IndexName="GSI2",
            KeyConditionExpression="GSI2PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"PAYREFUNDS#{payment_id}"}},
        )
        keys = [{"PK": {"S": e["PK"]}, "SK": {"S": e["SK"]}} for e in entries]
        refunds = [refund_from_values(i) for i in batch_get(self._ddb, self._table, keys)]
        return sorted(refunds, key=lambda r: (r.created_at, r.refund_id))

    @staticmethod
    def _item(refund: Refund, next_check_at: float) -> dict[str, Any]:
        values = refund.to_dict()
        values["status"] = refund.status.value
        return {
            "PK": f"REFUND#{refund.refund_id}",
            "SK": "REFUND",
            **values,
            "GSI1PK": due_pk("refund", refund.refund_id),
            "GSI1SK": f"{iso(next_check_at)}#{refund.refund_id}",
            "GSI2PK": f"PAYREFUNDS#{refund.payment_id}",
            "GSI2SK": f"{iso(refund.created_at)}#{refund.refund_id}",
        }

    def automatic_items(
        self, refund: Refund, next_check_at: float, detail: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The entries that write an automatic refund (and its creation event), for the payment
        transition that records the charge: no reservation, no merchant refund number; the
        refund's id comes from the attempt, so a second write of it fails the transaction."""
        event = refund_event(refund, "refund.created", "paymux", refund.created_at, detail)
        return [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(p),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
            for p in (self._item(refund, next_check_at), event)
        ]

    def create(self, refund: Refund, payment: Payment, next_check_at: float) -> None:
        """Reserves the amount on the payment (condition: SUCCESS and reserved + amount ≤ paid;
        DynamoDB conditions cannot add, so the limit is computed from the immutable amount),
        claims the merchant refund number and writes the refund, atomically."""
        item = self._item(refund, next_check_at)
        claim = {
            "PK": f"MREFUND#{refund.merchant_id}#{refund.merchant_refund_no}",
            "SK": "MREFUND",
            "refund_id": refund.refund_id,
            "request_hash": refund.request_hash,
        }
        event = refund_event(
            refund, "refund.created", "merchant", refund.created_at, {"amount": refund.amount}
        )
        not_exists = "attribute_not_exists(PK)"
        try:
            transact(
                self._ddb,
                self._table,
                f"refund.create#{refund.refund_id}",
                [
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": payment_key(refund.payment_id),
                            "UpdateExpression": "SET amount_refund_reserved = amount_refund_reserved + :a",
                            "ConditionExpression": "#status = :success AND amount_refund_reserved <= :limit",
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": {
                                ":a": to_attr(refund.amount),
                                ":limit": to_attr(payment.amount - refund.amount),
                                ":success": to_attr("SUCCESS"),
                            },
                        }
                    },
                    *(
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": to_item(p),
                                "ConditionExpression": not_exists,
                            }
                        }
                        for p in (claim, item, event)
                    ),
                ],
            )
        except self._ddb.exceptions.TransactionCanceledException as exc:
            codes = cancellation_codes(exc)
            if codes[1:2] == ["ConditionalCheckFailed"]:
                existing = self._ddb.get_item(
                    TableName=self._table,
                    Key={"PK": {"S": claim["PK"]}, "SK": {"S": "MREFUND"}},
                    ConsistentRead=True,
                )["Item"]
                raise DuplicateMerchantRefund(
                    existing["refund_id"]["S"], existing["request_hash"]["S"]
                ) from exc
            if codes[:1] == ["ConditionalCheckFailed"]:
                raise RefundRejected(refund.payment_id) from exc
            raise

    def settle_items(
        self,
        refund: Refund,
        target: RefundStatus,
        changes: dict[str, Any],
        actor: str,
        next_check_at: float | None = None,
        day_entry: tuple[str, str] | None = None,
        detail: dict[str, Any] | None = None,
    ) -> tuple[Refund, list[dict[str, Any]]]:
        """The transaction entries that move `refund` to `target` (conditioned on its status and
        version) and log it; the caller adds them to the payment's transaction. With
        `next_check_at` the refund stays on the due index (ABNORMAL, or re-issued), else it
        leaves it (final). `day_entry`: its (GSI3PK, GSI3SK) on the refunds-by-account-and-day
        index (store/refund_days.py), written with its success and only then. The event is the
        change's one audit event (the payment's transition writes none of its own but REFUNDED):
        its detail is the changes and `detail` (what the change did to the payment)."""
        check_refund_transition(refund.status, target)
        updated = Refund(**{**refund.to_dict(), **changes})
        updated.status, updated.version = target, refund.version + 1
        sets = {**changes, "status": target.value, "version": updated.version}
        names = {f"#a{i}": k for i, k in enumerate(sets)}
        values = {f":v{i}": to_attr(v) for i, v in enumerate(sets.values())}
        values |= {
            ":expected_status": to_attr(refund.status.value),
            ":expected_version": to_attr(refund.version),
        }
        names |= {"#status": "status", "#version": "version"}
        expression = "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(sets)))
        if day_entry is not None:
            expression += ", GSI3PK = :day_pk, GSI3SK = :day_sk"
            values |= {":day_pk": to_attr(day_entry[0]), ":day_sk": to_attr(day_entry[1])}
        if next_check_at is None:
            expression += " REMOVE GSI1PK, GSI1SK"
        else:
            expression += ", GSI1PK = :due_pk, GSI1SK = :due_sk"
            values |= {
                ":due_pk": to_attr(due_pk("refund", refund.refund_id)),
                ":due_sk": to_attr(f"{iso(next_check_at)}#{refund.refund_id}"),
            }
        update = {
            "Update": {
                "TableName": self._table,
                "Key": refund_key(refund.refund_id),
                "UpdateExpression": expression,
                "ConditionExpression": "#status = :expected_status AND #version = :expected_version",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }
        at = float(changes.get("updated_at") or 0)
        event_type = SETTLE_EVENTS[target]
        event = refund_event(
            updated,
            event_type,
            actor,
            at,
            {**{k: v for k, v in changes.items() if k != "updated_at"}, **(detail or {})},
        )
        return updated, [
            update,
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(event),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
        ]

    def release_reservation_item(self, refund: Refund) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": payment_key(refund.payment_id),
                "UpdateExpression": "SET amount_refund_reserved = amount_refund_reserved - :a",
                "ConditionExpression": "amount_refund_reserved >= :a",
                "ExpressionAttributeValues": {":a": to_attr(refund.amount)},
            }
        }

    def transact(self, items: list[dict[str, Any]], operation: str = "refund.settle") -> None:
        transact(self._ddb, self._table, operation, items)

    def record_channel_answer(self, refund: Refund, channel_refund_no: str, next_check_at: float) -> None:
        """Bookkeeping while open (PROCESSING or ABNORMAL): the channel's refund number and the
        next active check. A refund settled meanwhile (its callback can overtake the synchronous
        answer) is left as is."""
        self._bookkeep(
            refund,
            "SET channel_refund_no = :no, GSI1SK = :sk",
            {":no": to_attr(channel_refund_no or refund.channel_refund_no)},
            next_check_at,
        )

    def record_reissue(self, refund: Refund, destination: str) -> None:
        """Where an ABNORMAL refund is re-issued to (merchant_bank_card, user_bank_card), before
        the channel is asked; the merchant sees it on the refund from then on."""
        self._ddb.update_item(
            TableName=self._table,
            Key=refund_key(refund.refund_id),
            UpdateExpression="SET reissued_to = :to",
            ConditionExpression="#status = :abnormal",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":to": to_attr(destination), ":abnormal": to_attr("ABNORMAL")},
        )

    def record_attempt(self, refund: Refund, error_code: str, next_check_at: float) -> None:
        """A submission the channel refused for now (a transient error): counted, with its code,
        and the next attempt scheduled (same out_refund_no)."""
        self._bookkeep(
            refund,
            "SET attempts = if_not_exists(attempts, :zero) + :one, last_error = :error, GSI1SK = :sk",
            {":zero": to_attr(0), ":one": to_attr(1), ":error": to_attr(error_code)},
            next_check_at,
        )

    def _bookkeep(
        self, refund: Refund, expression: str, values: dict[str, Any], next_check_at: float
    ) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=refund_key(refund.refund_id),
                # GSI1PK too: an entry under the old unsharded key moves to its shard
                UpdateExpression=expression + ", GSI1PK = :pk",
                ConditionExpression="#status = :expected AND attribute_exists(GSI1PK)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    **values,
                    ":sk": to_attr(f"{iso(next_check_at)}#{refund.refund_id}"),
                    ":pk": to_attr(due_pk("refund", refund.refund_id)),
                    ":expected": to_attr(refund.status.value),
                },
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return  # it changed meanwhile; whoever changed it owns its schedule
