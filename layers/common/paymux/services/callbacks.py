"""Channel callbacks: verify → decrypt → find the attempt → check it against the order →
conditional transition → the channel's own acknowledgement."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from paymux.channels.base import CallbackEvent, Channel, ChannelAccount, HttpReply, TradeResult, TradeState
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.errors import CallbackRejected, IllegalTransition, PaymuxError
from paymux.observability import correlate, emit_metric
from paymux.services.outcomes import (
    IncompleteTrade,
    TradeMismatch,
    apply_trade_result,
    attempt_owner,
    check_identity,
    record_unapplied,
)
from paymux.services.payments import query_context
from paymux.services.routes import RouteRefused
from paymux.store.exceptions import record_exception

log = logging.getLogger("paymux")


def handle_callback(
    d: Deps, provider: str, account_id: str, headers: Mapping[str, str], body: bytes
) -> HttpReply:
    account = d.channel_config.account(account_id)
    if account is None or account.provider != provider:
        emit_metric("CallbackRejected", provider=provider, reason="unknown_account")
        return HttpReply(404, '{"code":"NOT_FOUND","message":"unknown callback path"}')
    channel = d.channel(account)
    try:
        event = channel.parse_callback(headers, body)
    except CallbackRejected as exc:
        log.warning("callback rejected on %s/%s: %s", provider, account_id, exc.message)
        emit_metric("CallbackRejected", provider=provider, reason=exc.reason)
        return channel.callback_ack(exc)
    correlate(event.event_id)  # verified: from here on, logs carry the channel's event id
    return _applied(d, channel, account, event)


def _ack(channel: Channel, event: CallbackEvent, error: Exception | None) -> HttpReply:
    """The channel's answer to a verified message; a channel whose answer names the message
    (Huifu's `RECV_ORD_ID_<req_seq_id>`) has `event_ack`."""
    event_ack = getattr(channel, "event_ack", None)
    return event_ack(event, error) if callable(event_ack) else channel.callback_ack(error)


def _applied(d: Deps, channel: Channel, account: ChannelAccount, event: CallbackEvent) -> HttpReply:
    provider, account_id = account.provider, account.account_id
    try:
        known = _apply(d, channel, account, event)
    except TradeMismatch as exc:
        # Verified, but it disagrees with our order or its account, or lacks what such a
        # message always carries: recorded for operators (trade_mismatch, incomplete_trade),
        # nothing changed, and not acknowledged so the channel keeps resending it meanwhile.
        key = f"{provider}#{event.event_id}#{exc.code}"
        record_unapplied(d, event.trade, exc, "channel_callback", key=key)
        emit_metric("CallbackRejected", provider=provider, reason=exc.reason)
        return _ack(channel, event, exc)
    except RouteRefused as exc:
        # The attempt's account or binding is not its merchant's (or no longer configured):
        # nothing is applied, operators see why, and the channel resends it meanwhile.
        out_trade_no = event.trade.out_trade_no if event.trade else ""
        detail = {"account_id": account_id, "reason": exc.message, **attempt_owner(d, out_trade_no)}
        record_exception(d, exc.code, out_trade_no, detail, key=f"{provider}#{event.event_id}#{exc.code}")
        return _ack(channel, event, exc)
    except (IllegalTransition, PaymuxError) as exc:
        log.warning("callback %s not applied yet: %s", event.event_id, exc.message)
        reason = exc.reason if isinstance(exc, CallbackRejected) else "not_applicable"
        emit_metric("CallbackRejected", provider=provider, reason=reason)
        return _ack(channel, event, exc)
    if known:
        emit_metric("CallbackAccepted", provider=provider)
    else:  # verified and acknowledged, but about no order of ours: recorded for operators
        emit_metric("CallbackRejected", provider=provider, reason="unknown_order")
    return _ack(channel, event, None)


def _apply(d: Deps, channel: Channel, account: ChannelAccount, event: CallbackEvent) -> bool:
    """Applies a verified message; False when it names no order (or refund) of ours."""
    account_id = account.account_id
    if event.kind == "refund" and event.refund is not None:
        return _apply_refund(d, account_id, event)
    if event.trade is None:
        raise CallbackRejected("a payment callback without a transaction")
    trade = event.trade
    attempt = d.payments.get_attempt(trade.out_trade_no) if trade.out_trade_no else None
    if attempt is None or attempt["account_id"] != account_id:
        # A message naming another merchant than the account it came to is a mismatch;
        # otherwise money may have moved for an order we do not know: never dropped.
        check_identity(trade, account)
        detail = {
            "account_id": account_id,
            "channel_trade_no": trade.channel_trade_no,
            "amount": trade.amount,
        }
        record_exception(d, "unknown_order", trade.out_trade_no, detail, key=f"unknown#{event.event_id}")
        return False
    payment = d.payments.get(attempt["payment_id"])
    if payment is None:
        raise IllegalTransition(f"attempt {trade.out_trade_no} points at a missing payment")
    if account.mode == "provider" and trade.state == TradeState.PAID and not trade.sub_mchid:
        # verified with the provider's keys, which sign for every sub-merchant: a payment
        # message that does not say whose it is cannot be checked against the binding
        raise IncompleteTrade("a paid callback of a provider account without the sub-merchant id")
    apply_trade_result(d, payment, _in_context(channel, trade, payment), actor="channel_callback")
    return True


def _in_context(channel: Channel, trade: TradeResult, payment: Payment) -> TradeResult:
    """The callback's trade as the attempt's context makes it, read the same way as a query's
    answer (Huifu: a QR code's failure after its expiry is a time-out, CLOSED and watched for
    a late payment); a channel without `callback_trade` says it all in the message."""
    read = getattr(channel, "callback_trade", None)
    return read(trade, query_context(payment)) if callable(read) else trade


def _apply_refund(d: Deps, account_id: str, event: CallbackEvent) -> bool:
    from paymux.services.refunds import (  # noqa: PLC0415
        apply_refund_result,
        refund_for_out_refund_no,
        refund_route,
    )

    result = event.refund
    assert result is not None  # narrowing: only refund events come here  # nosec B101
    refund = refund_for_out_refund_no(d, result.out_refund_no)
    payment = d.payments.get(refund.payment_id) if refund else None
    # an automatic refund is of its own attempt's route, a merchant refund of the payment's
    route = refund_route(d, refund, payment) if refund and payment else None
    if refund is None or route is None or route.account.account_id != account_id:
        detail = {
            "account_id": account_id,
            "channel_refund_no": result.channel_refund_no,
            "amount": result.amount,
        }
        record_exception(
            d, "unknown_refund", result.out_refund_no, detail, key=f"unknown-refund#{event.event_id}"
        )
        return False
    sub_mchid = route.binding.sub_mchid if route.binding else ""
    if result.sub_mchid != sub_mchid and (result.sub_mchid or route.binding):
        named = result.sub_mchid or "absent"
        raise TradeMismatch(
            f"sub-merchant id {named} != {sub_mchid or 'none'} (refund {result.out_refund_no})"
        )
    sent, stored = result.sent_at, refund.sent_at
    if sent is not None and stored is not None and int(sent) != int(stored):
        raise TradeMismatch(f"send time {int(sent)} is not refund {result.out_refund_no}'s")
    apply_refund_result(d, refund, result, actor="channel_callback")
    return True
