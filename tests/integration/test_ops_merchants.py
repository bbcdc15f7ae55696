"""`python -m ops merchants …` against the local stack's resources: onboarding refuses an app id
that exists (exit code 2, a clear message, nothing overwritten)."""

from __future__ import annotations

import json

import pytest

from ops.__main__ import main
from paymux.deps import Deps
from tests.integration.conftest import World


@pytest.fixture
def operator_env(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in world.stack.env.items():
        monkeypatch.setenv(name, value)


def test_create_onboards_a_new_app_and_prints_its_secret_once(
    world: World, operator_env: None, capsys: pytest.CaptureFixture[str]
):
    assert main(["merchants", "create", "app_new1", "--merchant-id", "mch_new1", "--name", "New"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["app"]["merchant_id"] == "mch_new1" and printed["secret"].startswith("sk_")
    fresh = Deps(settings=world.d.settings, clock=world.clock)
    assert [k.secret for k in fresh.merchants.signing_keys("app_new1")] == [printed["secret"]]


def test_create_refuses_an_existing_app_id_and_overwrites_nothing(
    world: World, operator_env: None, capsys: pytest.CaptureFixture[str]
):
    before = world.d.merchants.app(world.app_id)

    code = main(["merchants", "create", world.app_id, "--merchant-id", "mch_intruder", "--name", "Other"])

    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert world.app_id in captured.err and "already exists" in captured.err
    fresh = Deps(settings=world.d.settings, clock=world.clock)  # no cache
    assert fresh.merchants.app(world.app_id) == before
    assert [k.secret for k in fresh.merchants.signing_keys(world.app_id)] == [world.secret]
    assert world.create()[0] == 201  # the merchant still signs with its own secret
