"""Query ladders per product: a channel class's `query_ladders[product]` when it has one for
the payment's product, else its `query_ladder`, else none (the sweeper's tiers alone)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from paymux.channels import registry
from paymux.domain.payment import Payment
from paymux.services import sweep_schedule
from paymux.services.sweep_schedule import LADDER_GUARD, first_check_at, ladder_of, ladder_step_at


class _Both:
    products = frozenset({"x.back", "x.front", "x.other"})
    query_ladder = (1, 2)
    query_ladders: ClassVar[dict[str, tuple[int, ...]]] = {"x.back": (1, 2, 4), "x.front": (300, 600)}


class _Flat:
    products = frozenset({"y.any"})
    query_ladder = (3,)


class _None:
    products = frozenset({"z.any"})


@pytest.fixture
def providers(monkeypatch: pytest.MonkeyPatch) -> None:
    classes: dict[str, Any] = {"both": _Both, "flat": _Flat, "none": _None}
    monkeypatch.setattr(sweep_schedule, "PROVIDERS", {name: name for name in classes})
    monkeypatch.setattr(sweep_schedule, "channel_class", classes.__getitem__)


def _payment(provider: str, method: str, expires_in: float = 7200.0) -> Payment:
    return Payment(
        payment_id="pay_X",
        merchant_id="m",
        app_id="a",
        merchant_order_no="o",
        amount=1,
        currency="CNY",
        method=method,
        subject="s",
        notify_url="https://m.example/n",
        request_hash="",
        created_at=1000.0,
        expires_at=1000.0 + expires_in,
        provider=provider,
    )


def test_a_product_ladder_wins_over_the_class_ladder(providers: None) -> None:
    assert ladder_of("both", "x.back") == (1.0, 2.0, 4.0)
    assert ladder_of("both", "x.front") == (300.0, 600.0)
    assert ladder_of("both", "x.other") == (1.0, 2.0)  # no product ladder: the class's
    assert ladder_of("flat", "y.any") == (3.0,)
    assert ladder_of("none", "z.any") == ()
    assert ladder_of("unknown", "x.back") == ()


def test_steps_follow_the_payments_own_product(providers: None) -> None:
    front = _payment("both", "x.front")
    assert [ladder_step_at(front, n) for n in range(3)] == [1300.0, 1600.0, None]
    assert first_check_at(front) == 1300.0 + LADDER_GUARD
    back = _payment("both", "x.back")
    assert [ladder_step_at(back, n) for n in range(4)] == [1001.0, 1002.0, 1004.0, None]


def test_a_step_after_the_expiry_is_not_taken(providers: None) -> None:
    short = _payment("both", "x.front", expires_in=500.0)
    assert [ladder_step_at(short, n) for n in range(2)] == [1300.0, None]


def test_unionpay_declares_back_and_front_ladders() -> None:
    cls = registry.channel_class("unionpay")
    back, front = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0), (300.0, 600.0, 1800.0, 3600.0, 7200.0)
    assert ladder_of("unionpay", "unionpay.barcode") == back
    for product in ("unionpay.qr", "unionpay.gateway", "unionpay.wap"):
        assert ladder_of("unionpay", product) == front
    assert set(cls.query_ladders) == set(cls.products)


def test_every_closed_payer_code_is_watched_and_other_products_are_not() -> None:
    now = 5000.0
    for provider, method in (("wechat", "wechat.barcode"), ("alipay", "alipay.barcode")):
        watch = sweep_schedule.closed_watch(_payment(provider, method), provider, now)
        assert watch == {"watch_until": now + sweep_schedule.PAYER_CODE_WATCH_SECONDS}
    for provider, method in (("wechat", "wechat.native"), ("alipay", "alipay.qr"), ("nowhere", "x.y")):
        assert sweep_schedule.closed_watch(_payment(provider, method), provider, now) == {}
