"""Channel-account updates carry a version condition: a PATCH (or `ops channels update`) based
on a version that is no longer current is 409 `version_conflict` with nothing written, so of two
concurrent updates the later fails instead of silently undoing the earlier."""

from __future__ import annotations

import pytest

from ops.__main__ import main
from paymux.store.channels import ChannelConfigStore
from tests.integration.conftest import World
from tests.integration.test_admin_channels import Admin, account_doc


@pytest.fixture
def admin(world: World) -> Admin:
    created = Admin(world)
    assert created.call("create", body=account_doc(world, weight=1, priority=50))[0] == 201
    return created


def test_a_patch_with_a_stale_version_is_409_and_the_newer_write_is_kept(world: World, admin: Admin):
    _, read = admin.call("get", "wx-admin")
    assert read["version"] == 1

    status, first = admin.call("update", "wx-admin", {"weight": 3, "version": read["version"]})
    assert (status, first["weight"], first["version"]) == (200, 3, 2)
    status, stale = admin.call("update", "wx-admin", {"priority": 7, "version": read["version"]})

    assert status == 409 and stale["error"]["code"] == "version_conflict"
    assert stale["error"]["details"] == [{"field": "version", "message": "is no longer 1"}]
    _, now = admin.call("get", "wx-admin")
    assert (now["weight"], now["priority"], now["version"]) == (3, 50, 2)


def test_concurrent_updates_cannot_lose_a_write(world: World, admin: Admin, monkeypatch):
    """A reads the account, B's update commits, then A writes: A is refused, B's change stays."""
    other = Admin(world)
    store: ChannelConfigStore = admin.d.channel_config
    real_record = store.record
    interleaved: list[tuple[int, object]] = []

    def record_then_let_b_in(account_id: str):
        found = real_record(account_id)
        if not interleaved:
            interleaved.append(other.call("update", "wx-admin", {"weight": 9}))
        return found

    monkeypatch.setattr(store, "record", record_then_let_b_in)
    status, body = admin.call("update", "wx-admin", {"priority": 5})

    assert interleaved[0][0] == 200  # B
    assert status == 409 and body["error"]["code"] == "version_conflict"  # A, based on version 1
    monkeypatch.undo()
    _, now = admin.call("get", "wx-admin")
    assert (now["weight"], now["priority"], now["version"]) == (9, 50, 2)


def test_a_version_that_is_not_a_version_is_422(world: World, admin: Admin):
    for bad in ("1", -1, True, 1.5):
        status, body = admin.call("update", "wx-admin", {"weight": 2, "version": bad})
        assert status == 422 and body["error"]["details"][0]["field"] == "version"
    assert admin.call("get", "wx-admin")[1]["version"] == 1  # nothing written


def test_ops_update_with_a_stale_version_exits_2_and_writes_nothing(
    world: World, admin: Admin, monkeypatch, capsys
):
    for name, value in world.stack.env.items():
        monkeypatch.setenv(name, value)
    assert main(["channels", "update", "wx-admin", "--weight", "4", "--version", "1"]) == 0
    capsys.readouterr()
    assert main(["channels", "update", "wx-admin", "--weight", "6", "--version", "1"]) == 2
    assert "changed since version 1" in capsys.readouterr().err
    _, now = admin.call("get", "wx-admin")
    assert (now["weight"], now["version"]) == (4, 2)


def test_an_account_stored_before_versions_updates_once_from_version_0(world: World, admin: Admin):
    table = world.d.settings.table
    key = {"PK": {"S": "CHANNEL"}, "SK": {"S": "ACCOUNT#wx-admin"}}
    world.d.dynamodb.update_item(TableName=table, Key=key, UpdateExpression="REMOVE version")
    assert admin.call("get", "wx-admin")[1]["version"] == 0

    status, patched = admin.call("update", "wx-admin", {"weight": 2, "version": 0})
    assert (status, patched["version"]) == (200, 1)
    assert admin.call("update", "wx-admin", {"weight": 3, "version": 0})[0] == 409
