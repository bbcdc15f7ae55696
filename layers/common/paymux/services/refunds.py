"""Refunds: partial and multiple, never more than was paid, each settled exactly once whether
the answer comes synchronously, by callback or by active query."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING

from paymux.channels.base import RefundRequest, RefundResult, RefundState
from paymux.deps import Deps
from paymux.domain.ids import new_refund_id
from paymux.domain.payment import Payment
from paymux.domain.refund import Refund, refund_id_from_out_refund_no
from paymux.domain.states import PaymentStatus, RefundStatus
from paymux.errors import (
    ChannelError,
    ChannelUnavailable,
    Conflict,
    IllegalTransition,
    NotFound,
    ValidationFailed,
)
from paymux.services.channel_limits import check_refund_limits
from paymux.services.outcomes import TradeMismatch, notification_for, transition
from paymux.services.payments import callback_url, get_payment
from paymux.store.exceptions import record_exception
from paymux.store.merchants import MerchantApp
from paymux.store.refunds import DuplicateMerchantRefund, RefundRejected

if TYPE_CHECKING:  # pydantic is imported only by handlers that validate a body (cold start)
    from paymux.api.models import CreateRefundRequest

log = logging.getLogger("paymux")
FIRST_CHECK_AFTER = 60.0
LATER_CHECK_EVERY = 600.0
MAX_RACE_RETRIES = 8


def create_refund(
    d: Deps, app: MerchantApp, payment_id: str, request: CreateRefundRequest, api_domain: str
) -> tuple[int, Refund]:

    payment = get_payment(d, app, payment_id)
    check_refund_limits(request, payment.provider)
    now = d.clock()
    canonical = json.dumps({"payment_id": payment_id, **request.model_dump()}, sort_keys=True)
    refund = Refund(
        refund_id=new_refund_id(now),
        payment_id=payment_id,
        merchant_id=app.merchant_id,
        app_id=app.app_id,
        merchant_refund_no=request.merchant_refund_no,
        amount=request.amount,
        currency=payment.currency,
        reason=request.reason,
        request_hash=hashlib.sha256(canonical.encode()).hexdigest(),
        created_at=now,
        updated_at=now,
    )
    try:
        d.refunds.create(refund, payment, next_check_at=now + FIRST_CHECK_AFTER)
    except DuplicateMerchantRefund as dup:
        existing = d.refunds.get(dup.refund_id)
        if existing is None or dup.request_hash != refund.request_hash:
            raise Conflict(
                "duplicate_merchant_refund_no",
                f"merchant_refund_no {request.merchant_refund_no} was already used with different parameters",
            ) from None
        return 200, existing
    except RefundRejected:
        raise _rejection(d, payment_id, request.amount) from None
    return 201, submit_refund(d, refund, payment, api_domain)


def _rejection(d: Deps, payment_id: str, amount: int) -> Exception:
    payment = d.payments.get(payment_id)
    if payment is None or payment.status != PaymentStatus.SUCCESS:
        status = payment.status if payment else "missing"
        return Conflict("payment_not_refundable", f"a {status} payment cannot be refunded")
    left = payment.amount - payment.amount_refund_reserved
    return ValidationFailed(
        "refund amount exceeds what is refundable",
        details=[{"field": "amount", "message": f"{amount} > refundable {left} fen"}],
    )


def submit_refund(d: Deps, refund: Refund, payment: Payment, api_domain: str = "") -> Refund:
    account = d.channel_config.account(payment.account_id)
    if account is None:
        raise ChannelUnavailable(f"channel account {payment.account_id} is no longer configured")
    request = RefundRequest(
        out_trade_no=payment.out_trade_no,
        out_refund_no=refund.out_refund_no,
        amount=refund.amount,
        total=payment.amount,
        currency=refund.currency,
        reason=refund.reason,
        notify_url=callback_url(d, api_domain, account.provider, account.account_id),
    )
    try:
        result = d.channel(account).refund(request)
    except ChannelUnavailable as exc:
        log.warning("refund %s outcome unknown: %s; the sweeper will query", refund.refund_id, exc.message)
        return refund
    except ChannelError as exc:
        result = RefundResult(
            refund.out_refund_no, RefundState.FAILED, raw_status=exc.channel_code or exc.code
        )
        return apply_refund_result(d, refund, result, actor="channel", failure_message=exc.message)
    return apply_refund_result(d, refund, result, actor="channel")


def apply_refund_result(
    d: Deps, refund: Refund, result: RefundResult, actor: str, failure_message: str = ""
) -> Refund:
    """Settles a PROCESSING refund from the channel's word; idempotent, race-safe."""
    now = d.clock()
    if (
        result.state in {RefundState.PROCESSING, RefundState.NOT_FOUND}
        or refund.status != RefundStatus.PROCESSING
    ):
        if result.state == RefundState.PROCESSING and refund.status == RefundStatus.PROCESSING:
            d.refunds.record_channel_answer(refund, result.channel_refund_no, now + LATER_CHECK_EVERY)
        return refund
    if result.amount is not None and result.amount != refund.amount:
        raise TradeMismatch(f"refund amount {result.amount} != {refund.amount}")
    for _ in range(MAX_RACE_RETRIES):
        try:
            if result.state == RefundState.SUCCESS:
                return _succeed(d, refund, result, actor, now)
            return _fail(d, refund, result, actor, now, failure_message)
        except IllegalTransition:
            fresh = d.refunds.get(refund.refund_id)
            if fresh is None or fresh.status != RefundStatus.PROCESSING:
                return fresh or refund  # someone else settled it
            refund = fresh
    raise IllegalTransition(f"refund {refund.refund_id} kept racing; giving up this pass")


def _succeed(d: Deps, refund: Refund, result: RefundResult, actor: str, now: float) -> Refund:
    payment = d.payments.get(refund.payment_id)
    if payment is None:
        raise NotFound(f"payment {refund.payment_id} is missing")
    changes = {
        "updated_at": now,
        "succeeded_at": result.succeeded_at or now,
        "channel_refund_no": result.channel_refund_no,
    }
    settled, items = d.refunds.settle_items(refund, RefundStatus.SUCCESS, changes, actor)
    items.append(_put(d, notification_for("refund.succeeded", now, settled)(payment)))
    refunded = payment.amount_refunded + refund.amount
    target = PaymentStatus.REFUNDED if refunded == payment.amount else payment.status
    detail = {"refund_id": refund.refund_id, "amount": refund.amount, "amount_refunded": refunded}
    transition(
        d,
        payment,
        target,
        {"amount_refunded": refunded},
        "refund.succeeded",
        actor,
        detail,
        extra_items=items,
    )
    return settled


def _fail(d: Deps, refund: Refund, result: RefundResult, actor: str, now: float, message: str) -> Refund:
    payment = d.payments.get(refund.payment_id)
    if payment is None:
        raise NotFound(f"payment {refund.payment_id} is missing")
    changes = {
        "updated_at": now,
        "failure_code": result.raw_status or "FAILED",
        "failure_message": message or "the channel did not refund",
    }
    settled, items = d.refunds.settle_items(refund, RefundStatus.FAILED, changes, actor)
    items.append(d.refunds.release_reservation_item(refund))
    items.append(_put(d, notification_for("refund.failed", now, settled)(payment)))
    try:
        d.refunds.transact(items)
    except d.dynamodb.exceptions.TransactionCanceledException as exc:
        raise IllegalTransition(f"refund {refund.refund_id} changed concurrently") from exc
    if result.raw_status == "ABNORMAL":
        record_exception(d, "refund_abnormal", refund.refund_id, {"payment_id": refund.payment_id})
    from paymux.services.notifications import enqueue_latest  # noqa: PLC0415 - import cycle

    enqueue_latest(d, payment)
    return settled


def _put(d: Deps, item: dict[str, object]) -> dict[str, object]:
    from paymux.store.dynamo import to_item  # noqa: PLC0415

    return {
        "Put": {
            "TableName": d.settings.table,
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def get_refund(d: Deps, app: MerchantApp, refund_id: str) -> Refund:
    refund = d.refunds.get(refund_id)
    if refund is None or refund.merchant_id != app.merchant_id:
        raise NotFound(f"no refund {refund_id}")
    return refund


def refund_for_out_refund_no(d: Deps, out_refund_no: str) -> Refund | None:
    return d.refunds.get(refund_id_from_out_refund_no(out_refund_no))


def refresh_refund(d: Deps, refund: Refund) -> Refund:
    """Active query of a PROCESSING refund; one the channel never received is sent again
    (same out_refund_no, so it cannot refund twice)."""
    payment = d.payments.get(refund.payment_id)
    account = d.channel_config.account(payment.account_id) if payment else None
    if payment is None or account is None:
        return refund
    result = d.channel(account).query_refund(refund.out_refund_no, payment.out_trade_no)
    if result.state == RefundState.NOT_FOUND:
        return submit_refund(d, refund, payment)
    return apply_refund_result(d, refund, result, actor="active_query")
