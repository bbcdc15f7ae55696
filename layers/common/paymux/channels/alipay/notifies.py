"""Alipay's asynchronous notifies (异步通知): verified, checked for freshness, read into a
payment's or a refund's event, and answered. Mixed into AlipayChannel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric import rsa

from paymux.channels.alipay import signing, transform
from paymux.channels.alipay.answers import notify_form
from paymux.channels.base import CallbackEvent, ChannelAccount, HttpReply
from paymux.clock import Clock
from paymux.errors import CallbackRejected

MAX_NOTIFY_AGE = 48 * 3600.0
MAX_CLOCK_SKEW = 300.0


class AlipayNotifies:
    _account: ChannelAccount
    _alipay_key: rsa.RSAPublicKey
    _clock: Clock
    _provider: bool

    # -- notifies ----------------------------------------------------------------------------
    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        form = notify_form(body)
        signing.verify_notify(self._alipay_key, form)
        if form.get("notify_type") != "trade_status_sync":
            raise CallbackRejected(f"unexpected Alipay notify_type {form.get('notify_type')!r}")
        if not form.get("notify_id") or not form.get("out_trade_no"):
            raise CallbackRejected("Alipay notify without notify_id or out_trade_no")
        self._check_fresh(form.get("notify_time", ""))
        if transform.is_refund_notify(form):
            if form.get("app_id") != self._account.appid:
                raise CallbackRejected(
                    f"Alipay notify for app {form.get('app_id')}, not this account's",
                    reason="merchant_mismatch",
                )
            refund = transform.refund_notify_result(form)
            if self._provider:
                refund = replace(refund, sub_mchid=str(form.get("seller_id") or ""))
            return CallbackEvent(form["notify_id"], "refund", refund=refund)
        # A payment notify's app_id, seller_id and total_amount are checked against the order
        # and this account by services/outcomes: a disagreement is recorded for operators.
        trade = transform.trade_result(form, message="callback")
        if self._provider:
            trade = transform.provider_trade(trade, form)
        return CallbackEvent(form["notify_id"], "payment", trade=trade)

    def _check_fresh(self, notify_time: str) -> None:
        try:
            sent = transform.parse_china_time(notify_time)
        except ValueError as exc:
            raise CallbackRejected(f"Alipay notify_time {notify_time!r} is not a time") from exc
        self._check_age(sent)

    def _check_age(self, sent: float) -> None:
        """Alipay re-sends one notification for about 25 h (8 tries); anything older than
        MAX_NOTIFY_AGE, or dated in the future, is a replay or a forgery, not a resend."""
        age = self._clock() - sent
        if age > MAX_NOTIFY_AGE or age < -MAX_CLOCK_SKEW:
            raise CallbackRejected("Alipay notify is stale or dated in the future", reason="stale")

    def callback_ack(self, error: Exception | None) -> HttpReply:
        """Alipay reads the body: exactly `success` ends its resends, anything else is retried."""
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        if error is None:
            return HttpReply(200, "success", headers)
        return HttpReply(401 if isinstance(error, CallbackRejected) else 500, "fail", headers)
