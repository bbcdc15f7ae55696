"""How a payment is laid out in the table: its key, its paid-day index key (sharded), and the
compact item that leaves out what the reader can restore.

A paid payment's GSI3 key is `PAID#<account_id>#<YYYY-MM-DD>#<shard>`: one busy account's day
is spread over PAID_SHARDS partition keys (a DynamoDB partition key takes about 1,000 writes per
second), and reconciliation reads every shard of the day, plus the unsharded key that payments
paid before the shards existed carry (docs/architecture.md §4)."""

from __future__ import annotations

import json
import zlib
from datetime import date, datetime
from typing import Any

from paymux.clock import CHINA
from paymux.domain.ids import PAYMENT_ID
from paymux.domain.payment import Payment
from paymux.domain.states import PaymentStatus
from paymux.store.dynamo import from_attr, from_item, to_attr

PAID_SHARDS = 16
CREATED_SHARDS = 16  # the unpaid creation-day entries on GSI2 (the daily analytics' success rates)
PAYMENT_FIELDS = frozenset(Payment.__dataclass_fields__)
# Attributes a new payment item leaves out while they hold the dataclass default ("" / {} / 0.0):
# the reader restores the default. The counters amount_refunded / amount_refund_reserved stay,
# since update expressions do arithmetic on them.
_OMITTED_WHEN_DEFAULT = (
    "description",
    "return_url",
    "metadata",
    "payer",
    "channel_trade_no",
    "action",
    "failure_code",
    "failure_message",
    "payer_counter",
    "watch_until",
    "automatic_refunds",
    "binding_id",
    "sub_mchid",
    "sub_appid",
    "settle_date",
    "reversal_rounds",
    "reversal_escalated_at",
)
_DEFAULTS = {name: Payment.__dataclass_fields__[name].default for name in _OMITTED_WHEN_DEFAULT}
_DEFAULT_FACTORIES = {"metadata": dict, "payer": dict, "action": dict, "automatic_refunds": dict}


def payment_key(payment_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"PAY#{payment_id}"}, "SK": {"S": "PAY"}}


def first_attempt_key(out_trade_no: str) -> dict[str, Any] | None:
    """The key of the creation event that holds a first attempt (domain.ids.attempt_out_trade_no:
    the payment's ULID and "01"), or None when `out_trade_no` is not one."""
    payment_id = "pay_" + out_trade_no.removesuffix("01")
    if not out_trade_no.endswith("01") or not PAYMENT_ID.fullmatch(payment_id):
        return None
    return {"PK": {"S": f"PAY#{payment_id}"}, "SK": {"S": "EVT#000001"}}


def shard_of(identity: str, shards: int) -> int:
    """A stable shard of `identity` (CRC-32: the same in every process and release)."""
    return zlib.crc32(identity.encode()) % shards


def paid_day(paid_at: float) -> date:
    """The Asia/Shanghai day of a payment, as statements count days."""
    return datetime.fromtimestamp(paid_at, CHINA).date()


def reconciliation_day(paid_at: float, settle_date: str = "") -> date:
    """The statement day a payment is listed on: the channel's clearing day when it named one
    (UnionPay's settleDate: a payment after its 23:00 cut-off is the next day's), else its
    Asia/Shanghai paid day."""
    return date.fromisoformat(settle_date) if settle_date else paid_day(paid_at)


def paid_day_key(account_id: str, paid_at: float, payment_id: str, settle_date: str = "") -> str:
    """GSI3PK of a paid payment: its account, its reconciliation day and its shard."""
    shard = shard_of(payment_id, PAID_SHARDS)
    return f"PAID#{account_id}#{reconciliation_day(paid_at, settle_date).isoformat()}#{shard}"


def paid_sort_key(payment: Payment) -> str:
    """GSI3SK of a paid payment: its id, then what reconciliation matches a statement row on
    (out_trade_no, amount, currency, binding), none of which changes once it is paid. The
    index's keys are so the day's local side, read without reading the payments (KEYS_ONLY:
    a longer sort key costs no index write unit while the entry stays under 1 KB)."""
    fields = (
        payment.payment_id,
        payment.out_trade_no,
        str(payment.amount),
        payment.currency,
        payment.binding_id,
    )
    return "#".join(fields)


def paid_entry(sort_key: str) -> tuple[str, str, int, str, str] | None:
    """(payment_id, out_trade_no, amount, currency, binding_id) of a GSI3SK, or None for one
    written before the sort key carried them (the payment id alone: read the payment)."""
    parts = sort_key.split("#")
    if len(parts) != 5 or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2]), parts[3], parts[4]


def paid_day_keys(account_id: str, day: date) -> list[str]:
    """Every GSI3PK a payment of `account_id` paid on `day` can carry: the shards, then the
    unsharded key of payments paid before the shards (read until no such day is reconciled)."""
    base = f"PAID#{account_id}#{day.isoformat()}"
    return [f"{base}#{n}" for n in range(PAID_SHARDS)] + [base]


def created_day_key(created_at: float, payment_id: str) -> str:
    """GSI2PK of a payment that ended unpaid (CLOSED, FAILED), set by that transition:
    `CREATED#<creation day, Asia/Shanghai>#<shard>`. The daily analytics page counts a day's
    created payments that no other index holds from it (store.day_payments)."""
    return f"CREATED#{paid_day(created_at).isoformat()}#{shard_of(payment_id, CREATED_SHARDS)}"


def created_day_keys(day: date) -> list[str]:
    return [f"CREATED#{day.isoformat()}#{n}" for n in range(CREATED_SHARDS)]


def payment_values(payment: Payment) -> dict[str, Any]:
    """The payment's attributes as a new item stores them: the status as its value, without the
    defaults the reader restores, and without `request_hash` (the merchant order number's claim
    item holds it, and only that copy is compared)."""
    values = payment.to_dict()
    values["status"] = payment.status.value
    values.pop("request_hash")
    for name in _OMITTED_WHEN_DEFAULT:
        if values[name] == (_DEFAULT_FACTORIES[name]() if name in _DEFAULT_FACTORIES else _DEFAULTS[name]):
            del values[name]
    return values


def payment_from_item(item: dict[str, Any]) -> Payment:
    return payment_from_values(from_item(item))


def payment_from_values(item: dict[str, Any]) -> Payment:
    """A payment from a stored item, old (every attribute) or compact (defaults left out)."""
    values = {k: v for k, v in item.items() if k in PAYMENT_FIELDS}
    values["status"] = PaymentStatus(values["status"])
    values.setdefault("request_hash", "")
    return Payment(**values)


def event_item(
    payment: Payment,
    from_status: PaymentStatus | None,
    to_status: PaymentStatus,
    event_type: str,
    actor: str,
    detail: dict[str, Any],
) -> dict[str, Any]:
    """The audit event of a payment's change, in its partition at the version it wrote."""
    return {
        "PK": f"PAY#{payment.payment_id}",
        "SK": f"EVT#{payment.version:06d}",
        "type": event_type,
        "actor": actor,
        "from_status": from_status.value if from_status else None,
        "to_status": to_status.value,
        "version": payment.version,
        "at": payment.updated_at or payment.created_at,
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
    }


def with_event(update: dict[str, Any], name: str, event: dict[str, Any]) -> dict[str, Any]:
    """A payment's UpdateItem arguments that also set `event` as its attribute `name` (the
    event's own key, `EVT#<version>`), on condition that no event of that version is there."""
    head, remove, tail = update["UpdateExpression"].partition(" REMOVE ")
    return {
        **update,
        "UpdateExpression": f"{head}, #event = :event{remove}{tail}",
        "ConditionExpression": f"{update['ConditionExpression']} AND attribute_not_exists(#event)",
        "ExpressionAttributeNames": {**update["ExpressionAttributeNames"], "#event": name},
        "ExpressionAttributeValues": {**update["ExpressionAttributeValues"], ":event": to_attr(event)},
    }


def kept_events(payment_id: str, item: dict[str, Any]) -> list[dict[str, Any]]:
    """The events a payment item (attribute-value form) keeps as attributes, as event items."""
    return [
        {"PK": f"PAY#{payment_id}", "SK": name, **from_attr(value)}
        for name, value in item.items()
        if name.startswith("EVT#")
    ]
