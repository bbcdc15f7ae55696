"""Per-payer daily counters: one item per merchant, payer identifier (as a digest) and
Asia/Shanghai day, `PK=PAYERDAY#<merchant>#<kind>#<sha256>#<day>`, `SK=PAYERDAY`, holding
`count` and `amount` of the day's payments that are not CLOSED or FAILED, and the table's TTL
attribute `ttl`. The create transaction takes from it (conditioned on room left), the
transition to CLOSED or FAILED gives back, so both are atomic with the payment."""

from __future__ import annotations

from typing import Any

from paymux.domain.payer_limits import PayerCharge, amount_exceeded, count_exceeded, counter_expiry
from paymux.errors import PayerLimitExceeded
from paymux.store.dynamo import from_item, to_attr

COUNTER_SK = "PAYERDAY"
_NAMES = {"#count": "count", "#amount": "amount", "#ttl": "ttl"}


def _key(counter: str) -> dict[str, Any]:
    return {"PK": {"S": counter}, "SK": {"S": COUNTER_SK}}


def claim_item(table: str, charge: PayerCharge) -> dict[str, Any]:
    """The Update that counts one payment of `charge.amount`, only while both limits have room
    (DynamoDB conditions cannot add: the amount room is the limit minus this payment, which
    `payer_charge` checked is not negative). The old counter comes back on refusal, to tell
    which limit refused."""
    room = []
    values = {":one": to_attr(1), ":a": to_attr(charge.amount), ":ttl": to_attr(charge.expires_at)}
    if charge.daily_count is not None:
        room.append("#count < :max_count")
        values[":max_count"] = to_attr(charge.daily_count)
    if charge.daily_amount is not None:
        room.append("#amount <= :amount_room")
        values[":amount_room"] = to_attr(charge.daily_amount - charge.amount)
    return {
        "Update": {
            "TableName": table,
            "Key": _key(charge.counter),
            "UpdateExpression": "ADD #count :one, #amount :a SET #ttl = if_not_exists(#ttl, :ttl)",
            "ConditionExpression": f"attribute_not_exists(#count) OR ({' AND '.join(room)})",
            "ExpressionAttributeNames": _NAMES,
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def release_item(table: str, counter: str, amount: int) -> dict[str, Any]:
    """The Update that gives one payment back. Unconditioned, so it can never block the
    transition it rides with; a counter already expired comes back negative with a TTL, for a
    day that is over and that no create counts on any more."""
    return {
        "Update": {
            "TableName": table,
            "Key": _key(counter),
            "UpdateExpression": "ADD #count :minus_one, #amount :minus_a "
            "SET #ttl = if_not_exists(#ttl, :ttl)",
            "ExpressionAttributeNames": _NAMES,
            "ExpressionAttributeValues": {
                ":minus_one": to_attr(-1),
                ":minus_a": to_attr(-amount),
                ":ttl": to_attr(counter_expiry(counter)),
            },
        }
    }


def refusal(charge: PayerCharge, reason: dict[str, Any]) -> PayerLimitExceeded:
    """Which limit refused the claim, from the counter as it was (its cancellation reason)."""
    old = from_item(reason.get("Item") or {})
    count = int(old.get("count", 0))
    if charge.daily_count is not None and count >= charge.daily_count:
        return count_exceeded(charge.daily_count)
    return amount_exceeded(charge.daily_amount)
