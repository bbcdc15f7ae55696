"""Property: over random configurations of direct accounts (with owners, some without any),
provider accounts and bindings (enabled or not, products, weights, priorities) and circuit
breakers open or closed, no route ever leaves the paying merchant's own direct accounts and
enabled bindings, each route's sub-merchant is that merchant's, and none of them is lost.

Checked on the routing the payments service uses (paymux.services.payments.rank_routes, with
the stores' data in memory) and on the sub-merchant a route's channel is built for."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from paymux.channels.base import ChannelAccount
from paymux.errors import ChannelUnavailable
from paymux.services.payments import rank_routes
from paymux.services.routes import sub_merchant
from paymux.services.routing import CircuitBreaker, Route
from paymux.store.bindings import Binding

MERCHANTS = ("m1", "m2", "m3")
PRODUCTS = ("wechat.native", "wechat.jsapi", "alipay.qr")


@st.composite
def accounts(draw: Any) -> list[ChannelAccount]:
    made = []
    for i in range(draw(st.integers(1, 6))):
        mode = draw(st.sampled_from(["direct", "provider"]))
        owner = (
            draw(st.sampled_from((*MERCHANTS, "")))
            if mode == "direct"
            else draw(st.sampled_from(("", "", "m1")))
        )
        made.append(
            ChannelAccount(
                f"acct{i}",
                "wechat",
                tuple(draw(st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=3, unique=True))),
                "1900000109",
                "wx1",
                "https://api.example",
                weight=draw(st.integers(0, 3)),
                enabled=draw(st.booleans()),
                priority=draw(st.sampled_from([1, 100])),
                mode=mode,
                owner=owner,
            )
        )
    return made


@st.composite
def configurations(draw: Any) -> tuple[list[ChannelAccount], list[Binding], set[str]]:
    made = draw(accounts())
    ids = [a.account_id for a in made] + ["acct-missing"]
    bindings = [
        Binding(
            f"bnd{i}",
            draw(st.sampled_from(MERCHANTS)),
            draw(st.sampled_from(ids)),  # also direct accounts and missing ones: never routable
            f"SUB{i}",
            products=tuple(draw(st.lists(st.sampled_from(PRODUCTS), max_size=2, unique=True))),
            weight=draw(st.integers(0, 3)),
            priority=draw(st.sampled_from([1, 50, 100])),
            enabled=draw(st.booleans()),
        )
        for i in range(draw(st.integers(0, 6)))
    ]
    keys = [a.account_id for a in made] + [f"{b.account_id}#{b.binding_id}" for b in bindings]
    open_breakers = set(draw(st.lists(st.sampled_from(keys), unique=True))) if keys else set()
    return made, bindings, open_breakers


def deps_of(accounts: list[ChannelAccount], bindings: list[Binding], open_breakers: set[str]) -> Any:
    breaker = CircuitBreaker(min_calls=1, failure_ratio=0.0, cooldown=1e9)
    for key in open_breakers:
        breaker.record(key, False, 0.0)
    return SimpleNamespace(
        channel_config=SimpleNamespace(accounts=lambda: accounts),
        bindings=SimpleNamespace(bindings=lambda: bindings, secret=lambda b: {}),
        breaker=breaker,
    )


def owned(route: Route, merchant: str) -> bool:
    account, binding = route
    if binding is None:
        return account.mode == "direct" and account.owner == merchant
    return (
        account.mode == "provider"
        and not account.owner
        and binding.merchant_id == merchant
        and binding.account_id == account.account_id
        and binding.enabled
    )


def expected_routes(
    accounts: list[ChannelAccount], bindings: list[Binding], merchant: str, method: str
) -> set[str]:
    """Every usable route of the merchant for `method`, computed from the rule itself."""
    by_id = {a.account_id: a for a in accounts}
    routes = [Route(a) for a in accounts] + [
        Route(by_id[b.account_id], b) for b in bindings if b.account_id in by_id
    ]
    return {
        r.key
        for r in routes
        if owned(r, merchant) and r.account.enabled and r.weight > 0 and method in r.products
    }


@settings(max_examples=300, deadline=None)
@given(config=configurations(), merchant=st.sampled_from(MERCHANTS), method=st.sampled_from(PRODUCTS))
def test_no_route_ever_leaves_the_paying_merchants_own_accounts_and_bindings(config, merchant, method):
    accounts, bindings, open_breakers = config
    d = deps_of(accounts, bindings, open_breakers)
    expected = expected_routes(accounts, bindings, merchant, method)
    try:
        ranked = rank_routes(d, [method], merchant, now=1.0)
    except ChannelUnavailable:
        assert expected == set()  # refused only when the merchant has no usable route
        return
    routes = [route for route, _ in ranked]
    for route in routes:
        assert owned(route, merchant), route
        if route.binding is not None:
            sub = sub_merchant(d, route.binding)
            assert (sub.merchant_id, sub.binding_id) == (merchant, route.binding.binding_id)
    assert sorted(r.key for r in routes) == sorted(expected)  # none lost, none twice
    closed = [r.key in open_breakers for r in routes]
    assert closed == sorted(closed)  # open breakers only behind the healthy routes
