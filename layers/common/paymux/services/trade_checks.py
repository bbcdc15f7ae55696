"""Whether a channel's word about a trade agrees with our order: amount, currency, the
account's merchant and app ids, the sub-merchant, the send time. A disagreement is a
TradeMismatch, and changes nothing."""

from __future__ import annotations

from collections.abc import Mapping

from paymux.channels.base import CHECKED_FIELD_LABELS, ChannelAccount, TradeResult, TradeState
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.errors import PaymuxError
from paymux.store.bindings import Binding


class TradeMismatch(PaymuxError):
    """A verified channel message that disagrees with our order (amount, currency, merchant)."""

    status = 400
    code = "trade_mismatch"

    def __init__(self, message: str, *, reason: str = "amount_mismatch") -> None:
        super().__init__(message)
        self.reason = reason  # the CallbackRejected metric's reason (observability.CALLBACK_REASONS)


class IncompleteTrade(TradeMismatch):
    """A verified PAID message without a checked field its kind of message always carries
    (TradeResult.carries): it cannot be checked, so it is not believed."""

    code = "incomplete_trade"


# provider mode: the sub-merchant a message names, compared with the attempt's binding
SUB_MERCHANT_LABELS = {"sub_mchid": "sub-merchant id", "sub_appid": "sub-merchant app id"}


FIELD_LABELS = CHECKED_FIELD_LABELS | SUB_MERCHANT_LABELS


ABSENT = "absent"


def field_problems(
    values: Mapping[str, object], expected: Mapping[str, object], carries: frozenset[str]
) -> dict[str, str]:
    """Checked field → what is wrong with it: a present value that differs from `expected`
    ("amount 1 != 2500"), or ABSENT for a field of `carries` the message does not have. A field
    outside `carries` is compared only when present (the message type does not have it)."""
    problems = {}
    for name, want in expected.items():
        value = values.get(name)
        if value is None or value == "":
            if name in carries:
                problems[name] = ABSENT
        elif value != want:
            problems[name] = f"{FIELD_LABELS[name]} {value} != {want}"
    return problems


def raise_problems(problems: Mapping[str, str], *, paid: bool) -> None:
    """A disagreement is a TradeMismatch; a missing field makes a PAID word an IncompleteTrade
    (an unpaid word, CLOSED or FAILED, is compared on the fields it has)."""
    mismatched = [problem for problem in problems.values() if problem != ABSENT]
    if mismatched:
        amounts = {"amount", "currency"}.issuperset(n for n, p in problems.items() if p != ABSENT)
        raise TradeMismatch(
            "; ".join(mismatched), reason="amount_mismatch" if amounts else "merchant_mismatch"
        )
    missing = [FIELD_LABELS[name] for name, problem in problems.items() if problem == ABSENT]
    if missing and paid:
        raise IncompleteTrade(f"a paid answer without {', '.join(missing)}", reason="incomplete")


def check_trade(
    payment: Payment, trade: TradeResult, account: ChannelAccount, binding: Binding | None = None
) -> None:
    """Before a channel's PAID, CLOSED or FAILED word changes anything: amount and currency must
    be the order's, merchant id and app id the account's, and the sub-merchant the attempt's
    binding's (none in direct mode); PAID must carry all it always has."""
    values = {"amount": trade.amount, "currency": trade.currency, "mchid": trade.mchid, "appid": trade.appid}
    values |= {"sub_mchid": trade.sub_mchid, "sub_appid": trade.sub_appid}
    expected: dict[str, object] = {
        "amount": payment.amount,
        "currency": payment.currency,
        "mchid": account.mchid,
        "appid": account.appid,
        "sub_mchid": binding.sub_mchid if binding else "",
        "sub_appid": binding.sub_appid if binding else "",
    }
    raise_problems(field_problems(values, expected, trade.carries), paid=trade.state == TradeState.PAID)


def check_sent_at(trade: TradeResult, sent_at: float | None) -> None:
    """A message that names when the attempt's request was sent (UnionPay's txnTime, whole
    seconds) must name the time stored with the attempt; compared when both are known."""
    if trade.sent_at is None or sent_at is None or int(trade.sent_at) == int(sent_at):
        return
    raise TradeMismatch(
        f"send time {int(trade.sent_at)} != {int(sent_at)} (attempt {trade.out_trade_no})",
        reason="merchant_mismatch",
    )


def attempt_sent_at(d: Deps, payment: Payment, out_trade_no: str) -> float | None:
    """When attempt `out_trade_no` of `payment` was (last) sent: the payment's for its current
    attempt, else the attempt's own record's (None when it has none)."""
    if out_trade_no == payment.out_trade_no:
        return payment.sent_at
    attempt = d.payments.get_attempt(out_trade_no) or {}
    value = attempt.get("sent_at")
    return float(value) if value is not None else None


def check_identity(trade: TradeResult, account: ChannelAccount) -> None:
    """The merchant id and app id alone, for a message about no order we know."""
    values, expected = (
        {"mchid": trade.mchid, "appid": trade.appid},
        {"mchid": account.mchid, "appid": account.appid},
    )
    raise_problems(field_problems(values, expected, trade.carries), paid=trade.state == TradeState.PAID)
