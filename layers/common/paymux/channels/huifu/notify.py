"""Huifu 斗拱 notifies (异步通知) of e-CNY payments and refunds: read, verified, answered.

A notify is a form POST `resp_code, resp_desc, sign, resp_data` (resp_data a JSON string).
The signature covers resp_data exactly as it arrived (after the form's percent-decoding; no
re-sorting). The answer Huifu wants is HTTP 200 with `RECV_ORD_ID_<req_seq_id>` within 5 s;
anything else makes it resend, at most 3 times: active queries carry the weight. The same
trade may be notified more than once: its event id is its hf_seq_id (with its trans_stat),
and applying a result already applied changes nothing.

Checked here, before the services check the rest against the order: the signature, that the
message names the account's huifu_id (direct) or a sub-merchant (provider: the services
compare it with the binding), an e-CNY trans_type, a req_seq_id paymux issued, and a
payment's req_date the day that number was issued (transform.attempt_date)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

from paymux.channels.base import CallbackEvent, ChannelAccount, HttpReply, RefundResult, TradeResult
from paymux.channels.huifu import answers, transform
from paymux.channels.huifu.signing import HuifuPublicKey
from paymux.errors import BadRequest, CallbackRejected, ChannelError, ChannelUnavailable

FIELDS = ("resp_code", "resp_desc", "sign", "resp_data")
ACK_PREFIX = "RECV_ORD_ID_"
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def _form(body: bytes) -> dict[str, str]:
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CallbackRejected("Huifu notify is not a UTF-8 form") from exc
    if any(len(values) != 1 for values in parsed.values()):
        raise CallbackRejected("Huifu notify repeats a field")
    form = {k: v[0] for k, v in parsed.items()}
    if not form.get("sign") or not form.get("resp_data"):
        raise CallbackRejected("Huifu notify without sign or resp_data")
    return form


def _data(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CallbackRejected("Huifu notify resp_data is not JSON") from exc
    if not isinstance(data, dict):
        raise CallbackRejected("Huifu notify resp_data is not an object")
    return data


def _check_identity(data: Mapping[str, Any], account: ChannelAccount) -> str:
    huifu_id = str(data.get("huifu_id", ""))
    if account.mode == "provider":
        if not huifu_id:
            raise CallbackRejected("Huifu service-provider notify without huifu_id")
    elif huifu_id != account.mchid:
        raise CallbackRejected(
            f"Huifu notify huifu_id {huifu_id or 'absent'} is not this account's", reason="merchant_mismatch"
        )
    return huifu_id


def _number(data: Mapping[str, Any], payment: bool) -> str:
    number = str(data.get("req_seq_id", ""))
    try:
        transform.seq_id(number)
        issued = transform.attempt_date(number)
    except BadRequest as exc:
        raise CallbackRejected(f"Huifu notify for a req_seq_id paymux never sent: {exc.message}") from exc
    if payment and str(data.get("req_date", "")) != issued:
        raise CallbackRejected("Huifu notify req_date is not its order's", reason="merchant_mismatch")
    return number


def read(body: bytes, key: HuifuPublicKey, account: ChannelAccount) -> CallbackEvent:
    form = _form(body)
    key.verify_text(form["resp_data"], form["sign"])  # CallbackRejected(reason="signature")
    data = _data(form["resp_data"])
    huifu_id = _check_identity(data, account)
    provider = account.mode == "provider"
    kind = str(data.get("trans_type", ""))
    event_id = f"{data.get('hf_seq_id') or data.get('req_seq_id', '')}#{data.get('trans_stat', '')}"
    if kind == answers.REFUND_TRANS_TYPE:
        number = _number(data, payment=False)
        try:
            refund = answers.refund_result(data, number, queried=False)
        except ChannelError as exc:  # a refusal's code, or another pay_channel than e-CNY's
            raise CallbackRejected(f"Huifu refund notify: {exc.message}") from exc
        return CallbackEvent(
            event_id, "refund", refund=with_sub_merchant(refund, huifu_id) if provider else refund
        )
    if kind not in transform.TRADE_TYPES:
        raise CallbackRejected(f"unexpected Huifu trans_type {kind!r} for an e-CNY account")
    number = _number(data, payment=True)
    try:
        trade = answers.stated(data, number, "callback", expired=False)
    except ChannelUnavailable as exc:
        raise CallbackRejected(f"Huifu notify: {exc.message}") from exc
    return CallbackEvent(event_id, "payment", trade=provider_trade(trade) if provider else trade)


def provider_trade(trade: TradeResult) -> TradeResult:
    """A service-provider message: its huifu_id is the sub-merchant's, not the account's."""
    return replace(trade, mchid="", sub_mchid=trade.mchid, carries=trade.carries - {"mchid"})


def with_sub_merchant(result: RefundResult, huifu_id: str) -> RefundResult:
    return replace(result, sub_mchid=huifu_id)


def reply(event: CallbackEvent | None, error: Exception | None) -> HttpReply:
    """200 `RECV_ORD_ID_<req_seq_id>` once applied (or known not ours); otherwise not that,
    so Huifu sends it again (a rejected one with 400, a not-yet-applicable one with 503)."""
    if error is None and event is not None:
        number = (
            event.trade.out_trade_no if event.trade else event.refund.out_refund_no if event.refund else ""
        )
        return HttpReply(200, ACK_PREFIX + number, _TEXT)
    status = 400 if error is None or isinstance(error, CallbackRejected) else 503
    return HttpReply(status, "fail", _TEXT)
