"""Double success: two attempts of one payment both paid (possible only when an abandoned
attempt was paid after all). The payment keeps the first; the extra charge is refunded
automatically, idempotently (the out_refund_no is derived from the attempt), and the payment's
events say so. The payment's own refundable amount is untouched: this money was never its."""

from __future__ import annotations

import logging
from typing import Any

from paymux.channels.base import ChannelAccount, RefundRequest, RefundResult, RefundState, TradeResult
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.errors import ChannelError
from paymux.store.dynamo import from_item, to_attr, to_item
from paymux.store.exceptions import record_exception

log = logging.getLogger("paymux")
PREFIX = "DUP"


def duplicate_refund_no(out_trade_no: str) -> str:
    return PREFIX + out_trade_no


def is_duplicate_refund(out_refund_no: str) -> bool:
    return out_refund_no.startswith(PREFIX)


def _key(out_refund_no: str) -> dict[str, Any]:
    return {"PK": {"S": f"DUPREFUND#{out_refund_no}"}, "SK": {"S": "DUPREFUND"}}


def refund_duplicate_charge(
    d: Deps,
    payment: Payment,
    trade: TradeResult,
    account: ChannelAccount,
    actor: str,
    event_type: str = "payment.duplicate_charge",
    reason: str = "duplicate payment refunded automatically",
) -> None:
    """Also used for a charge that arrives after the payment was closed or failed (the merchant
    was told it will not be paid): `event_type` "payment.paid_after_close"."""
    from paymux.services.outcomes import transition  # noqa: PLC0415 - outcomes calls this module

    out_refund_no = duplicate_refund_no(trade.out_trade_no)
    table = d.settings.table
    existing = d.dynamodb.get_item(TableName=table, Key=_key(out_refund_no), ConsistentRead=True).get("Item")
    if existing and from_item(existing)["status"] != RefundState.PROCESSING.value:
        return  # already settled
    if existing is None:
        amount = trade.amount if trade.amount is not None else payment.amount
        record = {
            "PK": f"DUPREFUND#{out_refund_no}",
            "SK": "DUPREFUND",
            "payment_id": payment.payment_id,
            "out_trade_no": trade.out_trade_no,
            "channel_trade_no": trade.channel_trade_no,
            "out_refund_no": out_refund_no,
            "amount": amount,
            "account_id": account.account_id,
            "status": RefundState.PROCESSING.value,
            "created_at": d.clock(),
        }
        put = {
            "Put": {
                "TableName": table,
                "Item": to_item(record),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
        detail = {k: record[k] for k in ("out_trade_no", "channel_trade_no", "amount", "out_refund_no")}
        transition(d, payment, payment.status, {}, event_type, actor, detail, extra_items=[put])
    amount = int(from_item(existing)["amount"]) if existing else int(trade.amount or payment.amount)
    request = RefundRequest(
        out_trade_no=trade.out_trade_no,
        out_refund_no=out_refund_no,
        amount=amount,
        total=amount,
        currency=trade.currency or payment.currency,
        reason=reason,
        notify_url=_callback(d, account),
    )
    try:
        result = d.channel(account).refund(request)
    except ChannelError as exc:
        # Recorded; the channel's next retry of this callback, or an active query, drives it again.
        record_exception(
            d,
            "duplicate_refund_pending",
            payment.payment_id,
            {"out_refund_no": out_refund_no, "error": exc.message},
            key=f"dup-pending#{out_refund_no}",
        )
        return
    settle_duplicate_refund(d, result)


def _callback(d: Deps, account: ChannelAccount) -> str:
    from paymux.services.payments import callback_url  # noqa: PLC0415 - one builder for every path

    return callback_url(d, "", account.provider, account.account_id)


def settle_duplicate_refund(d: Deps, result: RefundResult) -> None:
    if result.state not in {RefundState.SUCCESS, RefundState.FAILED}:
        return
    try:
        d.dynamodb.update_item(
            TableName=d.settings.table,
            Key=_key(result.out_refund_no),
            UpdateExpression="SET #status = :final, channel_refund_no = :no",
            ConditionExpression="#status = :processing",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":final": to_attr(result.state.value),
                ":no": to_attr(result.channel_refund_no),
                ":processing": to_attr(RefundState.PROCESSING.value),
            },
        )
    except d.dynamodb.exceptions.ConditionalCheckFailedException:
        return  # settled before (a duplicate callback)
    if result.state == RefundState.FAILED:
        record_exception(
            d, "duplicate_refund_failed", result.out_refund_no, {"raw_status": result.raw_status}
        )
    log.warning("duplicate charge refund %s: %s", result.out_refund_no, result.state.value)


def duplicate_refund(d: Deps, out_refund_no: str) -> dict[str, Any] | None:
    item = d.dynamodb.get_item(TableName=d.settings.table, Key=_key(out_refund_no), ConsistentRead=True).get(
        "Item"
    )
    return from_item(item) if item else None
