"""`POST /v1/payments` with method `barcode`: the wallet is read from payer.auth_code's digits
and the payment is stored as that wallet's product; a code of no wallet is a typed 422 and
nothing is written or sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.conftest import Alipay, World
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


def _payments(world: World) -> int:
    scanned = world.d.dynamodb.scan(
        TableName=world.d.settings.table,
        FilterExpression="begins_with(PK, :p)",
        ExpressionAttributeValues={":p": {"S": "PAY#"}},
    )
    return len(scanned["Items"])


@pytest.mark.parametrize(
    ("code", "method"),
    [
        ("134567890123456700", "wechat.barcode"),
        ("2876344382566439400", "alipay.barcode"),
        ("6212345678901234500", "unionpay.barcode"),
    ],
)
def test_the_code_picks_the_wallet_and_the_payment_records_it(
    world: World, alipay: Alipay, unionpay: UnionPayWorld, code: str, method: str
) -> None:
    if method == "unionpay.barcode":
        unionpay.sandbox.script_payer_code(code, "00")

    status, body = world.create(method="barcode", payer={"auth_code": code})

    assert status == 201, body
    assert (body["method"], body["status"]) == (method, "SUCCESS")
    payment = world.d.payments.get(body["id"])
    assert payment is not None and (payment.method, payment.provider) == (
        method,
        method.split(".", maxsplit=1)[0],
    )


@pytest.mark.parametrize(
    ("payer", "extra", "code"),
    [
        ({"auth_code": "999999999999999999"}, {}, "payer_code_unrecognized"),  # no wallet's rule
        ({}, {}, "validation_failed"),  # no code at all
        ({"auth_code": "13456789012345670x"}, {}, "validation_failed"),  # not digits
        ({"auth_code": "134567890123456700"}, {"fallback_methods": ["alipay.barcode"]}, "validation_failed"),
    ],
)
def test_a_code_of_no_wallet_is_a_typed_422_with_nothing_written(
    world: World, alipay: Alipay, payer: dict[str, str], extra: dict[str, list[str]], code: str
) -> None:
    before = _payments(world)

    status, body = world.create(method="barcode", payer=payer, **extra)

    assert status == 422 and body["error"]["code"] == code, body
    assert _payments(world) == before
    assert world.sandbox.orders == {} and alipay.sandbox.trades == {}


def test_an_e_cny_code_is_read_as_ecny_barcode(world: World, alipay: Alipay) -> None:
    """19 digits starting 01 are an e-CNY wallet's code: this world has no Huifu account, so the
    detected method has no route (the same 503 as any method no account offers), nothing written."""
    before = _payments(world)

    status, body = world.create(method="barcode", payer={"auth_code": "0112345678901234567"})

    assert status == 503 and body["error"]["code"] == "channel_unavailable", body
    assert "ecny.barcode" in body["error"]["message"]
    assert _payments(world) == before
    assert world.sandbox.orders == {} and alipay.sandbox.trades == {}
