"""Direct accounts belong to their owner alone: another merchant's account, or one stored
without an owner (which used to serve every merchant: pooling), never takes a payment."""

from __future__ import annotations

from dataclasses import replace

from paymux.channels.base import ChannelAccount
from paymux.services.channel_admin import get_account
from tests.integration.conftest import World


def test_an_account_without_an_owner_takes_no_payment_and_says_why(world: World):
    """An account stored before owners existed would collect every merchant's money."""
    d = world.d
    current = d.channel_config.account(world.account_id)
    d.channel_config.put_account(replace(current, owner=""), None)
    status, body = world.create()
    assert (status, body["error"]["code"]) == (503, "channel_unavailable")
    assert get_account(d, world.account_id)["problem"]["code"] == "account_owner_required"


def test_another_merchants_direct_account_is_never_used(world: World):
    """Merchant B's own account, preferred by priority, is not merchant A's to use."""
    d = world.d
    current = d.channel_config.account(world.account_id)
    other = ChannelAccount(
        "wx-b-own",
        "wechat",
        current.products,
        current.mchid,
        current.appid,
        current.base_url,
        priority=1,
        owner="mch_b",
    )
    d.channel_config.put_account(other, dict(d.channel_config.credentials(world.account_id)))
    routed = {d.payments.get(world.create()[1]["id"]).account_id for _ in range(5)}
    assert routed == {world.account_id}
