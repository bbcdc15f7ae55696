"""How a statement row is checked before reconciliation believes it, by the same rules as a
callback or a query answer (services/outcomes.field_problems): amount and currency must be the
payment's, merchant id and app id the account's, and a field the statement format always has
(StatementRow.carries) must be there. A row that fails is a discrepancy, never repaired."""

from __future__ import annotations

from typing import NamedTuple, Protocol

from paymux.channels.base import ChannelAccount, StatementRow
from paymux.services.outcomes import ABSENT, FIELD_LABELS, field_problems
from paymux.store.bindings import Binding

# checked field → the reconciliation class of a row that disagrees on it or lacks it
FIELD_CLASSES = {
    "amount": "amount_mismatch",
    "currency": "amount_mismatch",
    "mchid": "merchant_mismatch",
    "appid": "merchant_mismatch",
    "sub_mchid": "merchant_mismatch",
}


class Money(Protocol):
    """What a payment row is checked against: a Payment, or the day's paid index entry."""

    @property
    def amount(self) -> int: ...
    @property
    def currency(self) -> str: ...


class LocalMoney(NamedTuple):
    amount: int
    currency: str


def _described(problems: dict[str, str]) -> str:
    return "; ".join(f"{FIELD_LABELS[name]} {ABSENT}" if p == ABSENT else p for name, p in problems.items())


def _merchant(row: StatementRow, account: ChannelAccount, binding: Binding | None) -> dict[str, str]:
    """Merchant id and app id against the account's; in provider mode the row's sub-merchant
    against the binding's (a sub-merchant's statement must name that sub-merchant alone)."""
    values = {"mchid": row.mchid, "appid": row.appid, "sub_mchid": row.sub_mchid}
    expected = {
        "mchid": account.mchid,
        "appid": account.appid,
        "sub_mchid": binding.sub_mchid if binding else "",
    }
    return field_problems(values, expected, row.carries)


def payment_row_mismatch(
    row: StatementRow, payment: Money, account: ChannelAccount, binding: Binding | None = None
) -> tuple[str, str] | None:
    """(class, what is wrong) for a payment row that cannot be believed, else None; money
    problems (amount, currency) come before merchant ones."""
    if _agrees(row, payment, account, binding):
        return None  # the common row, decided without building the field maps
    return field_mismatch(row, payment, account, binding)


def field_mismatch(
    row: StatementRow, payment: Money, account: ChannelAccount, binding: Binding | None = None
) -> tuple[str, str] | None:
    """payment_row_mismatch, field by field (its answer for every row)."""
    values = {"amount": row.amount, "currency": row.currency}
    money = field_problems(values, {"amount": payment.amount, "currency": payment.currency}, row.carries)
    problems = money | _merchant(row, account, binding)
    if not problems:
        return None
    return FIELD_CLASSES[next(iter(problems))], f"the channel's row: {_described(problems)}"


def _agrees(row: StatementRow, payment: Money, account: ChannelAccount, binding: Binding | None) -> bool:
    """Every checked field is there and equal to what is expected (so field_problems finds
    nothing), and a sub-merchant that neither side names is not one the row must carry."""
    fields = (row.amount, row.currency, row.mchid, row.appid, row.sub_mchid)
    return fields_agree(fields, row.carries, (payment.amount, payment.currency), account, binding)


def fields_agree(
    fields: tuple[int, str, str, str, str],
    carries: frozenset[str],
    money: tuple[int, str],
    account: ChannelAccount,
    binding: Binding | None,
) -> bool:
    """_agrees on a row's (amount, currency, mchid, appid, sub_mchid), before (or without) its
    StatementRow, against the payment's (amount, currency): payment_row_mismatch finds nothing
    for a row of which this is True."""
    amount, currency, mchid, appid, sub_mchid = fields
    expected_sub_mchid = binding.sub_mchid if binding else ""
    return (
        amount == money[0]
        and currency == money[1] != ""
        and mchid == account.mchid != ""
        and appid == account.appid != ""
        and sub_mchid == expected_sub_mchid
        and (expected_sub_mchid != "" or "sub_mchid" not in carries)
    )


def refund_row_mismatch(row: StatementRow, account: ChannelAccount, binding: Binding | None = None) -> str:
    """What is wrong with a refund row's merchant id or app id ("" when nothing)."""
    return _described(_merchant(row, account, binding))
