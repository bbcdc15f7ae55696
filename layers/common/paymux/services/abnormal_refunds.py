"""Re-issuing an ABNORMAL refund (operators): WeChat Pay could not pay it back to the payer's
original account, so it goes again to the merchant's bank account or to another debit card of
the payer (WeChat's apply-abnormal-refund). The refund goes back to PROCESSING and settles like
any other, by its REFUND.SUCCESS callback or by the sweeper's query. Card numbers and names
are passed through to the channel (encrypted there) and are never stored or logged."""

from __future__ import annotations

import logging
from typing import Literal

from paymux.channels.base import AbnormalRefundRequest, Channel
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.refund import Refund
from paymux.domain.states import RefundStatus
from paymux.errors import Conflict, NotFound, ValidationFailed
from paymux.services.refund_outcomes import apply_refund_result

log = logging.getLogger("paymux")
DESTINATIONS: dict[str, Literal["MERCHANT_BANK_CARD", "USER_BANK_CARD"]] = {
    "merchant-card": "MERCHANT_BANK_CARD",
    "user-card": "USER_BANK_CARD",
}


def apply_abnormal_refund(
    d: Deps, refund_id: str, to: str, bank_type: str = "", bank_account: str = "", real_name: str = ""
) -> Refund:
    refund = d.refunds.get(refund_id)
    if refund is None:
        raise NotFound(f"no refund {refund_id}")
    destination = DESTINATIONS.get(to)
    if destination is None:
        raise ValidationFailed(
            "unknown destination", details=[{"field": "to", "message": "merchant-card or user-card"}]
        )
    missing = [
        n
        for n, v in (("bank_type", bank_type), ("bank_account", bank_account), ("real_name", real_name))
        if not v
    ]
    if destination == "USER_BANK_CARD" and missing:
        details = [{"field": name, "message": "required for user-card"} for name in missing]
        raise ValidationFailed("a refund to the payer's card needs the card and the name", details=details)
    if refund.status != RefundStatus.ABNORMAL:
        raise Conflict("refund_not_abnormal", f"refund {refund_id} is {refund.status.value}, not ABNORMAL")
    payment = d.payments.get(refund.payment_id)
    channel = _refund_channel(d, refund, payment)
    apply = getattr(channel, "apply_abnormal_refund", None)
    if apply is None or not refund.channel_refund_no:
        raise Conflict(
            "abnormal_refund_unsupported", f"refund {refund_id} cannot be re-issued through its channel"
        )
    request = AbnormalRefundRequest(
        channel_refund_no=refund.channel_refund_no,
        out_refund_no=refund.out_refund_no,
        to=destination,
        bank_type=bank_type if destination == "USER_BANK_CARD" else "",
        bank_account=bank_account if destination == "USER_BANK_CARD" else "",
        real_name=real_name if destination == "USER_BANK_CARD" else "",
    )
    d.refunds.record_reissue(refund, destination.lower())
    refund = d.refunds.get(refund_id) or refund
    result = apply(request)
    log.info("abnormal refund %s re-issued to %s: %s", refund_id, destination, result.raw_status)
    return apply_refund_result(d, refund, result, actor="operator")


def _refund_channel(d: Deps, refund: Refund, payment: Payment | None) -> Channel | None:
    from paymux.services.refunds import refund_route  # noqa: PLC0415 - loaded on this rare path only
    from paymux.services.routes import RouteRefused, route_channel  # noqa: PLC0415

    if payment is None:
        return None
    try:
        return route_channel(d, refund_route(d, refund, payment))
    except RouteRefused:
        return None
