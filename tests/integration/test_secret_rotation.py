"""Rotating a merchant secret with an overlap window, through the operator command."""

from datetime import datetime

from ops.__main__ import parse, run
from tests.integration.conftest import World


def test_rotation_overlap_then_expiry(world: World, monkeypatch):
    for name, value in world.stack.env.items():
        monkeypatch.setenv(name, value)
    old = world.secret
    rotated = run(parse(["merchants", "rotate-secret", world.app_id, "--overlap", "1h"]))
    new = rotated["secret"]
    assert new != old and rotated["previous_secret_expires_at"]

    world.d.merchants._keys.clear()  # this container sees the change at once (others within 60 s)
    _, created = world.create()
    assert world.get(created["id"])[0] == 200  # still signed with the old secret
    world.secret = new
    assert world.get(created["id"])[0] == 200  # and with the new one

    # `ops` stamps the expiry with real time, which has moved on since the world's clock was
    # set: go just past the expiry it printed, not past "1 h from the world's start".
    expires = datetime.fromisoformat(rotated["previous_secret_expires_at"].replace("Z", "+00:00"))
    world.clock.advance(expires.timestamp() - world.clock() + 1)
    world.d.merchants._keys.clear()
    assert world.get(created["id"])[0] == 200
    world.secret = old
    status, error = world.get(created["id"])
    assert (status, error["error"]["code"]) == (401, "invalid_signature")

    shown = run(parse(["merchants", "show", world.app_id]))
    assert shown["valid_keys"] == 2  # the clock in `ops` is real time: the overlap has not ended there


def test_create_prints_a_secret_that_works(world: World, monkeypatch):
    for name, value in world.stack.env.items():
        monkeypatch.setenv(name, value)
    created = run(
        parse(
            [
                "merchants",
                "create",
                "app_ops_demo",
                "--merchant-id",
                world.d.merchants.app(world.app_id).merchant_id,
            ]
        )
    )
    world.app_id, world.secret = "app_ops_demo", created["secret"]
    world.d.merchants._apps.clear()
    assert world.create()[0] == 201
