"""UnionPay's back notifies (后台通知): verified at their own txnTime, checked against the
account and the order number's issue time, read into a payment's or a refund's event, and
answered. Mixed into UnionPayChannel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from paymux.channels.base import CallbackEvent, ChannelAccount, HttpReply, TradeResult, TradeState
from paymux.channels.unionpay import answers, certificates, form, transform
from paymux.errors import BadRequest, CallbackRejected

MAX_CLOCK_SKEW = 300.0  # seconds a notify's txnTime may be before its number was issued


class UnionPayNotifies:
    _account: ChannelAccount
    _chain: certificates.TrustChain
    _provider: bool

    def _own(self, trade: TradeResult, fields: Mapping[str, str]) -> TradeResult:
        raise NotImplementedError  # UnionPayChannel's

    # -- notifies ----------------------------------------------------------------------------
    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """The backUrl's form POST. Only the body is read (query parameters of the callback
        URL are never part of the signed fields) and empty fields are dropped, as the official
        servlet does; verified at the message's own txnTime, then checked: merId (acqInsCode)
        is the account's, txnTime not before its orderId was issued. Amount, merchant,
        sub-merchant and the exact send time are checked against the order by services/outcomes
        (a refund's by services/callbacks)."""
        fields = certificates.notify_fields(form.parse_post(body))
        number = fields.get("orderId", "")
        try:
            at = transform.parse_txn_time(fields.get("txnTime", ""))
        except ValueError as exc:
            raise CallbackRejected("UnionPay notify without a txnTime") from exc
        certificates.verify_message(fields, self._chain, at)
        self._check_identity(fields)
        _check_order_time(number, fields["txnTime"])
        event_id = "#".join(fields.get(k) or number for k in ("txnType", "queryId", "respCode"))
        if fields.get("txnType") in (transform.REFUND, transform.UNDO):
            refund = answers.refund_result(fields, number, queried=False)
            if self._provider:
                refund = replace(refund, sub_mchid=fields.get("merId", ""))
            return CallbackEvent(event_id, "refund", refund=refund)
        if fields.get("txnType") != transform.CONSUME:
            raise CallbackRejected(f"unexpected UnionPay txnType {fields.get('txnType')!r}")
        code = fields.get("respCode", "")
        # failed transactions get no notify: anything but success is left to the query
        state = TradeState.PAID if code in answers.SUCCEEDED else TradeState.OPEN
        trade = answers.trade_result(fields, number, state, code, "callback")
        return CallbackEvent(event_id, "payment", trade=self._own(trade, fields))

    def _check_identity(self, fields: Mapping[str, str]) -> None:
        if self._provider:
            sender, field_name = fields.get("acqInsCode", ""), "acqInsCode"
            if not fields.get("merId"):
                raise CallbackRejected("UnionPay acquirer notify without merId")
            if not sender:
                return  # compared when present; the sub-merchant's merId is checked per order
        else:
            sender, field_name = fields.get("merId", ""), "merId"
        if sender != self._account.mchid:
            raise CallbackRejected(
                f"UnionPay notify {field_name} {sender or 'absent'} is not this account's",
                reason="merchant_mismatch",
            )

    def callback_ack(self, error: Exception | None) -> HttpReply:
        """UnionPay wants HTTP 200 within 10 s; any other status makes it resend."""
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        if error is None:
            return HttpReply(200, "ok", headers)
        return HttpReply(400 if isinstance(error, CallbackRejected) else 503, "fail", headers)


def _check_order_time(number: str, sent: str) -> None:
    """A notify's txnTime is when its orderId was sent: never before paymux issued the number
    (transform.issued_at; `MAX_CLOCK_SKEW` for clocks). The exact send time is stored with the
    attempt or refund, and compared with the message's (TradeResult/RefundResult.sent_at) by
    the services that know it."""
    try:
        issued = transform.issued_at(transform.order_id(number))
    except BadRequest as exc:
        raise CallbackRejected(f"UnionPay notify for an orderId paymux never sent: {exc.message}") from exc
    if transform.parse_txn_time(sent) < issued - MAX_CLOCK_SKEW:
        raise CallbackRejected(
            "UnionPay notify txnTime is before its order was made", reason="merchant_mismatch"
        )
