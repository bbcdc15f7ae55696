"""UnionPay notifies at the callback handler: a genuine one is applied (HTTP 200); anything
that is not exactly what UnionPay signed, for this account and this order, is refused with a
non-200 (UnionPay resends it) and nothing changes. Notifies are made here with the test CA of
tests/unionpay_keys (independent of paymux's code), configured as the account's trust chain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest

from paymux.channels.unionpay import transform
from paymux.clock import CHINA
from tests import unionpay_keys as keys
from tests.integration.conftest import World, callback_event
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside
from tests.support import invoke


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


@dataclass
class Order:
    payment_id: str
    fields: dict[str, str]  # an unsigned paid notify of it


@pytest.fixture
def order(unionpay: UnionPayWorld) -> Order:
    """An unpaid QR payment; the account then trusts the test CA instead of the sandbox's."""
    status, body = unionpay.create("unionpay.qr", amount=1234)
    assert status == 201, body
    d = unionpay.world.d
    credentials = dict(d.channel_config.credentials(unionpay.account.account_id))
    chain = keys.unionpay_chain()
    credentials |= {"root_cert": chain.root_pem, "middle_cert": chain.middle_pem}
    d.channel_config.put_account(unionpay.account, credentials)
    order_id = unionpay.order_id(body["id"])
    sent = transform.txn_time(transform.issued_at(order_id))
    fields = {
        "accessType": "0",
        "bizType": "000000",
        "currencyCode": "156",
        "encoding": "UTF-8",
        "merId": unionpay.mer_id,
        "orderId": order_id,
        "queryId": "7822" + sent[2:] + "000001",
        "respCode": "00",
        "respMsg": "成功[0000000]",
        "settleAmt": "1234",
        "settleCurrencyCode": "156",
        "settleDate": sent[4:8],
        "signMethod": "01",
        "traceNo": "067402",
        "traceTime": sent[4:],
        "txnAmt": "1234",
        "txnSubType": "07",
        "txnTime": sent,
        "txnType": "01",
        "version": "5.1.0",
    }
    return Order(body["id"], fields)


def _post(unionpay: UnionPayWorld, fields: dict[str, str]) -> int:
    body = urlencode(fields).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    event = callback_event(unionpay.account.account_id, headers, body, provider="unionpay")
    return int(invoke("channel_callback", event)["statusCode"])


def _state(unionpay: UnionPayWorld, payment_id: str) -> tuple[str, int, list[str]]:
    payment = unionpay.world.d.payments.get(payment_id)
    assert payment is not None
    events = [e["type"] for e in unionpay.world.d.payments.events(payment_id)]
    return payment.status.value, payment.version, events


def _leaf(name: str, **kwargs: object) -> str:
    """A signer certificate issued by the test middle (CRLF PEM, as UnionPay sends it)."""
    chain = keys.unionpay_chain()
    issued = keys.issue(
        keys.SIGNER_CN,
        keys.rsa_key(name),
        chain.middle.subject,
        keys.rsa_key("unionpay-middle"),
        ca=None,
        **kwargs,
    )
    return keys.pem(issued, crlf=True)


def _other_chain_leaf() -> str:
    root_name = "PAYMUX OTHER ROOT"
    root = keys.issue(root_name, keys.rsa_key("other-root"), ca=True)
    middle = keys.issue(
        "PAYMUX OTHER OCA", keys.rsa_key("other-middle"), root.subject, keys.rsa_key("other-root"), ca=True
    )
    leaf = keys.issue(
        keys.SIGNER_CN, keys.rsa_key("other-signer"), middle.subject, keys.rsa_key("other-middle"), ca=None
    )
    return keys.pem(leaf, crlf=True)


def _forged(fields: dict[str, str]) -> dict[str, str]:  # the real certificate, another key
    return keys.sign_as_unionpay(fields, key=keys.rsa_key("forger"))


def _tampered(fields: dict[str, str]) -> dict[str, str]:
    return keys.sign_as_unionpay(fields) | {"txnAmt": "1"}


def _wrong_chain(fields: dict[str, str]) -> dict[str, str]:
    return keys.sign_as_unionpay(fields, _other_chain_leaf(), keys.rsa_key("other-signer"))


def _self_signed(fields: dict[str, str]) -> dict[str, str]:
    certificate = keys.pem(keys.issue(keys.SIGNER_CN, keys.rsa_key("self-signed"), ca=None), crlf=True)
    return keys.sign_as_unionpay(fields, certificate, keys.rsa_key("self-signed"))


def _expired(fields: dict[str, str]) -> dict[str, str]:
    sent = dt.datetime.strptime(fields["txnTime"], transform.TIME_FORMAT).replace(tzinfo=CHINA)
    lapsed = sent - dt.timedelta(days=1)
    return keys.sign_as_unionpay(fields, _leaf("expired", not_after=lapsed), keys.rsa_key("expired"))


def _lf(fields: dict[str, str]) -> dict[str, str]:
    signed = keys.sign_as_unionpay(fields)
    return signed | {"signPubKeyCert": signed["signPubKeyCert"].replace("\r\n", "\n")}


def _other_merchant(fields: dict[str, str]) -> dict[str, str]:
    return keys.sign_as_unionpay(fields | {"merId": "777290058100000"})


def _other_time(fields: dict[str, str]) -> dict[str, str]:
    sent = transform.parse_txn_time(fields["txnTime"])
    return keys.sign_as_unionpay(fields | {"txnTime": transform.txn_time(sent + 1)})


def _other_amount(fields: dict[str, str]) -> dict[str, str]:
    return keys.sign_as_unionpay(fields | {"txnAmt": "1233", "settleAmt": "1233"})


def _unsigned(fields: dict[str, str]) -> dict[str, str]:
    return fields


REJECTED: dict[str, Callable[[dict[str, str]], dict[str, str]]] = {
    "forged signature": _forged,
    "tampered field": _tampered,
    "wrong chain": _wrong_chain,
    "self-signed certificate with the right CN": _self_signed,
    "expired certificate": _expired,
    "signPubKeyCert CRLF changed to LF": _lf,
    "another merId": _other_merchant,
    "another txnTime": _other_time,
    "another amount": _other_amount,
    "unsigned": _unsigned,
}


@pytest.mark.parametrize("variant", list(REJECTED))
def test_a_notify_that_is_not_genuine_changes_nothing(
    unionpay: UnionPayWorld, order: Order, variant: str
) -> None:
    before = _state(unionpay, order.payment_id)

    status = _post(unionpay, REJECTED[variant](order.fields))

    assert status != 200
    assert _state(unionpay, order.payment_id) == before
    assert before[0] == "PROCESSING"


def test_the_genuine_notify_is_applied(unionpay: UnionPayWorld, order: Order) -> None:
    for variant in REJECTED.values():  # none of them leaves a trace that would block it
        _post(unionpay, variant(order.fields))

    assert _post(unionpay, keys.sign_as_unionpay(order.fields)) == 200

    payment = unionpay.world.d.payments.get(order.payment_id)
    assert payment is not None and payment.status == "SUCCESS"
    assert payment.channel_trade_no == order.fields["queryId"]
    sent = transform.parse_txn_time(order.fields["txnTime"])
    assert payment.settle_date == dt.datetime.fromtimestamp(sent, CHINA).date().isoformat()
    assert _post(unionpay, keys.sign_as_unionpay(order.fields)) == 200  # a resend: nothing more
    assert _state(unionpay, order.payment_id)[2].count("payment.succeeded") == 1


def test_a_notify_with_empty_fields_verifies_without_them(unionpay: UnionPayWorld, order: Order) -> None:
    signed = keys.sign_as_unionpay(order.fields)

    assert _post(unionpay, signed | {"reqReserved": "", "issInsCode": ""}) == 200
    assert _state(unionpay, order.payment_id)[0] == "SUCCESS"
