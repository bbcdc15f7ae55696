"""The generic method `barcode`: which wallet a payer's code belongs to, by each wallet's
published rule (domain/payer_codes), and a typed 422 for any other code."""

from __future__ import annotations

import pytest

from paymux.domain.methods import METHODS, REQUIRED_INPUTS
from paymux.domain.payer_codes import PAYER_CODE_METHODS, wallet_method
from paymux.errors import PayerCodeUnrecognized, ValidationFailed

OFFERED = frozenset(METHODS) | {"ecny.barcode"}


@pytest.mark.parametrize(
    ("code", "method"),
    [
        *((f"{p}" + "4" * 16, "wechat.barcode") for p in range(10, 16)),  # 18 digits, 10-15
        *((f"{p}" + "7" * 14, "alipay.barcode") for p in range(25, 31)),  # 16 digits, 25-30
        ("28" + "7" * 22, "alipay.barcode"),  # 24 digits
        ("287634438256643941", "alipay.barcode"),  # 18 digits (Alipay's own example is 17)
        ("6" + "2" + "1" * 17, "unionpay.barcode"),  # 19 digits, 62
        ("01" + "3" * 17, "ecny.barcode"),  # 19 digits, 01
    ],
)
def test_each_rule_picks_its_wallet(code: str, method: str) -> None:
    assert wallet_method(code, OFFERED) == method


@pytest.mark.parametrize(
    "code",
    [
        "16" + "4" * 16,  # WeChat's length, no WeChat prefix
        "13" + "4" * 15,  # WeChat prefix, 17 digits
        "13" + "4" * 17,  # 19 digits
        "24" + "7" * 14,  # below Alipay's 25
        "31" + "7" * 14,  # above Alipay's 30
        "28" + "7" * 13,  # 15 digits
        "28" + "7" * 23,  # 25 digits
        "62" + "1" * 16,  # UnionPay prefix, 18 digits
        "01" + "3" * 18,  # e-CNY prefix, 20 digits
        "9" * 18,
    ],
)
def test_any_other_code_is_a_typed_422(code: str) -> None:
    with pytest.raises(PayerCodeUnrecognized) as raised:
        wallet_method(code, OFFERED)
    assert isinstance(raised.value, ValidationFailed)
    assert (raised.value.status, raised.value.code) == (422, "payer_code_unrecognized")
    assert raised.value.details[0]["field"] == "payer.auth_code"
    assert code not in raised.value.message + raised.value.details[0]["message"]  # never echoed


def test_a_wallet_whose_product_is_not_offered_is_refused() -> None:
    with pytest.raises(PayerCodeUnrecognized) as raised:
        wallet_method("01" + "3" * 17, frozenset(METHODS) - {"ecny.barcode"})
    assert "ecny.barcode" in raised.value.details[0]["message"]


def test_every_payer_code_product_needs_the_code() -> None:
    for method in PAYER_CODE_METHODS & set(METHODS):
        assert REQUIRED_INPUTS[method] == ("payer.auth_code",)
    assert REQUIRED_INPUTS["barcode"] == ("payer.auth_code",)
