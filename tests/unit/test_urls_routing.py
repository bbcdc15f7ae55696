import random
from collections import Counter

import pytest

from paymux.channels.base import ChannelAccount
from paymux.errors import ChannelUnavailable, ValidationFailed
from paymux.services.routing import choose_route, rank_merchant_routes
from paymux.services.urls import check_url_syntax


def choose_account(accounts, method, merchant_id, rng=None):
    return choose_route(accounts, [], method, merchant_id, rng).account


def rank_accounts(accounts, method, merchant_id, breaker, now, rng=None):
    return [r.account for r in rank_merchant_routes(accounts, [], method, merchant_id, breaker, now, rng)]


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.example.com/n",
        "https://127.0.0.1/n",
        "https://10.0.0.8/n",
        "https://169.254.169.254/latest",
        "https://[::1]/n",
        "https://user:pw@shop.example.com/",
        "https://metadata.internal/x",
        "ftp://shop.example.com",
        "https://localhost/n",
    ],
)
def test_ssrf_targets_are_refused_outside_the_local_stack(url):
    with pytest.raises(ValidationFailed):
        check_url_syntax(url, "notify_url", allow_http=False)


def test_public_https_is_allowed_and_local_stack_allows_http():
    check_url_syntax("https://shop.example.com/paymux/notify", "notify_url", allow_http=False)
    check_url_syntax("http://127.0.0.1:8000/notify", "notify_url", allow_http=True)


def _account(account_id, weight=1, priority=100, enabled=True, products=("wechat.native",), owner="m1"):
    return ChannelAccount(
        account_id,
        "wechat",
        products,
        "1900000109",
        "wx1",
        "https://api.mch.weixin.qq.com",
        weight=weight,
        priority=priority,
        enabled=enabled,
        owner=owner,
    )


def test_weighted_spread_within_best_priority():
    accounts = [_account("a", 1), _account("b", 1), _account("c", 2), _account("backup", 10, priority=200)]
    rng = random.Random(7)
    counts = Counter(choose_account(accounts, "wechat.native", "m1", rng).account_id for _ in range(10_000))
    assert set(counts) == {"a", "b", "c"}
    assert abs(counts["a"] / 10_000 - 0.25) < 0.05
    assert abs(counts["c"] / 10_000 - 0.50) < 0.05


def test_disabled_foreign_and_wrong_product_accounts_are_never_chosen():
    accounts = [
        _account("off", enabled=False),
        _account("other", owner="m2"),
        _account("jsapi", products=("wechat.jsapi",)),
    ]
    with pytest.raises(ChannelUnavailable):
        choose_account(accounts, "wechat.native", "m1")
    assert choose_account([*accounts, _account("ok")], "wechat.native", "m1").account_id == "ok"


def test_rank_orders_by_priority_then_weight_and_puts_open_breakers_last():
    from paymux.services.routing import CircuitBreaker

    accounts = [_account("a", 1), _account("b", 3), _account("backup", 10, priority=200)]
    breaker = CircuitBreaker()
    firsts = Counter(
        rank_accounts(accounts, "wechat.native", "m1", breaker, 0.0, random.Random(i))[0].account_id
        for i in range(4000)
    )
    assert abs(firsts["b"] / 4000 - 0.75) < 0.05 and firsts["backup"] == 0
    assert (
        rank_accounts(accounts, "wechat.native", "m1", breaker, 0.0, random.Random(1))[-1].account_id
        == "backup"
    )
    for t in range(5):
        breaker.record("b", False, float(t))
    ranked = [
        a.account_id for a in rank_accounts(accounts, "wechat.native", "m1", breaker, 5.0, random.Random(2))
    ]
    assert ranked == ["a", "backup", "b"]  # never dropped: a total outage still probes


def test_breaker_opens_half_opens_and_closes():
    from paymux.services.routing import CircuitBreaker

    breaker = CircuitBreaker(window=60, min_calls=5, failure_ratio=0.5, cooldown=30)
    for t, ok in enumerate([True, True, False, False]):
        breaker.record("x", ok, float(t))
    assert breaker.allows("x", 4.0)  # 4 calls: not enough to judge
    breaker.record("x", False, 4.0)  # 3 of 5 failed
    assert not breaker.allows("x", 5.0) and not breaker.allows("x", 33.9)
    assert breaker.allows("x", 34.0)  # half-open: one probe
    breaker.record("x", False, 34.0)  # probe failed: open again from now
    assert not breaker.allows("x", 60.0) and breaker.allows("x", 64.0)
    breaker.record("x", True, 64.0)  # probe succeeded: closed, history forgotten
    breaker.record("x", False, 65.0)
    assert breaker.allows("x", 66.0)
    for t in range(100, 105):
        breaker.record("x", True, float(t))
    breaker.record("old-failures-expire", False, 0.0)
    for t in range(61, 66):
        breaker.record("old-failures-expire", True, float(t))
    assert breaker.allows("old-failures-expire", 66.0)
