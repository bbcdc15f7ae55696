"""Channel configuration as data, through the operator command: add, re-weight, disable; the
next payment follows the change with no deploy."""

import json

from ops.__main__ import parse, run
from tests.integration.conftest import World


def ops(*argv: str):
    return run(parse(list(argv)))


def test_add_update_disable_take_effect_without_a_deploy(world: World, monkeypatch, tmp_path):
    for name, value in world.stack.env.items():
        monkeypatch.setenv(name, value)
    current = world.d.channel_config.account(world.account_id)
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps(world.d.channel_config.credentials(world.account_id)))
    account = tmp_path / "account.yaml"
    account.write_text(
        f"account_id: wx-second\nprovider: wechat\nproducts: [wechat.native]\nmchid: '{current.mchid}'\n"
        f"appid: {current.appid}\nbase_url: {world.sandbox.base_url}\npriority: 1\nweight: 5\n"
        f"owner: {current.owner}\ncredentials_file: {credentials}\n"
    )
    added = ops("channels", "add", str(account))
    assert added["account_id"] == "wx-second" and "credentials" not in added
    assert [a["account_id"] for a in ops("channels", "list")][:1] == ["wx-second"]

    world.d.channel_config._accounts.clear()  # this container re-reads at once; others within 60 s
    assert world.d.payments.get(world.create()[1]["id"]).account_id == "wx-second"

    ops("channels", "disable", "wx-second")
    world.d.channel_config._accounts.clear()
    assert world.d.payments.get(world.create()[1]["id"]).account_id == world.account_id

    updated = ops("channels", "update", "wx-second", "--enable", "--priority", "500", "--weight", "2")
    assert (updated["enabled"], updated["priority"], updated["weight"]) == (True, 500, 2)
    world.d.channel_config._accounts.clear()
    assert world.d.payments.get(world.create()[1]["id"]).account_id == world.account_id  # lower priority now
