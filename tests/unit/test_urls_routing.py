import random
from collections import Counter

import pytest

from paymux.channels.base import ChannelAccount
from paymux.errors import ChannelUnavailable, ValidationFailed
from paymux.services.routing import choose_account
from paymux.services.urls import check_url_syntax


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


def _account(account_id, weight=1, priority=100, enabled=True, products=("wechat.native",), merchants=()):
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
        merchants=merchants,
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
        _account("other", merchants=("m2",)),
        _account("jsapi", products=("wechat.jsapi",)),
    ]
    with pytest.raises(ChannelUnavailable):
        choose_account(accounts, "wechat.native", "m1")
    assert choose_account([*accounts, _account("ok")], "wechat.native", "m1").account_id == "ok"
